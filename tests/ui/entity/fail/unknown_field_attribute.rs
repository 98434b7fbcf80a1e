use repo_runtime::Entity;

#[derive(Entity)]
pub struct User {
    #[entity(primary)]
    pub id: i64,
}

fn main() {}
