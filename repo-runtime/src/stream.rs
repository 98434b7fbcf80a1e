//! Row streams and pages: the two return kinds that are more than a `Vec`.

use std::fmt;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use tokio_postgres::Row;

use crate::{FromRow, Result};

/// Rows of a query, mapped one at a time as they arrive from the server.
///
/// Memory stays constant whatever the number of rows: the driver reads the next rows from the
/// socket only when the stream is polled. The stream keeps its connection checked out (a pooled
/// connection goes back to the pool when the stream is dropped).
///
/// ```no_run
/// # use repo_runtime::{Result, Rows};
/// use futures_util::TryStreamExt;
/// # async fn demo(mut rows: Rows<'_, i64>) -> Result<()> {
/// while let Some(id) = rows.try_next().await? {
///     println!("{id}");
/// }
/// # Ok(()) }
/// ```
#[must_use = "a stream does nothing unless polled"]
pub struct Rows<'a, T> {
    // Field order matters: the driver's stream is dropped before the connection it reads from.
    rows: Pin<Box<tokio_postgres::RowStream>>,
    _conn: Box<dyn Send + 'a>,
    _item: PhantomData<fn() -> T>,
}

impl<'a, T: FromRow> Rows<'a, T> {
    /// Wraps the driver's stream, keeping `conn` alive for as long as the stream is.
    pub(crate) fn new(rows: tokio_postgres::RowStream, conn: Box<dyn Send + 'a>) -> Self {
        Self { rows: Box::pin(rows), _conn: conn, _item: PhantomData }
    }
}

impl<T: FromRow> Stream for Rows<'_, T> {
    type Item = Result<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.rows.as_mut().poll_next(cx) {
            Poll::Ready(Some(Ok(row))) => Poll::Ready(Some(T::from_row(&row))),
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e.into()))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T> fmt::Debug for Rows<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rows").field("item", &std::any::type_name::<T>()).finish()
    }
}

/// One page of rows and the total number of rows matching the query, read in one statement.
///
/// Returned by methods whose template selects `<<total>>` last and ends with `<<paginate>>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Page<T> {
    /// The rows of this page.
    pub items: Vec<T>,
    /// How many rows match the query across all pages.
    pub total: u64,
}

impl<T> Page<T> {
    /// Maps the items, keeping the total.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), total: self.total }
    }

    /// The number of pages of `page_size` rows needed for `total`.
    pub fn page_count(&self, page_size: u64) -> u64 {
        if page_size == 0 { 0 } else { self.total.div_ceil(page_size) }
    }
}

/// Reads the trailing `<<total>>` column of a page row.
pub(crate) fn total_of(row: &Row) -> Result<u64> {
    let Some(last) = row.len().checked_sub(1) else { return Ok(0) };
    let total: i64 = crate::row::column(row, last)?;
    Ok(u64::try_from(total).unwrap_or(0))
}
