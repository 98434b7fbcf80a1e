//! The three ways the benchmark reads and writes the same table: the generated repository,
//! hand-written tokio-postgres (each statement prepared once per connection, columns read by
//! index — what a careful person writes), and launchbadge sqlx (`query_as` through its pool).

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use futures_util::TryStreamExt;
use repo_runtime::{Entity, Result, repository_for};
use tokio_postgres::NoTls;

/// One row of `bench_rows` (and of `bench_insert`, which has the same shape).
#[derive(Debug, Clone, PartialEq, Entity)]
#[entity(table = "bench_rows", schema = false)]
pub struct BenchRow {
    /// Key.
    #[entity(key)]
    pub id: i64,
    /// Always set.
    pub name: String,
    /// Every third row has none.
    pub email: Option<String>,
    /// Some number.
    pub score: i32,
    /// Some flag.
    pub active: bool,
}

/// The reads, generated.
#[repository_for(BenchRow)]
pub trait Rows {
    /// By key.
    #[sql("SELECT <<columns>> FROM <<table>> WHERE <<where:id>>")]
    async fn get(&self, id: i64) -> Result<Option<BenchRow>>;

    /// The first `limit` rows.
    #[sql("SELECT <<columns>> FROM <<table>> <<orderby:id>> <<limit>>")]
    async fn first(&self, limit: i64) -> Result<Vec<BenchRow>>;

    /// Every row, streamed.
    #[sql("SELECT <<columns>> FROM <<table>> <<orderby:id>>")]
    async fn stream(&self) -> Result<repo_runtime::Rows<'_, BenchRow>>;
}

/// The writes, generated, into `bench_insert`.
#[derive(Debug, Clone, PartialEq, Entity)]
#[entity(table = "bench_insert", schema = false)]
pub struct InsertRow {
    /// Key.
    #[entity(key)]
    pub id: i64,
    /// Always set.
    pub name: String,
    /// Sometimes set.
    pub email: Option<String>,
    /// Some number.
    pub score: i32,
    /// Some flag.
    pub active: bool,
}

/// Inserts, generated (with the CRUD surface for `insert_many` and `copy_in`).
#[repository_for(InsertRow, crud)]
pub trait Inserts {}

/// The database the benchmark owns.
pub const DB_NAME: &str = "repo_bench";

/// Rows seeded into `bench_rows`.
pub const SEEDED: i64 = 100_000;

/// The server URL: `DATABASE_URL` or the local default (its database name is ignored).
pub fn server_config() -> tokio_postgres::Config {
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:5432/postgres".to_owned());
    url.parse().expect("DATABASE_URL is a valid URL")
}

/// Creates the benchmark's database afresh and seeds it.
pub async fn setup() -> std::result::Result<tokio_postgres::Config, tokio_postgres::Error> {
    let admin_cfg = server_config();
    let (admin, conn) = admin_cfg.connect(NoTls).await?;
    tokio::spawn(conn);
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")).await?;
    admin.batch_execute(&format!("CREATE DATABASE {DB_NAME}")).await?;
    let mut cfg = admin_cfg;
    cfg.dbname(DB_NAME);
    let (client, conn) = cfg.connect(NoTls).await?;
    tokio::spawn(conn);
    client
        .batch_execute(&format!(
            "CREATE TABLE bench_rows (id BIGINT PRIMARY KEY, name TEXT NOT NULL, email TEXT, score INT NOT NULL, active BOOL NOT NULL);
             CREATE UNLOGGED TABLE bench_insert (id BIGINT PRIMARY KEY, name TEXT NOT NULL, email TEXT, score INT NOT NULL, active BOOL NOT NULL);
             INSERT INTO bench_rows
             SELECT g, 'name ' || g, CASE WHEN g % 3 = 0 THEN NULL ELSE 'user' || g || '@example.com' END, (g % 1000)::int, g % 2 = 0
             FROM generate_series(1, {SEEDED}) g;
             ANALYZE bench_rows;"
        ))
        .await?;
    Ok(cfg)
}

/// A deadpool pool on the benchmark database.
pub fn pool(cfg: &tokio_postgres::Config, size: usize) -> Pool {
    let manager = Manager::from_config(
        cfg.clone(),
        NoTls,
        ManagerConfig { recycling_method: RecyclingMethod::Fast },
    );
    Pool::builder(manager).max_size(size).runtime(Runtime::Tokio1).build().expect("pool builds")
}

/// A sqlx pool on the benchmark database.
pub async fn sqlx_pool(size: u32) -> sqlx::PgPool {
    let cfg = server_config();
    let host = cfg.get_hosts().first().map_or_else(
        || "127.0.0.1".to_owned(),
        |h| match h {
            tokio_postgres::config::Host::Tcp(h) => h.clone(),
            tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
        },
    );
    let options = sqlx::postgres::PgConnectOptions::new()
        .host(&host)
        .port(cfg.get_ports().first().copied().unwrap_or(5432))
        .username(cfg.get_user().unwrap_or("postgres"))
        .password(
            cfg.get_password()
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .unwrap_or_default()
                .as_str(),
        )
        .database(DB_NAME);
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(size)
        .connect_with(options)
        .await
        .expect("sqlx pool connects")
}

/// Hand-written tokio-postgres: the baseline.
pub mod hand {
    use super::*;

