//! The migrations, embedded in the binary and applied in order under a PostgreSQL advisory
//! lock, so replicas starting together on an empty database give one migrator and no errors.

use chrono::Utc;
use deadpool_postgres::Pool;
use repo_runtime::Crud;

use crate::repos::migrations::{AppliedMigration, MigrationRepository, PgMigrationRepository};

/// Every migration: version, file name, SQL.
pub const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "0001_users_and_auth.sql", include_str!("../migrations/0001_users_and_auth.sql")),
    (2, "0002_pets_and_packages.sql", include_str!("../migrations/0002_pets_and_packages.sql")),
    (3, "0003_orders.sql", include_str!("../migrations/0003_orders.sql")),
    (
        4,
        "0004_idempotency_exact_answers.sql",
        include_str!("../migrations/0004_idempotency_exact_answers.sql"),
    ),
    (
        5,
        "0005_access_tokens_valid_after.sql",
        include_str!("../migrations/0005_access_tokens_valid_after.sql"),
    ),
    (6, "0006_payments.sql", include_str!("../migrations/0006_payments.sql")),
];

/// The advisory lock key ("catcat" in ASCII).
const LOCK_KEY: i64 = 0x6361_7463_6174;

/// A migration that failed; the database keeps every migration before it.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// The database refused a statement or the connection failed.
    #[error("migration {name}: {source}")]
    Migration {
        /// The file.
        name: &'static str,
        /// The error.
        #[source]
        source: repo_runtime::Error,
    },
    /// Bookkeeping failed.
    #[error("migration bookkeeping: {0}")]
    Repo(#[from] repo_runtime::Error),
}

/// Applies every migration not yet applied; how many ran.
pub async fn run(pool: &Pool) -> Result<usize, MigrateError> {
    let mut conn = pool.get().await.map_err(repo_runtime::Error::from)?;
    // The usual start finds everything applied: one read, no lock, no DDL.
    if current(&PgMigrationRepository::new(&conn).applied().await) {
        return Ok(0);
    }
    // Waiting for another replica's migrations, and migrating, may take longer than the
    // statement timeout the pool sets; the connection gets its default back before it returns.
    let unlimited = |e: tokio_postgres::Error| MigrateError::Repo(e.into());
    conn.batch_execute("SET statement_timeout = 0").await.map_err(unlimited)?;
    let result = match PgMigrationRepository::new(&conn).lock(LOCK_KEY).await {
        Ok(_) => {
            let applied = apply(&mut conn).await;
            // Unlock even when a migration failed; a dropped connection releases it too.
            let unlocked = PgMigrationRepository::new(&conn).unlock(LOCK_KEY).await;
            applied.and_then(|ran| unlocked.map(|_| ran).map_err(MigrateError::from))
        }
        Err(e) => Err(e.into()),
    };
    conn.batch_execute("RESET statement_timeout").await.map_err(unlimited)?;
    result
}

async fn apply(conn: &mut deadpool_postgres::Object) -> Result<usize, MigrateError> {
    PgMigrationRepository::new(&*conn).create_table().await?;
    let applied: Vec<i64> = PgMigrationRepository::new(&*conn)
        .applied()
        .await?
        .into_iter()
        .map(|m| m.version)
        .collect();
    let mut ran = 0;
    for &(version, name, sql) in MIGRATIONS.iter().filter(|(v, _, _)| !applied.contains(v)) {
        let fail = |e: tokio_postgres::Error| MigrateError::Migration { name, source: e.into() };
        let tx = conn.transaction().await.map_err(fail)?;
        tx.batch_execute(sql).await.map_err(fail)?;
        PgMigrationRepository::new(&tx)
            .insert(&AppliedMigration { version, name: name.to_owned(), applied_at: Utc::now() })
            .await
            .map_err(|e| MigrateError::Migration { name, source: e })?;
        tx.commit().await.map_err(fail)?;
        tracing::info!(migration = name, "applied");
        ran += 1;
    }
    Ok(ran)
}

/// Whether every embedded migration has been applied.
pub async fn is_current(pool: &Pool) -> bool {
    current(&PgMigrationRepository::new(pool).applied().await)
}

/// Whether `applied` (the table's rows, or the error of reading a table not yet created) holds
/// every embedded migration.
fn current(applied: &Result<Vec<AppliedMigration>, repo_runtime::Error>) -> bool {
    applied.as_ref().is_ok_and(|applied| {
        MIGRATIONS.iter().all(|(v, _, _)| applied.iter().any(|a| a.version == *v))
    })
}

#[cfg(test)]
mod tests {
    /// The compile-time schema check reads the migrations folder; the binary applies this
    /// list: a file added to one and not the other compiles and then fails at run time.
    #[test]
    fn every_migration_file_is_embedded_in_order() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .expect("the migrations folder")
            .map(|e| e.expect("an entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        files.sort();
        let embedded: Vec<String> = super::MIGRATIONS.iter().map(|m| m.1.to_owned()).collect();
        assert_eq!(embedded, files);
        for (i, (version, name, _)) in super::MIGRATIONS.iter().enumerate() {
            assert_eq!(*version, i as i64 + 1, "{name}");
            assert!(name.starts_with(&format!("{version:04}_")), "{name}");
        }
    }
}
