use repo_runtime::Entity;

#[derive(Entity)]
#[entity(table = "users", schema = "../broken")]
pub struct User {
    #[entity(key)]
    pub id: i64,
}

fn main() {}
