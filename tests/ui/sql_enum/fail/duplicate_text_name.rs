use repo_runtime::SqlEnum;

#[derive(SqlEnum)]
#[sql_enum(text)]
pub enum Role {
    Customer,
    #[sql_enum(rename = "customer")]
    Client,
}

fn main() {}
