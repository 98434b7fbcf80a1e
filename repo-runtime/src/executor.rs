//! Where generated methods run their statements.
//!
//! A repository holds one [`Executor`]. Each call asks it for a [`Conn`] — a pooled connection
//! checked out for that call alone (so repositories over a pool are stateless and safe to share
//! across tasks and replicas), or a borrowed client or transaction.

use std::future::{Future, Ready, ready};

use bytes::Bytes;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{CopyInSink, RowStream, Statement};

use crate::{Error, Result};

/// A parameter list as generated code passes it: one reference per `$n`, in order.
pub type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// A connection that can prepare and run statements.
///
/// Implemented for pooled deadpool clients and transactions (statements cached per
/// connection) and for plain `tokio_postgres` clients and transactions (statements prepared on
/// every call, since they have nowhere to keep a cache: wrap such clients in a pool when the
/// extra round trip matters).
pub trait Conn: Send + Sync {
    /// Prepares `sql` (with explicit parameter `types`, or inferred when empty), reusing the
    /// connection's cached statement when there is one.
    fn prepare(
        &self,
        sql: &'static str,
        types: &'static [Type],
    ) -> impl Future<Output = Result<Statement, tokio_postgres::Error>> + Send;

    /// Runs a prepared statement and streams its rows.
    fn query_raw(
        &self,
        statement: &Statement,
        params: Params<'_>,
    ) -> impl Future<Output = Result<RowStream, tokio_postgres::Error>> + Send;

    /// Runs a prepared statement and returns the number of rows it affected.
    fn execute(
        &self,
        statement: &Statement,
        params: Params<'_>,
    ) -> impl Future<Output = Result<u64, tokio_postgres::Error>> + Send;

    /// Starts a prepared `COPY … FROM STDIN`.
    fn copy_in(
        &self,
        statement: &Statement,
    ) -> impl Future<Output = Result<CopyInSink<Bytes>, tokio_postgres::Error>> + Send;
}

impl<C: Conn + ?Sized> Conn for &C {
    fn prepare(
        &self,
        sql: &'static str,
        types: &'static [Type],
    ) -> impl Future<Output = Result<Statement, tokio_postgres::Error>> + Send {
        (**self).prepare(sql, types)
    }

    fn query_raw(
        &self,
        statement: &Statement,
        params: Params<'_>,
    ) -> impl Future<Output = Result<RowStream, tokio_postgres::Error>> + Send {
        (**self).query_raw(statement, params)
    }

    fn execute(
        &self,
        statement: &Statement,
        params: Params<'_>,
    ) -> impl Future<Output = Result<u64, tokio_postgres::Error>> + Send {
        (**self).execute(statement, params)
    }

    fn copy_in(
        &self,
        statement: &Statement,
    ) -> impl Future<Output = Result<CopyInSink<Bytes>, tokio_postgres::Error>> + Send {
        (**self).copy_in(statement)
    }
}

/// What a generated repository is built over: it hands out a [`Conn`] for each call.
///
/// Implemented for [`deadpool_postgres::Pool`] (a connection checked out per call and returned
/// when the call ends), for every [`Conn`] type, and for references to any executor, so
/// `PgUsers::new(pool.clone())`, `PgUsers::new(&client)` and `PgUsers::new(&tx)` all work.
pub trait Executor: Send + Sync {
    /// The connection a call runs on.
    type Conn<'a>: Conn + 'a
    where
        Self: 'a;

    /// Checks out a connection for one call.
    fn acquire(&self) -> impl Future<Output = Result<Self::Conn<'_>>> + Send;
}

impl<E: Executor + ?Sized> Executor for &E {
    type Conn<'a>
        = E::Conn<'a>
    where
        Self: 'a;

    fn acquire(&self) -> impl Future<Output = Result<Self::Conn<'_>>> + Send {
        (**self).acquire()
    }
}

impl Executor for deadpool_postgres::Pool {
    type Conn<'a> = deadpool_postgres::Object;

    async fn acquire(&self) -> Result<Self::Conn<'_>> {
        self.get().await.map_err(Error::from)
    }
}

/// Implements [`Conn`] and [`Executor`] for a deadpool client type, preparing through the
/// connection's statement cache.
macro_rules! cached_conn {
    ([$($lt:lifetime)?] $ty:ty => $target:ty) => {
        impl<$($lt)?> Conn for $ty {
            async fn prepare(
                &self,
                sql: &'static str,
                types: &'static [Type],
            ) -> Result<Statement, tokio_postgres::Error> {
                if types.is_empty() {
                    self.prepare_cached(sql).await
                } else {
                    self.prepare_typed_cached(sql, types).await
                }
            }

            fn query_raw(
                &self,
                statement: &Statement,
                params: Params<'_>,
            ) -> impl Future<Output = Result<RowStream, tokio_postgres::Error>> + Send {
                <$target>::query_raw(self, statement, params.iter().copied())
            }

            fn execute(
                &self,
                statement: &Statement,
                params: Params<'_>,
            ) -> impl Future<Output = Result<u64, tokio_postgres::Error>> + Send {
                <$target>::execute(self, statement, params)
            }

            fn copy_in(
                &self,
                statement: &Statement,
            ) -> impl Future<Output = Result<CopyInSink<Bytes>, tokio_postgres::Error>> + Send {
                <$target>::copy_in(self, statement)
            }
        }

        impl<$($lt)?> Executor for $ty {
            type Conn<'c>
                = &'c $ty
            where
                Self: 'c;

            fn acquire(&self) -> impl Future<Output = Result<Self::Conn<'_>>> + Send {
                ready_ok(self)
            }
        }
    };
}

/// Implements [`Conn`] and [`Executor`] for a plain tokio-postgres client type, which has
/// nowhere to keep a statement cache: each call prepares its statement.
macro_rules! plain_conn {
    ([$($lt:lifetime)?] $ty:ty) => {
        impl<$($lt)?> Conn for $ty {
            fn prepare(
                &self,
                sql: &'static str,
                types: &'static [Type],
            ) -> impl Future<Output = Result<Statement, tokio_postgres::Error>> + Send {
                self.prepare_typed(sql, types)
            }

            fn query_raw(
                &self,
                statement: &Statement,
                params: Params<'_>,
            ) -> impl Future<Output = Result<RowStream, tokio_postgres::Error>> + Send {
                <$ty>::query_raw(self, statement, params.iter().copied())
            }

            fn execute(
                &self,
                statement: &Statement,
                params: Params<'_>,
            ) -> impl Future<Output = Result<u64, tokio_postgres::Error>> + Send {
                <$ty>::execute(self, statement, params)
            }

            fn copy_in(
                &self,
                statement: &Statement,
            ) -> impl Future<Output = Result<CopyInSink<Bytes>, tokio_postgres::Error>> + Send {
                <$ty>::copy_in(self, statement)
            }
        }

        impl<$($lt)?> Executor for $ty {
            type Conn<'c>
                = &'c $ty
            where
                Self: 'c;

            fn acquire(&self) -> impl Future<Output = Result<Self::Conn<'_>>> + Send {
                ready_ok(self)
            }
        }
    };
}

fn ready_ok<T>(value: T) -> Ready<Result<T>> {
    ready(Ok(value))
}

cached_conn!([] deadpool_postgres::Object => tokio_postgres::Client);
cached_conn!([] deadpool_postgres::ClientWrapper => tokio_postgres::Client);
cached_conn!(['t] deadpool_postgres::Transaction<'t> => tokio_postgres::Transaction<'t>);
plain_conn!([] tokio_postgres::Client);
plain_conn!(['t] tokio_postgres::Transaction<'t>);
