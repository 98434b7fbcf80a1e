use repo_runtime::{Entity, Result, repository_for};

#[derive(Entity)]
#[entity(table = "users")]
pub struct User {
    #[entity(key)]
    pub id: i64,
    pub phone: String,
    pub email: Option<String>,
}

pub struct Plain {
    pub id: i64,
}

#[repository_for(Plain)]
pub trait Plains {
    #[sql("SELECT id FROM plain")]
    async fn ids(&self) -> Result<Vec<i64>>;
}

fn main() {}
