use repo_runtime::{Entity, Result, repository_for};

#[derive(Entity)]
#[entity(table = "users")]
pub struct User {
    #[entity(key)]
    pub id: i64,
    pub phone: String,
    pub email: Option<String>,
}

#[derive(Debug)]
pub struct Summary {
    pub phone: String,
}

#[repository_for(User)]
pub trait Users {
    #[sql("SELECT phone FROM <<table>>")]
    async fn phones(&self) -> Result<Vec<Summary>>;
}

fn main() {}
