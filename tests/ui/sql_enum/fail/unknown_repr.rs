use repo_runtime::SqlEnum;

#[derive(SqlEnum)]
#[sql_enum(string)]
pub enum Role {
    Customer,
    Admin,
}

fn main() {}
