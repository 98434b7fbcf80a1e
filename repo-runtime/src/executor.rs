//! Where generated methods run their statements.
//!
//! A repository holds one [`Executor`]: a `deadpool_postgres::Pool` (a connection is checked
//! out for each call and returned when it ends, so repositories are stateless and safe to
//! share across tasks and replicas), a pooled client, a client of its own made by [`connect`]
//! ([`CachedClient`]), or a transaction of any of these — by value or by reference. Each of
//! them prepares a statement once per connection. A plain `tokio_postgres::Client` or
//! `Transaction` has nowhere to keep its statements, so it is not an executor: wrapping it in
//! [`Uncached`] says in the code that every call prepares its statement again.
//!
//! The executor only says which of these it is ([`Source`]); the runtime does the rest with
//! concrete types. Keeping generics and lifetimes out of the futures is what lets generated
//! futures be `Send` inside axum handlers and `tokio::spawn`, transactions included.

use bytes::Bytes;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{CopyInSink, RowStream, Statement};

use crate::{Error, Result};

/// A parameter list as generated code passes it: one reference per `$n`, in order.
pub type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// What an [`Executor`] runs on.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub enum Source<'a> {
    /// A pool: check out a connection per call.
    Pool(&'a deadpool_postgres::Pool),
    /// A pool that refuses a checkout at once when too many already wait.
    Shedding(&'a SheddingPool),
    /// A pooled connection (statements cached per connection).
    Pooled(&'a deadpool_postgres::ClientWrapper),
    /// A transaction on a pooled connection (statements cached per connection).
    PooledTransaction(&'a deadpool_postgres::Transaction<'a>),
    /// A plain client, wrapped in [`Uncached`] (statements prepared on every call).
    Client(&'a tokio_postgres::Client),
    /// A plain transaction, wrapped in [`Uncached`] (statements prepared on every call).
    Transaction(&'a tokio_postgres::Transaction<'a>),
}

impl std::fmt::Debug for Source<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Pool(_) => "Source::Pool",
            Self::Shedding(_) => "Source::Shedding",
            Self::Pooled(_) => "Source::Pooled",
            Self::PooledTransaction(_) => "Source::PooledTransaction",
            Self::Client(_) => "Source::Client",
            Self::Transaction(_) => "Source::Transaction",
        })
    }
}

/// What a generated repository is built over.
///
/// Implemented for [`deadpool_postgres::Pool`], pooled clients
/// ([`deadpool_postgres::Object`], [`deadpool_postgres::ClientWrapper`], which [`connect`]
/// makes), their transactions, [`Uncached`] plain clients and transactions, and references to
/// any of them: `PgUsers::new(pool.clone())`, `PgUsers::new(&client)`, `PgUsers::new(&tx)`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot run a repository's statements",
    label = "not an executor",
    note = "a repository runs over a deadpool_postgres::Pool, a pooled client, a client made by \
            repo_runtime::connect, or a transaction of one of them; each prepares a statement once \
            per connection",
    note = "a plain tokio_postgres::Client or Transaction has no statement cache: use \
            repo_runtime::connect(&config, NoTls) instead of config.connect(NoTls), or pass \
            repo_runtime::Uncached(&client) to prepare the statement on every call"
)]
pub trait Executor: Send + Sync {
    /// Where this executor's statements run (for generated code).
    #[doc(hidden)]
    fn source(&self) -> Source<'_>;
}

impl<E: Executor + ?Sized> Executor for &E {
    fn source(&self) -> Source<'_> {
        (**self).source()
    }
}

impl Executor for deadpool_postgres::Pool {
    fn source(&self) -> Source<'_> {
        Source::Pool(self)
    }
}

impl Executor for deadpool_postgres::Object {
    fn source(&self) -> Source<'_> {
        Source::Pooled(self)
    }
}

impl Executor for deadpool_postgres::ClientWrapper {
    fn source(&self) -> Source<'_> {
        Source::Pooled(self)
    }
}

impl Executor for deadpool_postgres::Transaction<'_> {
    fn source(&self) -> Source<'_> {
        Source::PooledTransaction(self)
    }
}

