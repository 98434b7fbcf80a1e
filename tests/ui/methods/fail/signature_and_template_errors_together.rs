use repo_runtime::{Entity, Result, repository_for};

#[derive(Entity)]
#[entity(table = "users")]
pub struct User {
    #[entity(key)]
    pub id: i64,
    pub phone: String,
}

// A wrong signature and a wrong template are both reported by one build.
#[repository_for(User)]
pub trait Users {
    #[sql("SELECT <<colums>> FROM <<table>> WHERE phone = @phon")]
    fn by_phone(&self, phone: &str) -> Result<Option<User>>;
}

fn main() {}
