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
    #[sql("SELECT id, phone, email FROM <<table>>")]
    async fn pairs(&self) -> Result<Vec<(i64, String)>>;
}

fn main() {}
