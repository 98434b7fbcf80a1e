//! One transaction around a unit of work, without the begin/commit/`map_err` ceremony.

use crate::Error;

/// Runs `work` inside a transaction on a connection checked out of `pool`: commits when it
/// returns `Ok`, rolls back when it returns `Err`, panics or is cancelled (a dropped
/// transaction rolls back). Repositories built over the transaction it is given run their
/// statements in it, with the connection's statement cache.
///
/// `E` is the caller's error type: failures to check out a connection, to begin or to commit
/// arrive through `From<repo_runtime::Error>`, so a service keeps one error type throughout.
///
/// ```no_run
/// # use repo_runtime::{Entity, Result, repository_for};
/// # #[derive(Debug, Clone, PartialEq, Entity)]
/// # #[entity(table = "books")]
/// # pub struct Book { #[entity(key)] pub id: i64, pub title: String }
/// # #[repository_for(Book, crud)]
/// # pub trait BookRepository {}
/// # async fn example(pool: deadpool_postgres::Pool, a: Book, b: Book) -> Result<()> {
/// use repo_runtime::Crud;
///
/// let moved = repo_runtime::transaction(&pool, async |tx| {
///     let books = PgBookRepository::new(tx);
///     books.insert(&a).await?;
///     books.insert(&b).await?;
///     Ok::<_, repo_runtime::Error>(2)
/// })
/// .await?;
/// # Ok(()) }
/// ```
pub async fn transaction<T, E, F, P>(pool: &P, work: F) -> Result<T, E>
where
    P: crate::Checkout + ?Sized,
    F: for<'t, 'c> AsyncFnOnce(&'t deadpool_postgres::Transaction<'c>) -> Result<T, E>,
    E: From<Error>,
{
    let mut client = pool.checkout().await?;
    let tx = client.transaction().await.map_err(Error::from)?;
    let value = work(&tx).await?;
    tx.commit().await.map_err(Error::from)?;
    Ok(value)
}
