use repo_runtime::Entity;

#[derive(Entity)]
pub struct User {
    #[entity(key, key)]
    pub id: i64,
}

fn main() {}
