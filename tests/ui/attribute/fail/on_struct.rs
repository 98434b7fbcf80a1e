use repo_runtime::{Entity, repository_for};

#[derive(Entity)]
#[entity(table = "users")]
pub struct User {
    #[entity(key)]
    pub id: i64,
    pub phone: String,
    pub email: Option<String>,
}

#[repository_for(User)]
pub struct NotATrait;

fn main() {}
