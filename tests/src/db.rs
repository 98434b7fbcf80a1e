//! A fresh database per test, dropped when the test ends (even when it fails).

use std::sync::atomic::{AtomicU32, Ordering};

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime, Timeouts};
use tokio_postgres::NoTls;

/// The server the tests use: `TEST_DATABASE_URL`, else the local default.
pub fn server_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:5432/postgres".to_owned())
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A database that exists for one test.
#[derive(Debug)]
pub struct TestDb {
    name: String,
    config: tokio_postgres::Config,
}

impl TestDb {
    /// Creates an empty database with a unique name and applies `schema`.
    pub async fn new(schema: &str) -> Self {
        let admin_config: tokio_postgres::Config =
            server_url().parse().expect("TEST_DATABASE_URL is a valid URL");
        let name = format!(
            "repo_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0)
        );
        let (admin, conn) = admin_config.connect(NoTls).await.expect("connect to the test server");
        let task = tokio::spawn(conn);
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create the test database");
        drop(admin);
        let _ = task.await;
        let mut config = admin_config;
        config.dbname(&name);
        let db = Self { name, config };
        if !schema.is_empty() {
            db.client().await.batch_execute(schema).await.expect("apply the test schema");
        }
        db
    }

    /// A client of its own on this database (statements cached, as `repo_runtime::connect`
    /// makes it).
    pub async fn client(&self) -> repo_runtime::CachedClient {
        repo_runtime::connect(&self.config, NoTls).await.expect("connect to the test database")
    }

    /// A plain `tokio_postgres::Client` on this database.
    pub async fn plain_client(&self) -> tokio_postgres::Client {
        let (client, conn) =
            self.config.connect(NoTls).await.expect("connect to the test database");
        tokio::spawn(conn);
        client
    }

    /// A pool of `size` connections that waits at most `wait` for one.
    pub fn pool(&self, size: usize, wait: std::time::Duration) -> Pool {
        let manager = Manager::from_config(
            self.config.clone(),
            NoTls,
            ManagerConfig { recycling_method: RecyclingMethod::Fast },
        );
        Pool::builder(manager)
            .max_size(size)
            .runtime(Runtime::Tokio1)
            .timeouts(Timeouts { wait: Some(wait), create: Some(wait), recycle: Some(wait) })
            .build()
            .expect("build the pool")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs outside async context guarantees: use a private runtime on its own thread.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build();
            if let Ok(rt) = rt {
                rt.block_on(async move {
                    let Ok(cfg) = server_url().parse::<tokio_postgres::Config>() else { return };
                    if let Ok((admin, conn)) = cfg.connect(NoTls).await {
                        tokio::spawn(conn);
                        let _ = admin
                            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .await;
                    }
                });
            }
        })
        .join();
    }
}
