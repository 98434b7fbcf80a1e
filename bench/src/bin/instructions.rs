//! One side of the instruction count: `instructions setup` creates the benchmark database;
//! `instructions <hand|generated> <get|insert> <calls>` makes that many calls over one pooled
//! connection on a current-thread runtime. `scripts/instructions.sh` runs it under callgrind at
//! two lengths, so the difference is the client's cost of the extra calls alone (start-up,
//! connecting and the first prepare cancel out).

use std::hint::black_box;

use repo_bench::{PgInserts, PgRows, Rows, batch, hand, pool, server_config, setup};
use repo_runtime::Crud;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    if args.first().map(String::as_str) == Some("setup") {
        rt.block_on(setup()).expect("set up the benchmark database");
        return;
    }
    let [side, op, calls] = args.as_slice() else {
        panic!("usage: instructions setup | instructions <hand|generated> <get|insert> <calls>");
    };
    let calls: i64 = calls.parse().expect("a number of calls");
    let mut cfg = server_config();
    cfg.dbname(repo_bench::DB_NAME);
    let pool = pool(&cfg, 1);
    let rows = PgRows::new(pool.clone());
    let inserts = PgInserts::new(pool.clone());
    // Inserts get fresh keys per process: the table is emptied first.
    let fresh = batch(2_000_000_000, usize::try_from(calls).expect("calls fit"));
    rt.block_on(async {
        pool.get().await.expect("connection").batch_execute("TRUNCATE bench_insert").await.ok();
        for i in 0..calls {
            let id = 1 + i % 1000;
            match (side.as_str(), op.as_str()) {
                ("hand", "get") => {
                    black_box(hand::get(&pool, id).await);
                }
                ("generated", "get") => {
                    black_box(rows.get(id).await.expect("get"));
                }
                ("hand", "insert") => {
                    black_box(hand::insert(&pool, &fresh[i as usize]).await);
                }
                ("generated", "insert") => {
                    black_box(inserts.insert(&fresh[i as usize]).await.expect("insert"));
                }
                other => panic!("unknown side and operation {other:?}"),
            }
        }
    });
}
