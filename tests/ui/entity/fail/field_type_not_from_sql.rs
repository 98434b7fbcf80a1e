use repo_runtime::Entity;

#[derive(Entity)]
pub struct User {
    #[entity(key)]
    pub id: i64,
    pub timeout: std::time::Duration,
}

fn main() {}
