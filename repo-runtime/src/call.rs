//! The bodies of generated methods: one function per return kind.
//!
//! Generated code passes a `&'static` [`Query`] and the parameters; everything else — checking
//! out a connection, the cached prepare, the row mapping, the span and the observer — lives
//! here once instead of being expanded into every method.

use std::future::Future;
use std::pin::pin;
use std::time::Instant;

use futures_util::TryStreamExt;
use tokio_postgres::types::{ToSql, Type};
use tracing::Instrument;

use crate::executor::{Conn, Params, Source, prepared};
use crate::observe::{QueryEvent, observer};
use crate::stream::{Page, Rows, total_of};
use crate::{Error, FromRow, Result};

/// A statement as generated: its method, SQL text and explicit parameter types.
#[derive(Debug)]
pub struct Query {
    /// `Trait::method`.
    pub method: &'static str,
    /// The expanded statement with `$n` parameters.
    pub sql: &'static str,
    /// Parameter types to prepare with (empty: let the server infer them).
    pub types: &'static [Type],
}

/// Who listens to a call.
pub(crate) enum Listeners {
    /// Nothing: the call pays for no clock read and no span.
    Nobody,
    /// Only the observer: the call is timed where it stands (no span, no box).
    Observer(&'static dyn crate::QueryObserver),
    /// Its `repo.call` span, enabled by a subscriber, and the observer if there is one.
    Span(Spanned),
}

/// A call's enabled span and the observer.
pub(crate) struct Spanned {
    span: tracing::Span,
    observer: Option<&'static dyn crate::QueryObserver>,
}

impl Listeners {
    #[inline]
    pub(crate) fn of(q: &'static Query) -> Self {
        use tracing::level_filters::{LevelFilter, STATIC_MAX_LEVEL};
        let observer = observer();
        // No subscriber takes DEBUG: no span is built (one atomic load; building a disabled
        // span costs more, and records its fields for `log` when tracing's `log` feature is on).
        if tracing::Level::DEBUG > STATIC_MAX_LEVEL
            || tracing::Level::DEBUG > LevelFilter::current()
        {
            return match observer {
                Some(observer) => Self::Observer(observer),
                None => Self::Nobody,
            };
        }
        let span = tracing::debug_span!(
            "repo.call",
            method = q.method,
            statement = q.sql,
            rows = tracing::field::Empty,
            elapsed_us = tracing::field::Empty,
        );
        match observer {
            _ if !span.is_disabled() => Self::Span(Spanned { span, observer }),
            Some(observer) => Self::Observer(observer),
            None => Self::Nobody,
        }
    }
}

/// Tells `observer` how a call went.
pub(crate) fn tell<R>(
    observer: &'static dyn crate::QueryObserver,
    q: &'static Query,
    elapsed: std::time::Duration,
    result: &Result<R>,
    rows: Option<u64>,
) {
    observer.on_query(&QueryEvent {
        method: q.method,
        sql: q.sql,
        rows,
        elapsed,
        error: result.as_ref().err(),
    });
}

impl Spanned {
    /// Runs `body` inside the span, then records the rows and time and tells the observer.
    pub(crate) async fn run<R>(
        self,
        q: &'static Query,
        rows_of: impl FnOnce(&R) -> Option<u64>,
        body: impl Future<Output = Result<R>>,
    ) -> Result<R> {
        let Self { span, observer } = self;
        let start = Instant::now();
        let result = body.instrument(span.clone()).await;
        let elapsed = start.elapsed();
        let rows = result.as_ref().ok().and_then(rows_of);
        if let Some(rows) = rows {
            span.record("rows", rows);
        }
        span.record("elapsed_us", elapsed.as_micros() as u64);
        if let Some(obs) = observer {
            tell(obs, q, elapsed, &result, rows);
        }
        result
    }
}

/// Awaits a call's body where it stands unless a span listens: with nobody listening, no clock
/// read; with only the observer, a clock read on each side. When a span is enabled, the body
/// runs boxed inside [`Spanned::run`] (an allocation only then), so the other calls' futures
/// stay the size of their body. The body is one `async fn` named in each branch, so it is
/// compiled once, and it is built where it is awaited: a body passed through functions by
/// value is copied whole at each step (measured under callgrind in the service: 1.5 k
/// instructions of `memcpy` more per request). Bodies name their method in their errors
/// themselves ([`Within::within`]).
macro_rules! observed {
    ($q:expr, $rows_of:expr, $body:expr) => {
        match Listeners::of($q) {
            Listeners::Nobody => $body.await,
            Listeners::Observer(observer) => {
                let start = std::time::Instant::now();
                let result = $body.await;
                let rows = result.as_ref().ok().and_then($rows_of);
                $crate::call::tell(observer, $q, start.elapsed(), &result, rows);
                result
            }
            Listeners::Span(spanned) => Box::pin(spanned.run($q, $rows_of, $body)).await,
        }
    };
}
pub(crate) use observed;

/// A driver error as [`Error`], naming the method whose statement raised it.
pub(crate) trait Within<T> {
    fn within(self, q: &'static Query) -> Result<T>;
}

impl<T> Within<T> for std::result::Result<T, tokio_postgres::Error> {
    #[inline]
    fn within(self, q: &'static Query) -> Result<T> {
        self.map_err(|e| Error::from(e).in_method(q.method))
    }
}

/// `Conn::acquire(source).await?`, written out where it is used: the pool's checkout future
/// (1.6 KB) is awaited in the call's own future instead of inside another one that would be
/// moved into it (measured under callgrind: 106 instructions fewer per `get`).
macro_rules! acquire {
    ($source:expr) => {
        match $source {
            Source::Pool(pool) => Conn::pooled(pool.get().await.map_err($crate::Error::from)?),
            Source::Shedding(shedding) => {
                let waiting = shedding.enter()?;
                let object = shedding.pool().get().await.map_err($crate::Error::from)?;
                drop(waiting);
                Conn::pooled(object)
            }
            other => Conn::borrowed(other),
        }
    };
}
pub(crate) use acquire;

/// Executes a statement, returning the number of rows it affected.
pub async fn execute(source: Source<'_>, q: &'static Query, params: Params<'_>) -> Result<u64> {
    observed!(q, |n: &u64| Some(*n), execute_body(source, q, params))
}

async fn execute_body(source: Source<'_>, q: &'static Query, params: Params<'_>) -> Result<u64> {
    let conn = acquire!(source);
    let stmt = prepared!(conn, q.sql, q.types).within(q)?;
    conn.execute(&stmt, params).await.within(q)
}

/// Reads at most one row.
pub async fn opt<T: FromRow>(
    source: Source<'_>,
    q: &'static Query,
    params: Params<'_>,
) -> Result<Option<T>> {
    observed!(q, |r: &Option<T>| Some(u64::from(r.is_some())), opt_body::<T>(source, q, params))
}

async fn opt_body<T: FromRow>(
    source: Source<'_>,
    q: &'static Query,
    params: Params<'_>,
) -> Result<Option<T>> {
    let conn = acquire!(source);
    let stmt = prepared!(conn, q.sql, q.types).within(q)?;
    let mut rows = pin!(conn.query_raw(&stmt, params).await.within(q)?);
    let Some(row) = rows.try_next().await.within(q)? else {
        return Ok(None);
    };
    if rows.try_next().await.within(q)?.is_some() {
        return Err(Error::TooManyRows { method: q.method });
    }
    T::from_row_opt(&row)
}

/// Reads exactly one row; none is [`Error::NotFound`].
pub async fn one<T: FromRow>(
    source: Source<'_>,
    q: &'static Query,
    params: Params<'_>,
) -> Result<T> {
    observed!(q, |_: &T| Some(1), one_body::<T>(source, q, params))
}

async fn one_body<T: FromRow>(
    source: Source<'_>,
    q: &'static Query,
    params: Params<'_>,
) -> Result<T> {
    let conn = acquire!(source);
    let stmt = prepared!(conn, q.sql, q.types).within(q)?;
    let mut rows = pin!(conn.query_raw(&stmt, params).await.within(q)?);
    let Some(row) = rows.try_next().await.within(q)? else {
        return Err(Error::NotFound { method: q.method });
    };
    if rows.try_next().await.within(q)?.is_some() {
        return Err(Error::TooManyRows { method: q.method });
    }
    T::from_row(&row)
}

/// Reads every row.
pub async fn all<T: FromRow>(
    source: Source<'_>,
    q: &'static Query,
    params: Params<'_>,
) -> Result<Vec<T>> {
    observed!(q, |v: &Vec<T>| Some(v.len() as u64), all_body::<T>(source, q, params))
}

async fn all_body<T: FromRow>(
    source: Source<'_>,
    q: &'static Query,
    params: Params<'_>,
) -> Result<Vec<T>> {
    let conn = acquire!(source);
    let stmt = prepared!(conn, q.sql, q.types).within(q)?;
    let mut rows = pin!(conn.query_raw(&stmt, params).await.within(q)?);
    let mut out = Vec::new();
    while let Some(row) = rows.try_next().await.within(q)? {
        out.push(T::from_row(&row)?);
    }
    Ok(out)
}

/// Streams the rows, holding the connection until the stream is dropped.
pub async fn stream<'a, T: FromRow>(
    source: Source<'a>,
    q: &'static Query,
    params: Params<'_>,
) -> Result<Rows<'a, T>> {
    observed!(q, |_: &Rows<'a, T>| None, stream_body::<T>(source, q, params))
}

async fn stream_body<'a, T: FromRow>(
    source: Source<'a>,
    q: &'static Query,
    params: Params<'_>,
) -> Result<Rows<'a, T>> {
    let conn = acquire!(source);
    let stmt = prepared!(conn, q.sql, q.types).within(q)?;
    let rows = conn.query_raw(&stmt, params).await.within(q)?;
    Ok(Rows::new(rows, Box::new(conn)))
}

