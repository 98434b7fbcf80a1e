use repo_runtime::Entity;

#[derive(Entity)]
#[entity(table = "users", schema = "../migrations")]
pub struct User {
    #[entity(key)]
    pub id: i64,
    pub email: Option<String>,
    pub legacy: Option<String>,
}

fn main() {}
