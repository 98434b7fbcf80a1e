use repo_runtime::Entity;

#[derive(Entity)]
#[entity(table = "users", schema = "../no-such-folder")]
pub struct User {
    #[entity(key)]
    pub id: i64,
}

fn main() {}
