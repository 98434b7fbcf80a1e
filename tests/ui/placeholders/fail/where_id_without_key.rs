use repo_runtime::{Entity, Result, repository_for};

#[derive(Entity)]
pub struct Event {
    pub name: String,
    pub at: i64,
}

#[repository_for(Event)]
pub trait Events {
    #[sql("SELECT <<columns>> FROM <<table>> WHERE <<where:id>>")]
    async fn get(&self, id: i64) -> Result<Option<Event>>;
}

fn main() {}
