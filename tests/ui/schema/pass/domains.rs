//! Columns typed by domains are checked as their base types, NOT NULL where the domain is.

use repo_runtime::Entity;

#[derive(Debug, Entity)]
#[entity(table = "accounts", schema = "../migrations")]
pub struct Account {
    #[entity(key)]
    pub id: i64,
    pub email: String,
    pub balance: i64,
    pub credit: Option<i64>,
}

fn main() {}
