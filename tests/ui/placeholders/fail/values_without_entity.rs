use repo_runtime::{Entity, Result, repository_for};

#[derive(Entity)]
#[entity(table = "users")]
pub struct User {
    #[entity(key)]
    pub id: i64,
    pub phone: String,
    pub email: Option<String>,
}

#[repository_for(User)]
pub trait Users {
    #[sql("INSERT INTO <<table>> (<<columns>>) VALUES (<<values>>)")]
    async fn insert(&self, id: i64) -> Result<u64>;
}

fn main() {}
