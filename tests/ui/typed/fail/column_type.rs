//! A result column read as a Rust type PostgreSQL would refuse: `count(*)` is `bigint`,
//! `sum` of an `int` is `bigint`, `avg` is `numeric`.

include!("../entity.rs");

use repo_runtime::{Result, repository_for};

#[repository_for(Loan)]
pub trait Loans {
    #[sql("SELECT count(*) FROM <<table>> WHERE returned_at IS NULL")]
    async fn open(&self) -> Result<i32>;

    #[sql("SELECT user_id, sum(pages), avg(pages) FROM <<table>> GROUP BY user_id")]
    async fn pages(&self) -> Result<Vec<(i64, Option<i32>, Option<f64>)>>;
}

fn main() {}
