//! Every return kind, and generated futures usable from `tokio::spawn`.

use repo_runtime::{Entity, FromRow, Page, Result, Rows, repository_for};

#[derive(Debug, Entity)]
pub struct User {
    #[entity(key)]
    pub id: i64,
    pub name: String,
}

#[derive(Debug, FromRow)]
pub struct NameOnly {
    pub name: String,
}

#[derive(Debug, FromRow)]
pub struct Pair(i64, Option<String>);

#[repository_for(User)]
pub trait Users {
    #[sql("DELETE FROM <<table>>")]
    async fn unit(&self) -> Result<()>;
    #[sql("DELETE FROM <<table>>")]
    async fn affected(&self) -> Result<u64>;
    #[sql("SELECT <<columns>> FROM <<table>> WHERE <<where:id>>")]
    async fn one(&self, id: i64) -> Result<User>;
    #[sql("SELECT <<columns>> FROM <<table>> WHERE <<where:id>>")]
    async fn opt(&self, id: i64) -> Result<Option<User>>;
    #[sql("SELECT <<columns>> FROM <<table>>")]
    async fn many(&self) -> Result<Vec<User>>;
    #[sql("SELECT <<columns>> FROM <<table>>")]
    async fn stream(&self) -> Result<Rows<'_, User>>;
    #[sql("SELECT <<columns>>, <<total>> FROM <<table>> <<paginate>>")]
    async fn page(&self, limit: i64, offset: i64) -> Result<Page<User>>;
    #[sql("SELECT <<count>> FROM <<table>>")]
    async fn scalar(&self) -> Result<i64>;
    #[sql("SELECT name FROM <<table>> WHERE <<where:id>>")]
    async fn opt_scalar(&self, id: i64) -> Result<Option<String>>;
    #[sql("SELECT id, name FROM <<table>>")]
    async fn tuples(&self) -> Result<Vec<(i64, String)>>;
    #[sql("SELECT name FROM <<table>>")]
    async fn projection(&self) -> Result<Vec<NameOnly>>;
    #[sql("SELECT id, name FROM <<table>>")]
    async fn tuple_struct(&self) -> Result<Vec<Pair>>;
    #[sql("SELECT array_agg(id) FROM <<table>>")]
    async fn array(&self) -> Result<Option<Vec<i64>>>;
    #[sql("SELECT EXISTS (SELECT 1 FROM <<table>>)")]
    async fn exists(&self) -> Result<bool>;
    #[sql("SELECT <<columns>> FROM <<table>>")]
    async fn custom_error(&self) -> std::result::Result<Vec<User>, repo_runtime::Error>;
}

fn spawn_all(users: PgUsers<deadpool_postgres::Pool>) {
    tokio::spawn(async move {
        let _ = users.many().await;
        let _ = users.page(10, 0).await;
    });
}

fn main() {
    let _ = spawn_all;
}
