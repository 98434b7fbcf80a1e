//! Where generated methods run their statements.
//!
//! A repository holds one [`Executor`]: a `deadpool_postgres::Pool` (a connection is checked
//! out for each call and returned when it ends, so repositories are stateless and safe to
//! share across tasks and replicas), a pooled client, a `tokio_postgres::Client`, or a
//! transaction of either — by value or by reference.
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
    /// A pooled connection (statements cached per connection).
    Pooled(&'a deadpool_postgres::ClientWrapper),
    /// A transaction on a pooled connection (statements cached per connection).
    PooledTransaction(&'a deadpool_postgres::Transaction<'a>),
    /// A plain client (statements prepared on every call: it has nowhere to cache them).
    Client(&'a tokio_postgres::Client),
    /// A plain transaction (statements prepared on every call).
    Transaction(&'a tokio_postgres::Transaction<'a>),
}

impl std::fmt::Debug for Source<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Pool(_) => "Source::Pool",
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
/// ([`deadpool_postgres::Object`], [`deadpool_postgres::ClientWrapper`]), pooled
/// transactions, [`tokio_postgres::Client`], [`tokio_postgres::Transaction`], and references
/// to any of them: `PgUsers::new(pool.clone())`, `PgUsers::new(&client)`, `PgUsers::new(&tx)`.
pub trait Executor: Send + Sync {
    /// Where this executor's statements run.
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

impl Executor for tokio_postgres::Client {
    fn source(&self) -> Source<'_> {
        Source::Client(self)
    }
}

impl Executor for tokio_postgres::Transaction<'_> {
    fn source(&self) -> Source<'_> {
        Source::Transaction(self)
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

/// The source as a plain client or transaction, and whether it has a statement cache.
enum Target<'a> {
    Cached(&'a deadpool_postgres::ClientWrapper),
    CachedTx(&'a deadpool_postgres::Transaction<'a>),
    Client(&'a tokio_postgres::Client),
    Tx(&'a tokio_postgres::Transaction<'a>),
}

impl<'a> Conn<'a> {
    /// Checks out a connection (pools) or borrows the client or transaction.
    pub async fn acquire(source: Source<'a>) -> Result<Self> {
        Ok(Self {
            inner: match source {
                Source::Pool(pool) => Inner::Pooled(pool.get().await.map_err(Error::from)?),
                other => Inner::Borrowed(other),
            },
        })
    }

    fn target(&self) -> Target<'_> {
        match &self.inner {
            Inner::Pooled(o) => Target::Cached(o),
            Inner::Borrowed(Source::Pooled(c)) => Target::Cached(c),
            Inner::Borrowed(Source::PooledTransaction(t)) => Target::CachedTx(t),
            Inner::Borrowed(Source::Client(c)) => Target::Client(c),
            Inner::Borrowed(Source::Transaction(t)) => Target::Tx(t),
            Inner::Borrowed(Source::Pool(_)) => unreachable!("a pool is checked out in acquire"),
        }
    }

    /// Prepares `sql` (with explicit parameter `types`, or inferred when empty), from the
    /// connection's statement cache when it has one.
    pub async fn prepare(
        &self,
        sql: &str,
        types: &[Type],
    ) -> Result<Statement, tokio_postgres::Error> {
        match self.target() {
            Target::Cached(c) if types.is_empty() => c.prepare_cached(sql).await,
            Target::Cached(c) => c.prepare_typed_cached(sql, types).await,
            Target::CachedTx(t) if types.is_empty() => t.prepare_cached(sql).await,
            Target::CachedTx(t) => t.prepare_typed_cached(sql, types).await,
            Target::Client(c) => c.prepare_typed(sql, types).await,
            Target::Tx(t) => t.prepare_typed(sql, types).await,
        }
    }

    /// Runs a prepared statement and streams its rows.
    pub async fn query_raw(
        &self,
        statement: &Statement,
        params: Params<'_>,
    ) -> Result<RowStream, tokio_postgres::Error> {
        let params = params.iter().copied();
        match self.target() {
            Target::Cached(c) => c.query_raw(statement, params).await,
            Target::CachedTx(t) => t.query_raw(statement, params).await,
            Target::Client(c) => c.query_raw(statement, params).await,
            Target::Tx(t) => t.query_raw(statement, params).await,
        }
    }

    /// Runs a prepared statement and returns the number of rows it affected.
    pub async fn execute(
        &self,
        statement: &Statement,
        params: Params<'_>,
    ) -> Result<u64, tokio_postgres::Error> {
        match self.target() {
            Target::Cached(c) => c.execute(statement, params).await,
            Target::CachedTx(t) => t.execute(statement, params).await,
            Target::Client(c) => c.execute(statement, params).await,
            Target::Tx(t) => t.execute(statement, params).await,
        }
    }

    /// Starts a prepared `COPY … FROM STDIN`.
    pub async fn copy_in(
        &self,
        statement: &Statement,
    ) -> Result<CopyInSink<Bytes>, tokio_postgres::Error> {
        match self.target() {
            Target::Cached(c) => c.copy_in(statement).await,
            Target::CachedTx(t) => t.copy_in(statement).await,
            Target::Client(c) => c.copy_in(statement).await,
            Target::Tx(t) => t.copy_in(statement).await,
        }
    }
}
