use repo_runtime::Entity;

#[derive(Entity)]
pub struct User {
    #[entity(key, skip)]
    pub id: i64,
    pub phone: String,
}

fn main() {}
