//! Tables and columns of hand-written SQL that the migrations do not have.

include!("../entity.rs");

use repo_runtime::{Result, repository_for};

#[repository_for(Loan)]
pub trait Loans {
    #[sql("SELECT l.title FROM loans l JOIN user u ON u.id = l.user_id")]
    async fn titles(&self) -> Result<Vec<String>>;

    #[sql("SELECT l.titel FROM loans l WHERE l.id = @id")]
    async fn title(&self, id: i64) -> Result<String>;

    #[sql("SELECT title FROM loans WHERE returned IS NULL")]
    async fn out(&self) -> Result<Vec<String>>;
}

fn main() {}