/// Where the paging parameters of a `Page` method sit in its parameter list.
#[derive(Debug, Clone, Copy)]
pub struct Paging {
    /// The requested offset (to tell "past the end" from "no rows at all").
    pub offset: i64,
    /// Index of the `OFFSET` parameter.
    pub offset_param: usize,
    /// Index of the `LIMIT` parameter, unless the limit is a constant.
    pub limit_param: Option<usize>,
}

/// Reads one page and the total from the trailing `COUNT(*) OVER ()` column.
///
/// A page past the end has no rows to carry the total, so then the same statement runs once
/// more for its first row only.
pub async fn page<T: FromRow>(
    source: Source<'_>,
    q: &'static Query,
    params: Params<'_>,
    paging: Paging,
) -> Result<Page<T>> {
    observed!(
        q,
        |p: &Page<T>| Some(p.items.len() as u64),
        page_body::<T>(source, q, params, paging)
    )
}

async fn page_body<T: FromRow>(
    source: Source<'_>,
    q: &'static Query,
    params: Params<'_>,
    paging: Paging,
) -> Result<Page<T>> {
    let conn = acquire!(source);
    let stmt = prepared!(conn, q.sql, q.types).within(q)?;
    let mut rows = pin!(conn.query_raw(&stmt, params).await.within(q)?);
    let mut items = Vec::new();
    let mut total = None;
    while let Some(row) = rows.try_next().await.within(q)? {
        if total.is_none() {
            total = Some(total_of(&row)?);
        }
        items.push(T::from_row(&row)?);
    }
    let total = match total {
        Some(total) => total,
        None if paging.offset > 0 => {
            let (zero, one): (i64, i64) = (0, 1);
            let mut first: Vec<&(dyn ToSql + Sync)> = params.to_vec();
            first[paging.offset_param] = &zero;
            if let Some(i) = paging.limit_param {
                first[i] = &one;
            }
            let mut rows = pin!(conn.query_raw(&stmt, &first).await.within(q)?);
            match rows.try_next().await.within(q)? {
                Some(row) => total_of(&row)?,
                None => 0,
            }
        }
        None => 0,
    };
    Ok(Page { items, total })
}
