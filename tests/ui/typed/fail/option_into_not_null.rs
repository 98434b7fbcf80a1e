//! An `Option` argument written straight into a NOT NULL column: `None` would fail at run time
//! with a not-null violation; the build says so first. Through COALESCE it is fine.

include!("../entity.rs");

use repo_runtime::{Result, repository_for};

#[repository_for(Loan)]
pub trait Loans {
    #[sql("INSERT INTO <<table>> (user_id, title) VALUES (@user, @title)")]
    async fn lend(&self, user: i64, title: Option<&str>) -> Result<u64>;

    #[sql("UPDATE <<table>> SET title = @title, pages = @pages WHERE id = @id")]
    async fn retitle(&self, id: i64, title: &Option<String>, pages: Option<i32>) -> Result<u64>;

    #[sql("UPDATE <<table>> SET title = COALESCE(@title, title) WHERE id = @id")]
    async fn maybe_retitle(&self, id: i64, title: Option<&str>) -> Result<u64>;
}

fn main() {}
