use repo_runtime::{Entity, repository_for};

#[derive(Entity)]
pub struct Event {
    pub name: String,
    pub at: i64,
}

#[repository_for(Event, crud)]
pub trait Events {}

fn main() {}
