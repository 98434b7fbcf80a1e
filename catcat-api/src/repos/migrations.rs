//! The record of applied migrations and the advisory lock that serializes migrators.

use chrono::{DateTime, Utc};
use repo_runtime::{Entity, Result, repository_for};

/// A row of `schema_migrations` (created by the runner, not by a migration).
#[derive(Debug, Clone, PartialEq, Entity)]
#[entity(table = "schema_migrations", schema = false)]
pub struct AppliedMigration {
    /// The number the file name starts with.
    #[entity(key)]
    pub version: i64,
    /// The file name.
    pub name: String,
    /// When it ran.
    pub applied_at: DateTime<Utc>,
}

/// Migration bookkeeping.
#[repository_for(AppliedMigration, crud)]
pub trait MigrationRepository {
    /// Creates the bookkeeping table.
    #[sql(
        "CREATE TABLE IF NOT EXISTS <<table>> (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
    )]
    async fn create_table(&self) -> Result<()>;

    /// Every applied migration, in order.
    #[sql("SELECT <<columns>> FROM <<table>> <<orderby:version>>")]
    async fn applied(&self) -> Result<Vec<AppliedMigration>>;

    /// Waits for the migration lock (held by this connection's session).
    #[sql("SELECT pg_advisory_lock(@key)")]
    async fn lock(&self, key: i64) -> Result<()>;

    /// Releases the migration lock.
    #[sql("SELECT pg_advisory_unlock(@key)")]
    async fn unlock(&self, key: i64) -> Result<bool>;
}
