//! Arguments bound as parameters PostgreSQL types otherwise: compared with a `bigint` column,
//! inserted into an `int` one, a LIMIT, an `= ANY` over `bigint`.

include!("../entity.rs");

use repo_runtime::{Result, repository_for};

#[repository_for(Loan)]
pub trait Loans {
    #[sql("SELECT title FROM <<table>> WHERE user_id = @user ORDER BY id LIMIT @n")]
    async fn of_user(&self, user: i32, n: i32) -> Result<Vec<String>>;

    #[sql("INSERT INTO <<table>> (user_id, title, pages) VALUES (@user, @title, @pages)")]
    async fn lend(&self, user: i64, title: &str, pages: Option<i64>) -> Result<u64>;

    #[sql("SELECT title FROM <<table>> WHERE id = ANY(@ids)")]
    async fn titles(&self, ids: &[i32]) -> Result<Vec<String>>;
}

fn main() {}
