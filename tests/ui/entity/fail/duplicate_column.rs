use repo_runtime::Entity;

#[derive(Entity)]
pub struct User {
    #[entity(key)]
    pub id: i64,
    pub phone: String,
    #[entity(rename = "phone")]
    pub mobile: String,
}

fn main() {}
