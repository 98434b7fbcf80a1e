use repo_runtime::Entity;

#[derive(Entity)]
#[entity(table = "users", schema = 1)]
pub struct User {
    #[entity(key)]
    pub id: i64,
}

fn main() {}
