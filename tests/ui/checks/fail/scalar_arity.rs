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
    #[sql("UPDATE <<table>> SET phone = @phone WHERE <<where:id>> RETURNING id, phone")]
    async fn set_phone(&self, id: i64, phone: &str) -> Result<Option<i64>>;
}

fn main() {}
