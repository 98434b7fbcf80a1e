use repo_runtime::Entity;

#[derive(Entity)]
pub struct Pair(i64, String);

fn main() {}
