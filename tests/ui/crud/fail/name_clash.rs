use repo_runtime::{Entity, Result, repository_for};

#[derive(Entity)]
pub struct User {
    #[entity(key)]
    pub id: i64,
    pub phone: String,
}

#[repository_for(User, crud)]
pub trait Users {
    #[sql("SELECT <<columns>> FROM <<table>> <<orderby:id>>")]
    async fn list(&self) -> Result<Vec<User>>;
}

fn main() {}
