//! Integer and text enums, as fields, arguments and results.

use repo_runtime::{Entity, Result, SqlEnum, repository_for};

#[derive(Debug, Clone, Copy, PartialEq, SqlEnum)]
pub enum Status {
    Queued = -1,
    Pending,
    Accepted,
    Done = 9,
}

#[derive(Debug, Clone, Copy, PartialEq, SqlEnum)]
#[sql_enum(text)]
pub enum Kind {
    Cat,
    #[sql_enum(rename = "dog")]
    Hound,
    GuineaPig,
}

#[derive(Debug, Entity)]
pub struct Pet {
    #[entity(key)]
    pub id: i64,
    pub status: Status,
    pub kind: Option<Kind>,
}

#[repository_for(Pet)]
pub trait Pets {
    #[sql("SELECT <<columns>> FROM <<table>> WHERE <<where:auto>>")]
    async fn by_status(&self, status: Status) -> Result<Vec<Pet>>;

    #[sql("SELECT status FROM <<table>> WHERE <<where:id>>")]
    async fn status_of(&self, id: i64) -> Result<Option<Status>>;

    #[sql("INSERT INTO <<table>> (<<columns>>) <<unnest>>")]
    async fn insert_many(&self, pets: &[Pet]) -> Result<u64>;
}

fn main() {}
