use repo_runtime::SqlEnum;

#[derive(SqlEnum)]
pub enum Role {
    Customer,
    Admin(u8),
}

fn main() {}
