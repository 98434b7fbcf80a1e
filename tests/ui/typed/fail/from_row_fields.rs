//! A `FromRow` struct whose fields do not fit the columns: the macro cannot see its fields, so
//! a constant compares them with what the migrations give, by position.

include!("../entity.rs");

use repo_runtime::{FromRow, Result, repository_for};

#[derive(Debug, FromRow)]
pub struct Lent {
    pub phone: String,
    pub title: String,
}

#[derive(Debug, FromRow)]
pub struct Counted {
    pub user_id: i64,
    pub loans: i32,
}

#[repository_for(Loan)]
pub trait Loans {
    #[sql("SELECT u.phone, l.title FROM users u LEFT JOIN loans l ON l.user_id = u.id")]
    async fn lent(&self) -> Result<Vec<Lent>>;

    #[sql("SELECT user_id, count(*) FROM <<table>> GROUP BY user_id")]
    async fn counted(&self) -> Result<Vec<Counted>>;
}

fn main() {}
