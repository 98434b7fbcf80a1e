use repo_runtime::{Entity, Result, repository_for};

#[derive(Entity)]
#[entity(table = "users")]
pub struct User {
    #[entity(key)]
    pub id: i64,
    pub phone: String,
}

#[repository_for(User)]
pub trait Users {
    // Rows are a `Vec`; `Option<Vec<User>>` is not a return kind.
    #[sql("SELECT <<columns>> FROM <<table>>")]
    async fn all(&self) -> Result<Option<Vec<User>>>;
}

fn main() {}
