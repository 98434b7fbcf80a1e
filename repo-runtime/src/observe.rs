//! A process-wide hook for metrics and slow-query logs.
//!
//! Process-wide by design: a repository runs over any executor (a pool, a client, a
//! transaction borrowed for three statements), so an observer kept per pool would miss the
//! calls made in transactions, and the metrics it feeds are per process anyway. Each event
//! names its method and statement, which is what tells calls apart. Nothing is paid for it
//! while none is installed (and no subscriber enables the `repo.call` span): no clock read,
//! no span.
//!
//! Every generated call also opens a `tracing` span (`repo.call`, level DEBUG) with the method,
//! the statement, the row count and the elapsed time. Parameter values are never recorded, by
//! either mechanism.

use std::sync::OnceLock;
use std::time::Duration;

use crate::Error;

/// What one finished repository call reports to the [`QueryObserver`].
#[derive(Debug)]
#[non_exhaustive]
pub struct QueryEvent<'a> {
    /// `Trait::method` of the call.
    pub method: &'static str,
    /// The statement as sent to the server (with `$n` parameters, never their values).
    pub sql: &'static str,
    /// Rows returned or affected; `None` for streams, whose rows are counted by the caller.
    pub rows: Option<u64>,
    /// Time from checking out the connection to the last row read.
    pub elapsed: Duration,
    /// The error, if the call failed.
    pub error: Option<&'a Error>,
}

/// Receives every finished repository call. Keep it cheap: it runs on the caller's task.
pub trait QueryObserver: Send + Sync + 'static {
    /// Called once per finished call.
    fn on_query(&self, event: &QueryEvent<'_>);
}

static OBSERVER: OnceLock<&'static dyn QueryObserver> = OnceLock::new();

/// Installs the process-wide observer. Only the first call takes effect; later calls return
/// `false`.
pub fn set_query_observer(observer: &'static dyn QueryObserver) -> bool {
    OBSERVER.set(observer).is_ok()
}

#[inline]
pub(crate) fn observer() -> Option<&'static dyn QueryObserver> {
    OBSERVER.get().copied()
}
