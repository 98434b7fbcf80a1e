use repo_runtime::Entity;

#[derive(Entity)]
#[entity(tabel = "users")]
pub struct User {
    #[entity(key)]
    pub id: i64,
}

fn main() {}
