use repo_runtime::SqlEnum;

const ADMIN: isize = 99;

#[derive(SqlEnum)]
pub enum Role {
    Customer = 1,
    Admin = ADMIN,
}

fn main() {}
