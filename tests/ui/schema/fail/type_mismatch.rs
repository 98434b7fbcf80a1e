use repo_runtime::Entity;

#[derive(Entity)]
#[entity(table = "users", schema = "../migrations")]
pub struct User {
    #[entity(key)]
    pub id: i64,
    pub age: i64,
    pub tags: Vec<i64>,
    pub created_at: String,
}

fn main() {}
