use repo_runtime::Entity;

#[derive(Entity)]
pub enum Role {
    Customer,
    Admin,
}

fn main() {}