/// A pool that sheds load instead of queueing it: a checkout that finds `max_queued` callers
/// already waiting for a connection fails at once with [`Error::Overloaded`], which a service
/// answers with 503 and `Retry-After`, instead of joining a queue that only the pool's wait
/// timeout bounds. A repository runs over it as over the pool (`PgUsers::new(&shedding)`), and
/// so does [`transaction`](crate::transaction).
///
/// The waiting callers are counted by one atomic counter shared by the clones (a checkout that
/// finds an idle connection passes through it at once); nothing is locked on the way.
///
/// ```no_run
/// # fn demo(pool: deadpool_postgres::Pool) {
/// let db = repo_runtime::SheddingPool::new(pool, 256);
/// assert_eq!(db.queued(), 0);
/// # }
/// ```
#[derive(Clone)]
pub struct SheddingPool {
    pool: deadpool_postgres::Pool,
    max_queued: usize,
    waiting: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

/// A caller counted as waiting until this is dropped.
#[derive(Debug)]
pub(crate) struct Waiting<'a>(&'a std::sync::atomic::AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

impl SheddingPool {
    /// Over `pool`, refusing a checkout while `max_queued` callers wait for a connection.
    pub fn new(pool: deadpool_postgres::Pool, max_queued: usize) -> Self {
        Self { pool, max_queued, waiting: Default::default() }
    }

    /// The pool underneath (its status, its own checkouts, which are not shed).
    pub fn pool(&self) -> &deadpool_postgres::Pool {
        &self.pool
    }

    /// How many callers wait for a connection now.
    pub fn queued(&self) -> usize {
        self.waiting.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Counts the caller as waiting, or `Err(Overloaded)` when the queue is full.
    pub(crate) fn enter(&self) -> Result<Waiting<'_>> {
        let queued = self.waiting.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let waiting = Waiting(&self.waiting);
        if queued >= self.max_queued { Err(Error::Overloaded { queued }) } else { Ok(waiting) }
    }

    /// Checks out a connection, or refuses at once ([`Error::Overloaded`]) when the queue is
    /// full.
    pub async fn get(&self) -> Result<deadpool_postgres::Object> {
        let _waiting = self.enter()?;
        self.pool.get().await.map_err(Error::from)
    }
}

impl std::fmt::Debug for SheddingPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SheddingPool")
            .field("status", &self.pool.status())
            .field("queued", &self.queued())
            .field("max_queued", &self.max_queued)
            .finish()
    }
}

impl Executor for SheddingPool {
    fn source(&self) -> Source<'_> {
        Source::Shedding(self)
    }
}

/// What a connection is checked out of for a [`transaction`](crate::transaction): a pool, or
/// a [`SheddingPool`] (which may refuse at once).
pub trait Checkout: Sync {
    /// Checks out a connection.
    fn checkout(&self) -> impl Future<Output = Result<deadpool_postgres::Object>> + Send;
}

impl Checkout for deadpool_postgres::Pool {
    async fn checkout(&self) -> Result<deadpool_postgres::Object> {
        self.get().await.map_err(Error::from)
    }
}

impl Checkout for SheddingPool {
    async fn checkout(&self) -> Result<deadpool_postgres::Object> {
        self.get().await
    }
}

/// A client of its own with a statement cache: what [`connect`] returns. Its
/// [`transaction`](deadpool_postgres::ClientWrapper::transaction)s share the cache.
pub type CachedClient = deadpool_postgres::ClientWrapper;

/// Connects to PostgreSQL, drives the connection on a tokio task, and returns a client that
/// prepares each statement once: a repository over it (or over one of its transactions) costs
/// what it costs over a pool. The task ends when the client is dropped.
///
/// ```no_run
/// # async fn demo() -> Result<(), tokio_postgres::Error> {
/// let config: tokio_postgres::Config = "postgres://postgres@localhost/app".parse()?;
/// let mut client = repo_runtime::connect(&config, tokio_postgres::NoTls).await?;
/// client.batch_execute("SET application_name = 'report'").await?; // the client's own methods
/// let tx = client.transaction().await?; // shares the client's statement cache
/// tx.commit().await?;
/// # Ok(()) }
/// ```
pub async fn connect<T>(
    config: &tokio_postgres::Config,
    tls: T,
) -> std::result::Result<CachedClient, tokio_postgres::Error>
where
    T: tokio_postgres::tls::MakeTlsConnect<tokio_postgres::Socket>,
    T::Stream: Send + 'static,
{
    let (client, connection) = config.connect(tls).await?;
    let task = tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::warn!(error = %e, "repo_runtime::connect: the connection ended with an error");
        }
    });
    Ok(deadpool_postgres::ClientWrapper::new(client, task))
}

/// A plain `tokio_postgres::Client` or `Transaction` (by reference) as an executor that
/// prepares each statement on every call: one extra round trip per call, about four times the
/// cost of a cached call. For a client that lives more than a few calls, use [`connect`].
///
/// ```no_run
/// # use repo_runtime::{Entity, Result, repository_for};
/// # #[derive(Debug, Entity)] pub struct Book { #[entity(key)] pub id: i64 }
/// # #[repository_for(Book)] pub trait Books {
/// #     #[sql("SELECT <<columns>> FROM <<table>> WHERE <<where:id>>")]
/// #     async fn get(&self, id: i64) -> Result<Option<Book>>;
/// # }
/// # async fn demo(client: tokio_postgres::Client) -> Result<()> {
/// let books = PgBooks::new(repo_runtime::Uncached(&client));
/// let _ = books.get(1).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Uncached<E>(pub E);

