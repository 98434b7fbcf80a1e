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
    #[sql("SELECT id, phone, <<total>> FROM <<table>> <<orderby:id>> <<paginate>>")]
    async fn page(&self, limit: i64, offset: i64) -> Result<repo_runtime::Page<User>>;
}

fn main() {}
