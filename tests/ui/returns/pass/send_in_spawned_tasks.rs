//! Generated futures are `Send` where axum handlers and `tokio::spawn` need them: over a pool
//! by reference, a pooled client, and transactions held across awaits, with borrowed arguments.

use repo_runtime::{Entity, Result, repository_for};

#[derive(Debug, Entity)]
pub struct User {
    #[entity(key)]
    pub id: i64,
    pub phone: String,
}

#[repository_for(User)]
pub trait Users {
    #[sql("SELECT <<columns>> FROM <<table>> WHERE phone = @phone")]
    async fn by_phone(&self, phone: &str) -> Result<Option<User>>;

    #[sql("UPDATE <<table>> SET phone = @phone WHERE <<where:id>>")]
    async fn set_phone(&self, id: i64, phone: &str) -> Result<u64>;
}

fn spawn_all(pool: deadpool_postgres::Pool, phone: String) {
    tokio::spawn(async move {
        let users = PgUsers::new(&pool);
        let _ = users.by_phone(&phone).await;
        let mut client = pool.get().await.unwrap();
        let tx = client.transaction().await.unwrap();
        let in_tx = PgUsers::new(&tx);
        let _ = in_tx.set_phone(1, &phone).await;
        let _ = in_tx.by_phone(&phone).await;
        tx.commit().await.unwrap();
    });
}

fn main() {
    let _ = spawn_all;
}
