//! `ON CONFLICT (…)` over columns no key covers: PostgreSQL refuses the statement when it is
//! prepared; here the build does.

include!("../entity.rs");

use repo_runtime::{Result, repository_for};

#[repository_for(Loan)]
pub trait Loans {
    #[sql("INSERT INTO <<table>> (user_id, title) VALUES (@user, @title) ON CONFLICT (user_id, title) DO NOTHING")]
    async fn lend_once(&self, user: i64, title: &str) -> Result<u64>;
}

fn main() {}
