//! `unchecked` lets through a statement PostgreSQL accepts but the parser does not know, and
//! wildcards skip the arity check.

use repo_runtime::{Entity, Result, repository_for};

#[derive(Entity)]
#[entity(table = "users")]
pub struct User {
    #[entity(key)]
    pub id: i64,
    pub phone: String,
}

#[repository_for(User)]
pub trait Users {
    #[sql("LOCK TABLE <<table>> IN ACCESS EXCLUSIVE MODE NOWAIT", unchecked)]
    async fn lock(&self) -> Result<()>;

    #[sql("SELECT * FROM <<table>>")]
    async fn all(&self) -> Result<Vec<User>>;

    #[sql("SELECT u.*, 1 FROM <<table>> u")]
    async fn with_extra(&self) -> Result<Vec<(i64, String, i32)>>;
}

fn main() {}