impl Executor for Uncached<&tokio_postgres::Client> {
    fn source(&self) -> Source<'_> {
        Source::Client(self.0)
    }
}

impl<'t> Executor for Uncached<&tokio_postgres::Transaction<'t>> {
    fn source(&self) -> Source<'_> {
        Source::Transaction(self.0)
    }
}

/// A connection held for one call: checked out of a pool, or borrowed.
pub struct Conn<'a> {
    inner: Inner<'a>,
}

// One `Conn` lives in one call's future; boxing the pooled object would cost an allocation per
// call to save stack space nothing is short of.
#[allow(clippy::large_enum_variant)]
enum Inner<'a> {
    Pooled(deadpool_postgres::Object),
    Borrowed(Source<'a>),
}

impl std::fmt::Debug for Conn<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match &self.inner {
            Inner::Pooled(_) => "Conn::Pooled",
            Inner::Borrowed(_) => "Conn::Borrowed",
        })
    }
}

/// [`Conn::prepare`] written out where it is awaited: the calls' bodies use it so that the
/// prepare is no `async fn` of its own inside them (measured under callgrind: 43 instructions
/// fewer per `insert`).
macro_rules! prepared {
    ($conn:expr, $sql:expr, $types:expr) => {
        match $conn.parts() {
            (client, Some(cache)) => cache.prepare_typed(client, $sql, $types).await,
            (client, None) => client.prepare_typed($sql, $types).await,
        }
    };
}
pub(crate) use prepared;

impl<'a> Conn<'a> {
    /// Checks out a connection (pools) or borrows the client or transaction.
    pub async fn acquire(source: Source<'a>) -> Result<Self> {
        Ok(Self {
            inner: match source {
                Source::Pool(pool) => Inner::Pooled(pool.get().await.map_err(Error::from)?),
                Source::Shedding(shedding) => Inner::Pooled(shedding.get().await?),
                other => Inner::Borrowed(other),
            },
        })
    }

    /// A connection checked out of a pool.
    pub(crate) fn pooled(object: deadpool_postgres::Object) -> Self {
        Self { inner: Inner::Pooled(object) }
    }

    /// A borrowed client or transaction (not a pool: that is checked out with [`Self::pooled`]).
    pub(crate) fn borrowed(source: Source<'a>) -> Self {
        Self { inner: Inner::Borrowed(source) }
    }

    /// The client statements run on (a transaction's run on its client), and the statement
    /// cache when the connection has one. One call on a client instead of one per kind of
    /// source keeps the calls' futures small.
    pub(crate) fn parts(
        &self,
    ) -> (&tokio_postgres::Client, Option<&deadpool_postgres::StatementCache>) {
        let source = match &self.inner {
            Inner::Pooled(o) => return (o, Some(&o.statement_cache)),
            Inner::Borrowed(source) => source,
        };
        match source {
            Source::Pooled(c) => (c, Some(&c.statement_cache)),
            Source::PooledTransaction(t) => (t.client(), Some(&t.statement_cache)),
            Source::Client(c) => (c, None),
            Source::Transaction(t) => (t.client(), None),
            Source::Pool(_) | Source::Shedding(_) => {
                unreachable!("a pool is checked out in acquire")
            }
        }
    }

    fn client(&self) -> &tokio_postgres::Client {
        self.parts().0
    }

    /// Prepares `sql` (with explicit parameter `types`, or inferred when empty), from the
    /// connection's statement cache when it has one.
    pub async fn prepare(
        &self,
        sql: &str,
        types: &[Type],
    ) -> Result<Statement, tokio_postgres::Error> {
        prepared!(self, sql, types)
    }

    /// Runs a prepared statement and streams its rows. The client's own future, not one that
    /// wraps it (each wrapper is a state machine more to poll).
    pub fn query_raw(
        &self,
        statement: &Statement,
        params: Params<'_>,
    ) -> impl Future<Output = Result<RowStream, tokio_postgres::Error>> {
        self.client().query_raw(statement, params.iter().copied())
    }

    /// Runs a prepared statement and returns the number of rows it affected (the client's own
    /// future).
    pub fn execute(
        &self,
        statement: &Statement,
        params: Params<'_>,
    ) -> impl Future<Output = Result<u64, tokio_postgres::Error>> {
        self.client().execute(statement, params)
    }

    /// Starts a prepared `COPY … FROM STDIN`.
    pub async fn copy_in(
        &self,
        statement: &Statement,
    ) -> Result<CopyInSink<Bytes>, tokio_postgres::Error> {
        self.client().copy_in(statement).await
    }
}
