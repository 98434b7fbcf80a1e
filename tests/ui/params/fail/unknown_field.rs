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
    #[sql("UPDATE <<table>> SET phone = @user.phon WHERE <<where:id>>")]
    async fn set_phone(&self, user: &User) -> Result<u64>;
}

fn main() {}
