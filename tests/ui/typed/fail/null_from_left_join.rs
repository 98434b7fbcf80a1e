//! A column from the outer side of a LEFT JOIN read into a type that cannot hold NULL, even
//! with a WHERE on the other table (sqlx #2127) and inside a CTE (safeql #499).

include!("../entity.rs");

use repo_runtime::{Result, repository_for};

#[repository_for(Loan)]
pub trait Loans {
    #[sql("SELECT u.phone, l.title FROM users u LEFT JOIN loans l ON l.user_id = u.id WHERE u.id = @id")]
    async fn latest_title(&self, id: i64) -> Result<Vec<(String, String)>>;

    #[sql("WITH lent AS (SELECT u.id, l.lent_at FROM users u LEFT JOIN loans l ON l.user_id = u.id)
           SELECT id, lent_at FROM lent")]
    async fn lent(&self) -> Result<Vec<(i64, repo_runtime::types::chrono::DateTime<repo_runtime::types::chrono::Utc>)>>;

    #[sql("SELECT max(lent_at) FROM <<table>>")]
    async fn last_lent(&self) -> Result<repo_runtime::types::chrono::DateTime<repo_runtime::types::chrono::Utc>>;
}

fn main() {}
