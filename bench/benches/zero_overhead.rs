//! Generated repositories vs hand-written tokio-postgres vs sqlx, in one binary, against the
//! local PostgreSQL. Run with `scripts/bench.sh`; it ends with a table of ratios to the
//! hand-written baseline measured in the same run.

#![allow(clippy::print_stdout, clippy::unwrap_used)] // a benchmark reports on stdout

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use criterion::Criterion;
use futures_util::TryStreamExt;
use repo_bench::{PgInserts, PgRows, Rows, SEEDED, batch, hand, pool, setup, sqlx_pool, via_sqlx};
use repo_runtime::Crud;

fn main() {
    STARTED.get_or_init(std::time::SystemTime::now);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let cfg = rt.block_on(setup()).expect("set up the benchmark database");
    let pool = pool(&cfg, 4);
    let sqlx = rt.block_on(sqlx_pool(4));
    let generated = PgRows::new(pool.clone());
    let inserts = PgInserts::new(pool.clone());
    // The statements measured are the statements the schema accepts.
    for report in [rt.block_on(generated.verify()).unwrap(), rt.block_on(inserts.verify()).unwrap()]
    {
        assert!(report.is_ok(), "{report}");
    }
    let mut c = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();

    let mut g = c.benchmark_group("get_by_id");
    g.bench_function("hand-written", |b| {
        b.to_async(&rt).iter(|| hand::get(&pool, black_box(4242)));
    });
    g.bench_function("generated", |b| {
        b.to_async(&rt).iter(|| async { generated.get(black_box(4242)).await.unwrap() });
    });
    g.bench_function("sqlx", |b| b.to_async(&rt).iter(|| via_sqlx::get(&sqlx, black_box(4242))));
    g.finish();

    // The same generated `get` over each kind of executor: a pool, a client of its own made by
    // `repo_runtime::connect` (statements cached), and a plain client marked `Uncached`
    // (prepared on every call).
    let connected = rt.block_on(repo_runtime::connect(&cfg, tokio_postgres::NoTls)).unwrap();
    let plain = rt.block_on(async {
        let (client, conn) = cfg.connect(tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(conn);
        client
    });
    let over_connected = PgRows::new(&connected);
    let over_plain = PgRows::new(repo_runtime::Uncached(&plain));
    let mut g = c.benchmark_group("get_by_executor");
    g.bench_function("pool", |b| {
        b.to_async(&rt).iter(|| async { generated.get(black_box(4242)).await.unwrap() });
    });
    g.bench_function("connected", |b| {
        b.to_async(&rt).iter(|| async { over_connected.get(black_box(4242)).await.unwrap() });
    });
    g.bench_function("uncached", |b| {
        b.to_async(&rt).iter(|| async { over_plain.get(black_box(4242)).await.unwrap() });
    });
    g.finish();

    for (name, n) in [("list_100", 100i64), ("list_10000", 10_000)] {
        let mut g = c.benchmark_group(name);
        if n > 1000 {
            g.sample_size(10);
        }
        g.bench_function("hand-written", |b| b.to_async(&rt).iter(|| hand::first(&pool, n)));
        g.bench_function("generated", |b| {
            b.to_async(&rt).iter(|| async { generated.first(n).await.unwrap() });
        });
        g.bench_function("sqlx", |b| b.to_async(&rt).iter(|| via_sqlx::first(&sqlx, n)));
        g.finish();
    }

    let next_id = AtomicI64::new(1_000_000_000);
    let one = || batch(next_id.fetch_add(1, Ordering::Relaxed), 1).remove(0);
    let mut g = c.benchmark_group("insert_one");
    g.bench_function("hand-written", |b| {
        b.to_async(&rt).iter(|| async { hand::insert(&pool, &one()).await });
    });
    g.bench_function("generated", |b| {
        b.to_async(&rt).iter(|| async { inserts.insert(&one()).await.unwrap() });
    });
    g.bench_function("sqlx", |b| {
        b.to_async(&rt).iter(|| async { via_sqlx::insert(&sqlx, &one()).await });
    });
    g.finish();

    // Each timed batch goes into an emptied table; emptying it is not timed.
    let rows = batch(1, 1000);
    let truncate = || async {
        pool.get().await.unwrap().batch_execute("TRUNCATE bench_insert").await.unwrap();
    };
    let (pool, rows, inserts, truncate) = (&pool, &rows, &inserts, &truncate);
    let mut g = c.benchmark_group("batch_1000");
    g.bench_function("multi-values", |b| {
        b.to_async(&rt).iter_custom(|iters| async move {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                truncate().await;
                let start = Instant::now();
                assert_eq!(hand::insert_values(pool, rows).await, 1000);
                total += start.elapsed();
            }
            total
        });
    });
    g.bench_function("unnest", |b| {
        b.to_async(&rt).iter_custom(|iters| async move {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                truncate().await;
                let start = Instant::now();
                assert_eq!(inserts.insert_many(rows).await.unwrap(), 1000);
                total += start.elapsed();
            }
            total
        });
    });
    g.bench_function("copy", |b| {
        b.to_async(&rt).iter_custom(|iters| async move {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                truncate().await;
                let start = Instant::now();
                assert_eq!(inserts.copy_in(rows).await.unwrap(), 1000);
                total += start.elapsed();
            }
            total
        });
    });
    g.finish();

    let mut g = c.benchmark_group("stream_100000");
    g.sample_size(10);
    g.bench_function("hand-written", |b| b.to_async(&rt).iter(|| hand::stream(pool)));
    g.bench_function("generated", |b| {
        b.to_async(&rt).iter(|| async {
            let mut rows = generated.stream().await.unwrap();
            let mut n = 0usize;
            while let Some(r) = rows.try_next().await.unwrap() {
                black_box(r);
                n += 1;
            }
            assert_eq!(n as i64, SEEDED);
        });
    });
    g.bench_function("sqlx", |b| b.to_async(&rt).iter(|| via_sqlx::stream(&sqlx)));
    g.finish();

    c.final_summary();
    print_ratios();
}

