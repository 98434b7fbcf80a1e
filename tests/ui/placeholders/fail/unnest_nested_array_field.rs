use repo_runtime::{Entity, Result, repository_for};

#[derive(Entity)]
pub struct Grid {
    #[entity(key)]
    pub id: i64,
    pub cells: Vec<Vec<i32>>,
}

#[repository_for(Grid)]
pub trait Grids {
    #[sql("INSERT INTO <<table>> (<<columns>>) <<unnest>>")]
    async fn insert_many(&self, grids: &[Grid]) -> Result<u64>;
}

fn main() {}
