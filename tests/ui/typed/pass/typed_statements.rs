//! Hand-written statements whose every column the migrations type, read as the types they
//! have: outer joins as `Option`, aggregates by their PostgreSQL result types, NULL ruled out
//! by COALESCE, by an inner join, by `IS NOT NULL` and by a condition on the outer side.

include!("../entity.rs");

use repo_runtime::types::Decimal;
use repo_runtime::types::chrono::{DateTime, Utc};
use repo_runtime::{Result, repository_for};

#[repository_for(Loan)]
pub trait Loans {
    #[sql("SELECT u.phone, l.title, l.returned_at FROM users u LEFT JOIN loans l ON l.user_id = u.id")]
    async fn with_loans(&self) -> Result<Vec<(String, Option<String>, Option<DateTime<Utc>>)>>;

    #[sql("SELECT u.phone, l.title FROM users u JOIN loans l ON l.user_id = u.id")]
    async fn inner(&self) -> Result<Vec<(String, String)>>;

    #[sql("SELECT l.title FROM users u LEFT JOIN loans l ON l.user_id = u.id WHERE l.id > 0")]
    async fn matched(&self) -> Result<Vec<String>>;

    #[sql("SELECT returned_at FROM <<table>> WHERE returned_at IS NOT NULL")]
    async fn returned(&self) -> Result<Vec<DateTime<Utc>>>;

    #[sql("SELECT count(*), coalesce(sum(pages), 0), max(lent_at) FROM <<table>>")]
    async fn stats(&self) -> Result<(i64, i64, Option<DateTime<Utc>>)>;

    #[sql("SELECT user_id, count(*), sum(pages), avg(pages) FROM <<table>> GROUP BY user_id")]
    async fn per_user(&self) -> Result<Vec<(i64, i64, Option<i64>, Option<Decimal>)>>;

    #[sql("SELECT max(lent_at) FROM <<table>>")]
    async fn last_lent(&self) -> Result<Option<DateTime<Utc>>>;

    #[sql("SELECT <<columns>> FROM <<table>> l WHERE EXISTS (SELECT 1 FROM users u WHERE u.id = l.user_id)")]
    async fn of_users(&self) -> Result<Vec<Loan>>;

    #[sql("SELECT title FROM <<table>> WHERE user_id = @user AND pages BETWEEN @low AND @high AND title LIKE @pattern AND id = ANY(@ids) ORDER BY id LIMIT @n OFFSET @skip")]
    async fn parameters(&self, user: i64, low: i32, high: Option<i32>, pattern: &str, ids: &[i64], n: i64, skip: i64) -> Result<Vec<String>>;

    #[sql("UPDATE <<table>> SET pages = coalesce(@pages, pages), returned_at = @at WHERE id = @id")]
    async fn set_pages(&self, id: i64, pages: Option<i32>, at: Option<DateTime<Utc>>) -> Result<u64>;

    #[sql("INSERT INTO <<table>> (id, user_id, title) VALUES (@id, @user, @title) ON CONFLICT (id) DO UPDATE SET title = excluded.title")]
    async fn upsert(&self, id: i64, user: i64, title: &str) -> Result<u64>;

    /// What the inference does not model is left to `verify()`, never an error.
    #[sql("SELECT my_function(title) FROM <<table>>")]
    async fn unknown(&self) -> Result<Vec<i32>>;
}

fn main() {}
