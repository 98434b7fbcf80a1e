//! A plain tokio_postgres::Client would prepare every statement on every call: it is refused,
//! and the error says what to use instead.

use repo_runtime::{Entity, Result, repository_for};

#[derive(Debug, Entity)]
pub struct Book {
    #[entity(key)]
    pub id: i64,
}

#[repository_for(Book)]
pub trait Books {
    #[sql("SELECT <<columns>> FROM <<table>> WHERE <<where:id>>")]
    async fn get(&self, id: i64) -> Result<Option<Book>>;
}

async fn read(client: tokio_postgres::Client) {
    let _ = PgBooks::new(&client).get(1).await;
}

fn main() {
    let _ = read;
}
