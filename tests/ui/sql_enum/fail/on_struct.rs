use repo_runtime::SqlEnum;

#[derive(SqlEnum)]
pub struct Role {
    pub value: i32,
}

fn main() {}
