//! The select list of one entity read as rows of another: the widths differ, and the build
//! says so (the macro cannot count `Author`'s fields; the compiler can).

use repo_runtime::{Entity, FromRow, Result, repository_for};

#[derive(Debug, Entity)]
#[entity(table = "users")]
pub struct User {
    #[entity(key)]
    pub id: i64,
    pub phone: String,
    pub email: Option<String>,
}

#[derive(Debug, Entity)]
#[entity(table = "authors")]
pub struct Author {
    #[entity(key)]
    pub id: i64,
    pub name: String,
}

#[derive(Debug, FromRow)]
pub struct Contact {
    pub phone: String,
    pub email: Option<String>,
}

#[repository_for(User)]
pub trait Users {
    #[sql("SELECT <<columns>> FROM <<table>> WHERE <<where:id>>")]
    async fn as_author(&self, id: i64) -> Result<Option<Author>>;

    #[sql("SELECT phone FROM <<table>>")]
    async fn contacts(&self) -> Result<Vec<Contact>>;

    #[sql("SELECT phone, email FROM <<table>>")]
    async fn contacts_right(&self) -> Result<Vec<Contact>>;
}

fn main() {}
