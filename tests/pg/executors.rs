//! The same repository over a pool, a pooled client, a client of its own, a plain client and
//! transactions.

use std::time::Duration;

use repo_runtime::{Error, Uncached};
use repo_tests::model::{BookRepository, PgBookRepository};

use super::{book, db};

#[tokio::test]
async fn commit_and_rollback() {
    let db = db().await;
    let mut client = db.client().await;
    let tx = client.transaction().await.unwrap();
    PgBookRepository::new(&tx).insert(&book(1)).await.unwrap();
    tx.commit().await.unwrap();
    let tx = client.transaction().await.unwrap();
    let in_tx = PgBookRepository::new(&tx);
    in_tx.insert(&book(2)).await.unwrap();
    assert_eq!(in_tx.count().await.unwrap(), 2, "the transaction sees its own write");
    tx.rollback().await.unwrap();
    let books = PgBookRepository::new(&client);
    assert_eq!(books.count().await.unwrap(), 1);
    assert!(books.get(2).await.unwrap().is_none());
}

#[tokio::test]
async fn a_plain_client_and_transaction_run_when_marked_uncached() {
    let db = db().await;
    let mut client = db.plain_client().await;
    let tx = client.transaction().await.unwrap();
    PgBookRepository::new(Uncached(&tx)).insert(&book(1)).await.unwrap();
    tx.commit().await.unwrap();
    let tx = client.transaction().await.unwrap();
    PgBookRepository::new(Uncached(&tx)).insert(&book(2)).await.unwrap();
    tx.rollback().await.unwrap();
    let books = PgBookRepository::new(Uncached(&client));
    assert_eq!(books.count().await.unwrap(), 1);
    assert!(books.get(2).await.unwrap().is_none());
}

/// Statements this session has prepared (those of the query asking excluded).
async fn prepared(client: &tokio_postgres::Client) -> i64 {
    client
        .query_one(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement NOT LIKE '%pg_prepared_statements%'",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn a_connected_client_and_its_transactions_prepare_each_statement_once() {
    let db = db().await;
    let mut client = db.client().await; // made by repo_runtime::connect
    let books = PgBookRepository::new(&client);
    for _ in 0..5 {
        books.count().await.unwrap();
        books.get(1).await.unwrap();
    }
    assert_eq!(prepared(&client).await, 2, "ten calls, two statements prepared");
    let tx = client.transaction().await.unwrap();
    let in_tx = PgBookRepository::new(&tx);
    for _ in 0..5 {
        in_tx.count().await.unwrap();
        in_tx.get(1).await.unwrap();
    }
    tx.commit().await.unwrap();
    assert_eq!(prepared(&client).await, 2, "the transaction used the client's statements");
}

#[tokio::test]
async fn pooled_clients_and_pooled_transactions() {
    let db = db().await;
    let pool = db.pool(2, Duration::from_secs(5));
    let mut object = pool.get().await.unwrap();
    PgBookRepository::new(&object).insert(&book(1)).await.unwrap();
    let tx = object.transaction().await.unwrap();
    PgBookRepository::new(&tx).insert(&book(2)).await.unwrap();
    tx.rollback().await.unwrap();
    drop(object);
    let books = PgBookRepository::new(pool);
    assert_eq!(books.count().await.unwrap(), 1);
}

#[tokio::test]
async fn a_hundred_tasks_share_a_pool_of_four() {
    let db = db().await;
    let pool = db.pool(4, Duration::from_secs(30));
    let books = PgBookRepository::new(pool.clone());
    let mut tasks = Vec::new();
    for id in 1..=100 {
        let books = books.clone();
        tasks.push(tokio::spawn(async move {
            books.insert(&book(id)).await?;
            books.get_one(id).await
        }));
    }
    for (i, t) in tasks.into_iter().enumerate() {
        assert_eq!(t.await.unwrap().unwrap().id, i as i64 + 1);
    }
    assert_eq!(books.count().await.unwrap(), 100);
    assert!(pool.status().size <= 4, "never more than four connections");
}

#[tokio::test]
async fn an_exhausted_pool_is_a_timeout_error() {
    let db = db().await;
    let pool = db.pool(1, Duration::from_millis(200));
    let held = pool.get().await.unwrap();
    let books = PgBookRepository::new(pool.clone());
    assert!(matches!(books.count().await, Err(Error::PoolTimeout)));
    drop(held);
    assert_eq!(books.count().await.unwrap(), 0, "the pool recovers once a connection is free");
}

#[tokio::test]
async fn statements_are_prepared_once_per_pooled_connection() {
    let db = db().await;
    let pool = db.pool(1, Duration::from_secs(5));
    let books = PgBookRepository::new(pool.clone());
    for _ in 0..5 {
        books.count().await.unwrap();
        books.get(1).await.unwrap();
    }
    let object = pool.get().await.unwrap();
    assert_eq!(prepared(&object).await, 2, "ten calls, two statements prepared");
}

#[tokio::test]
async fn the_transaction_helper_commits_on_ok_and_rolls_back_on_err() {
    let db = db().await;
    let pool = db.pool(1, Duration::from_secs(5));
    let n = repo_runtime::transaction(&pool, async |tx| {
        let books = PgBookRepository::new(tx);
        books.insert(&book(1)).await?;
        books.insert(&book(2)).await?;
        books.count().await
    })
    .await
    .unwrap();
    assert_eq!(n, 2, "the work sees its own writes");
    let failed: Result<(), Error> = repo_runtime::transaction(&pool, async |tx| {
        let books = PgBookRepository::new(tx);
        books.insert(&book(3)).await?;
        books.insert(&book(1)).await?; // a duplicate key: the whole unit goes
        Ok(())
    })
    .await;
    assert!(matches!(failed, Err(Error::UniqueViolation { .. })), "{failed:?}");
    let books = PgBookRepository::new(pool);
    assert_eq!(books.count().await.unwrap(), 2, "book 3 was rolled back with the failure");
    assert!(books.get(3).await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shedding_pool_refuses_at_once_beyond_its_queue() {
    let db = db().await;
    let shedding = repo_runtime::SheddingPool::new(db.pool(1, Duration::from_secs(5)), 1);
    let books = PgBookRepository::new(&shedding);
    books.insert(&book(1)).await.unwrap();
    let held = shedding.pool().get().await.unwrap();
    let waiting = books.count();
    let refused = async {
        while shedding.queued() < 1 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let started = std::time::Instant::now();
        let call = books.get(1).await;
        let tx = repo_runtime::transaction(&shedding, async |_| Ok::<_, Error>(())).await;
        let took = started.elapsed();
        drop(held);
        (call, tx, took)
    };
    let (count, (call, tx, took)) = tokio::join!(waiting, refused);
    assert!(matches!(call, Err(Error::Overloaded { queued: 1 })), "{call:?}");
    assert!(matches!(tx, Err(Error::Overloaded { queued: 1 })), "{tx:?}");
    assert!(took < Duration::from_secs(1), "refused after {took:?}, not at once");
    assert_eq!(count.unwrap(), 1, "the queued call ran once the connection was free");
    assert_eq!(shedding.queued(), 0);
    assert!(books.get(1).await.unwrap().is_some());
}
