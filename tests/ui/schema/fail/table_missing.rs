use repo_runtime::Entity;

#[derive(Entity)]
#[entity(table = "user", schema = "../migrations")]
pub struct User {
    #[entity(key)]
    pub id: i64,
}

fn main() {}
