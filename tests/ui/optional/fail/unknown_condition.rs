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
    #[sql("SELECT <<columns>> FROM <<table>> WHERE true <<if present(phone)>>AND phone = @phone<</if>>")]
    async fn find(&self, phone: Option<&str>) -> Result<Vec<User>>;
}

fn main() {}