    const GET: &str = "SELECT id, name, email, score, active FROM bench_rows WHERE id = $1";
    const FIRST: &str =
        "SELECT id, name, email, score, active FROM bench_rows ORDER BY id LIMIT $1";
    const ALL: &str = "SELECT id, name, email, score, active FROM bench_rows ORDER BY id";
    const INSERT: &str =
        "INSERT INTO bench_insert (id, name, email, score, active) VALUES ($1, $2, $3, $4, $5)";

    fn row(r: &tokio_postgres::Row) -> BenchRow {
        BenchRow {
            id: r.get(0),
            name: r.get(1),
            email: r.get(2),
            score: r.get(3),
            active: r.get(4),
        }
    }

    /// By key.
    pub async fn get(pool: &Pool, id: i64) -> Option<BenchRow> {
        let c = pool.get().await.expect("connection");
        let st = c.prepare_cached(GET).await.expect("prepare");
        c.query_opt(&st, &[&id]).await.expect("query").as_ref().map(row)
    }

    /// The first `limit` rows.
    pub async fn first(pool: &Pool, limit: i64) -> Vec<BenchRow> {
        let c = pool.get().await.expect("connection");
        let st = c.prepare_cached(FIRST).await.expect("prepare");
        c.query(&st, &[&limit]).await.expect("query").iter().map(row).collect()
    }

    /// Every row, streamed; returns how many.
    pub async fn stream(pool: &Pool) -> usize {
        let c = pool.get().await.expect("connection");
        let st = c.prepare_cached(ALL).await.expect("prepare");
        let rows = c.query_raw(&st, std::iter::empty::<i64>()).await.expect("query");
        let mut rows = std::pin::pin!(rows);
        let mut n = 0;
        while let Some(r) = rows.try_next().await.expect("row") {
            std::hint::black_box(row(&r));
            n += 1;
        }
        n
    }

    /// One insert.
    pub async fn insert(pool: &Pool, r: &InsertRow) -> u64 {
        let c = pool.get().await.expect("connection");
        let st = c.prepare_cached(INSERT).await.expect("prepare");
        c.execute(&st, &[&r.id, &r.name, &r.email, &r.score, &r.active]).await.expect("insert")
    }

    /// One multi-row `VALUES` statement for the whole batch (the usual hand-written batch).
    pub async fn insert_values(pool: &Pool, rows: &[InsertRow]) -> u64 {
        let mut sql =
            String::from("INSERT INTO bench_insert (id, name, email, score, active) VALUES ");
        let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
            Vec::with_capacity(rows.len() * 5);
        for (i, r) in rows.iter().enumerate() {
            let b = i * 5;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("(${}, ${}, ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4, b + 5));
            params.extend_from_slice(&[&r.id, &r.name, &r.email, &r.score, &r.active]);
        }
        let c = pool.get().await.expect("connection");
        let st = c.prepare_cached(&sql).await.expect("prepare");
        c.execute(&st, &params).await.expect("insert")
    }
}

/// sqlx `query_as` through its pool.
pub mod via_sqlx {
    use super::*;

    type Tuple = (i64, String, Option<String>, i32, bool);

    fn row((id, name, email, score, active): Tuple) -> BenchRow {
        BenchRow { id, name, email, score, active }
    }

    /// By key.
    pub async fn get(pool: &sqlx::PgPool, id: i64) -> Option<BenchRow> {
        sqlx::query_as::<_, Tuple>(
            "SELECT id, name, email, score, active FROM bench_rows WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(pool)
        .await
        .expect("query")
        .map(row)
    }

    /// The first `limit` rows.
    pub async fn first(pool: &sqlx::PgPool, limit: i64) -> Vec<BenchRow> {
        sqlx::query_as::<_, Tuple>(
            "SELECT id, name, email, score, active FROM bench_rows ORDER BY id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(pool)
        .await
        .expect("query")
        .into_iter()
        .map(row)
        .collect()
    }

    /// Every row, streamed; returns how many.
    pub async fn stream(pool: &sqlx::PgPool) -> usize {
        let mut rows = sqlx::query_as::<_, Tuple>(
            "SELECT id, name, email, score, active FROM bench_rows ORDER BY id",
        )
        .fetch(pool);
        let mut n = 0;
        while let Some(r) = rows.try_next().await.expect("row") {
            std::hint::black_box(row(r));
            n += 1;
        }
        n
    }

    /// One insert.
    pub async fn insert(pool: &sqlx::PgPool, r: &InsertRow) -> u64 {
        sqlx::query(
            "INSERT INTO bench_insert (id, name, email, score, active) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(r.id)
        .bind(&r.name)
        .bind(&r.email)
        .bind(r.score)
        .bind(r.active)
        .execute(pool)
        .await
        .expect("insert")
        .rows_affected()
    }
}

/// `n` rows to insert, with ids from `first`.
pub fn batch(first: i64, n: usize) -> Vec<InsertRow> {
    (0..n as i64)
        .map(|i| InsertRow {
            id: first + i,
            name: format!("name {}", first + i),
            email: (i % 3 != 0).then(|| format!("user{}@example.com", first + i)),
            score: (i % 1000) as i32,
            active: i % 2 == 0,
        })
        .collect()
}
