use repo_runtime::Entity;

#[derive(Entity)]
#[entity(table = "users", schema = "../migrations")]
pub struct User {
    #[entity(key)]
    pub id: i64,
    #[entity(rename = "mail")]
    pub email: String,
}

fn main() {}
