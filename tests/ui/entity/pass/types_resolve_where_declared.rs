//! An entity's field types resolve where the entity is declared: the repository's module
//! imports neither `NaiveDate` nor `Genre`, and binds, batches and reads them all.

mod model {
    use chrono::NaiveDate;
    use repo_runtime::{Entity, SqlEnum};

    #[derive(Debug, Clone, Copy, SqlEnum)]
    #[sql_enum(text)]
    pub enum Genre {
        Novel,
        Poetry,
    }

    #[derive(Debug, Clone, Entity)]
    #[entity(table = "releases", schema = false)]
    pub struct Release {
        #[entity(key)]
        pub id: i64,
        pub published: NaiveDate,
        pub genre: Genre,
        pub reprinted: Option<NaiveDate>,
    }
}

mod repos {
    use crate::model::Release;
    use repo_runtime::{Result, repository_for};

    #[repository_for(Release, crud)]
    pub trait Releases {
        #[sql("INSERT INTO <<table>> (<<columns>>) VALUES (<<values>>)")]
        async fn add(&self, release: &Release) -> Result<u64>;

        #[sql("INSERT INTO <<table>> (<<columns>>) <<unnest>>")]
        async fn add_many(&self, releases: &[Release]) -> Result<u64>;

        #[sql("UPDATE <<table>> SET <<set>> WHERE <<where:id>>")]
        async fn change(&self, release: &Release) -> Result<u64>;

        #[sql("SELECT <<columns>> FROM <<table>> WHERE <<where:id>>")]
        async fn find(&self, id: i64) -> Result<Option<Release>>;
    }
}

fn main() {
    let _ = repos::PgReleases::<deadpool_postgres::Pool>::STATEMENTS;
}
