//! The one error type every generated method returns.

use std::fmt;

use tokio_postgres::error::{DbError, SqlState};

/// What went wrong in a repository call.
///
/// Services map these variants to responses without matching on message text: a
/// [`Error::UniqueViolation`] is a conflict, [`Error::NotFound`] is a missing object,
/// [`Error::PoolTimeout`] and [`Error::Overloaded`] mean the database is saturated, and so on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A method returning exactly one row (`Result<T>`) found none.
    #[error("no row found for {method}")]
    NotFound {
        /// `Trait::method` of the call.
        method: &'static str,
    },
    /// A method returning at most one row found more than one.
    #[error("{method} expected at most one row but the query returned more")]
    TooManyRows {
        /// `Trait::method` of the call.
        method: &'static str,
    },
    /// A `UNIQUE` or primary-key constraint rejected the write.
    #[error("unique violation on constraint `{constraint}`")]
    UniqueViolation {
        /// The name of the violated constraint (or index).
        constraint: String,
        /// PostgreSQL's own error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// A foreign key rejected the write.
    #[error("foreign key violation on constraint `{constraint}`")]
    ForeignKeyViolation {
        /// The name of the violated constraint.
        constraint: String,
        /// PostgreSQL's own error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// A `CHECK` constraint rejected the write.
    #[error("check violation on constraint `{constraint}`")]
    CheckViolation {
        /// The name of the violated constraint.
        constraint: String,
        /// PostgreSQL's own error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// A `NOT NULL` column received a NULL.
    #[error("not-null violation on column `{column}`")]
    NotNullViolation {
        /// The column that received the NULL.
        column: String,
        /// PostgreSQL's own error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// No pooled connection became free within the pool's wait timeout.
    #[error("timed out waiting for a database connection from the pool")]
    PoolTimeout,
    /// A [`SheddingPool`](crate::SheddingPool) refused the call at once: as many callers as it
    /// allows already wait for a connection.
    #[error("the database is saturated: {queued} calls already wait for a connection")]
    Overloaded {
        /// Callers waiting when this one was refused.
        queued: usize,
    },
    /// The pool could not hand out a connection for another reason (closed, misconfigured).
    #[error("database pool error: {0}")]
    Pool(String),
    /// The connection to the server failed or was closed.
    #[error("database connection error")]
    Connection(#[source] tokio_postgres::Error),
    /// A column could not be converted to the Rust type of its field.
    #[error("cannot read column {index} (`{column}`) as the Rust type of its field")]
    Decode {
        /// Zero-based column index in the result row.
        index: usize,
        /// The column's name in the result.
        column: String,
        /// The conversion failure.
        #[source]
        source: tokio_postgres::Error,
    },
    /// Any other error reported by the server or the driver. Displays the method, the SQLSTATE
    /// and the server's message (never its detail, which can quote row values), e.g.
    /// `Books::by_genre: database error 42P01: relation "bookz" does not exist`.
    #[error("{}", DbDisplay { method, source })]
    Db {
        /// `Trait::method` that ran the statement (empty outside a generated method).
        method: &'static str,
        /// The driver's error.
        #[source]
        source: tokio_postgres::Error,
    },
}

struct DbDisplay<'a> {
    method: &'a str,
    source: &'a tokio_postgres::Error,
}

impl fmt::Display for DbDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.method.is_empty() {
            write!(f, "{}: ", self.method)?;
        }
        match self.source.as_db_error() {
            Some(db) => write!(f, "database error {}: {}", db.code().code(), db.message()),
            None => write!(f, "database error: {}", self.source),
        }
    }
}

impl Error {
    /// The SQLSTATE of a server-side error, if this error came from the server.
    pub fn code(&self) -> Option<&SqlState> {
        self.pg().and_then(tokio_postgres::Error::code)
    }

    /// The server's error details (message, detail, hint, constraint), if any.
    pub fn db_error(&self) -> Option<&DbError> {
        self.pg().and_then(tokio_postgres::Error::as_db_error)
    }

    /// The constraint named by a unique, foreign-key or check violation.
    pub fn constraint(&self) -> Option<&str> {
        match self {
            Self::UniqueViolation { constraint, .. }
            | Self::ForeignKeyViolation { constraint, .. }
            | Self::CheckViolation { constraint, .. } => Some(constraint),
            _ => None,
        }
    }

    /// True for [`Error::NotFound`].
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }

    fn pg(&self) -> Option<&tokio_postgres::Error> {
        match self {
            Self::UniqueViolation { source, .. }
            | Self::ForeignKeyViolation { source, .. }
            | Self::CheckViolation { source, .. }
            | Self::NotNullViolation { source, .. }
            | Self::Decode { source, .. }
            | Self::Connection(source)
            | Self::Db { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<tokio_postgres::Error> for Error {
    fn from(err: tokio_postgres::Error) -> Self {
        if err.is_closed() {
            return Self::Connection(err);
        }
        let Some(db) = err.as_db_error() else {
            // No server response at all: the socket or the protocol failed.
            return if err.code().is_none() && is_io(&err) {
                Self::Connection(err)
            } else {
                Self::Db { method: "", source: err }
            };
        };
        let name = |s: Option<&str>| s.unwrap_or_default().to_owned();
        let code = db.code().clone();
        if code == SqlState::UNIQUE_VIOLATION {
            Self::UniqueViolation { constraint: name(db.constraint()), source: err }
        } else if code == SqlState::FOREIGN_KEY_VIOLATION {
            Self::ForeignKeyViolation { constraint: name(db.constraint()), source: err }
        } else if code == SqlState::CHECK_VIOLATION {
            Self::CheckViolation { constraint: name(db.constraint()), source: err }
        } else if code == SqlState::NOT_NULL_VIOLATION {
            Self::NotNullViolation { column: name(db.column()), source: err }
        } else {
            Self::Db { method: "", source: err }
        }
    }
}

impl Error {
    /// This error as raised by `method` (fills in [`Error::Db`]'s method).
    pub(crate) fn in_method(self, method: &'static str) -> Self {
        match self {
            Self::Db { method: "", source } => Self::Db { method, source },
            other => other,
        }
    }
}

fn is_io(err: &tokio_postgres::Error) -> bool {
    std::error::Error::source(err).is_some_and(|s| s.is::<std::io::Error>())
}

impl From<deadpool_postgres::PoolError> for Error {
    fn from(err: deadpool_postgres::PoolError) -> Self {
        use deadpool_postgres::PoolError;
        match err {
            PoolError::Timeout(_) => Self::PoolTimeout,
            PoolError::Backend(e) => Self::Connection(e),
            other => Self::Pool(other.to_string()),
        }
    }
}

/// `Result` with [`Error`], the return type of every generated method.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A value read from the database that the Rust type does not accept
/// (for example an integer that names no variant of a `SqlEnum`).
#[derive(Debug)]
pub struct InvalidValue {
    /// The Rust type that rejected the value.
    pub type_name: &'static str,
    /// The value, as text.
    pub value: String,
}

impl fmt::Display for InvalidValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not a valid {}", self.value, self.type_name)
    }
}

impl std::error::Error for InvalidValue {}
