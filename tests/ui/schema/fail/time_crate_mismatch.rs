use repo_runtime::Entity;
use repo_runtime::types::time::PrimitiveDateTime;

// The time crate's types are checked like chrono's: a TIMESTAMPTZ column needs an
// `OffsetDateTime`.
#[derive(Entity)]
#[entity(table = "users", schema = "../migrations")]
pub struct User {
    #[entity(key)]
    pub id: i64,
    pub created_at: PrimitiveDateTime,
}

fn main() {}