/// Criterion's output folder: `CRITERION_HOME`, else `<target>/criterion`.
fn criterion_home() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default()).join("../target")
    });
    target.join("criterion")
}

/// When this run started: estimates written before it are an earlier run's.
static STARTED: std::sync::OnceLock<std::time::SystemTime> = std::sync::OnceLock::new();

/// Mean time of one benchmark in nanoseconds, from the estimates criterion wrote in this run
/// (a benchmark filtered out of this run has none, even if an earlier run left one).
fn mean_ns(group: &str, function: &str) -> Option<f64> {
    let path = criterion_home().join(group).join(function).join("new/estimates.json");
    let written = std::fs::metadata(&path).and_then(|m| m.modified()).ok()?;
    if written < *STARTED.get()? {
        return None;
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    json["mean"]["point_estimate"].as_f64()
}

fn show(ns: f64) -> String {
    if ns >= 1e6 { format!("{:.2} ms", ns / 1e6) } else { format!("{:.1} µs", ns / 1e3) }
}

fn print_ratios() {
    let table: [(&str, &str, &[&str]); 7] = [
        ("get_by_id", "hand-written", &["generated", "sqlx"]),
        ("get_by_executor", "pool", &["connected", "uncached"]),
        ("list_100", "hand-written", &["generated", "sqlx"]),
        ("list_10000", "hand-written", &["generated", "sqlx"]),
        ("insert_one", "hand-written", &["generated", "sqlx"]),
        ("batch_1000", "multi-values", &["unnest", "copy"]),
        ("stream_100000", "hand-written", &["generated", "sqlx"]),
    ];
    println!();
    println!("{:<15} {:<26} {:<26} {:<26}", "benchmark", "baseline", "", "");
    for (group, base, others) in table {
        let Some(b) = mean_ns(group, base) else {
            println!("{group:<15} (not measured in this run)");
            continue;
        };
        let mut line = format!("{group:<15} {:<26}", format!("{base} {}", show(b)));
        for o in others {
            let cell = match mean_ns(group, o) {
                Some(v) => format!("{o} {} ({:.3}x)", show(v), v / b),
                None => format!("{o} (not measured in this run)"),
            };
            line.push_str(&format!(" {cell:<26}"));
        }
        println!("{line}");
    }
    println!("ratios are mean time divided by the baseline's mean, measured in this run");
}
