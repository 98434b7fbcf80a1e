use repo_runtime::{Entity, Result, repository_for};

#[derive(Entity)]
pub struct Post {
    #[entity(key)]
    pub id: i64,
    pub tags: Vec<String>,
}

#[repository_for(Post)]
pub trait Posts {
    #[sql("INSERT INTO <<table>> (<<columns>>) <<unnest>>")]
    async fn insert_many(&self, posts: &[Post]) -> Result<u64>;
}

fn main() {}
