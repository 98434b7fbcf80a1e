//! What a workflow can fail with. Infrastructure failures keep their cause (`#[source]`), so
//! the log line of a failed request says what failed underneath; only the HTTP layer decides
//! what a caller is told.

use crate::domain::order::TransitionError;
use crate::domain::validate::FieldError;

/// A boxed cause.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why a workflow did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A field breaks a rule.
    #[error("{}: {}", .0.field, .0.message)]
    Invalid(FieldError),
    /// The request is not what the endpoint reads (a webhook that is not signed or not an
    /// event).
    #[error("{0}")]
    BadRequest(String),
    /// The caller's credentials name nobody (a signed token for a user that no longer exists).
    #[error("authentication required")]
    Unauthenticated,
    /// Signed in, but the account may not do this.
    #[error("{message}")]
    Forbidden {
        /// Machine code.
        code: &'static str,
        /// For people.
        message: String,
    },
    /// Nothing there the caller may see.
    #[error("not found")]
    NotFound,
    /// A throttle tripped.
    #[error("too many requests")]
    Throttled {
        /// Seconds until a retry may succeed.
        retry_after: u64,
        /// The rate limit it ran into, if it was one.
        quota: Option<super::limits::Quota>,
    },
    /// The request conflicts with the current state.
    #[error("{message}")]
    Conflict {
        /// Machine code.
        code: &'static str,
        /// For people.
        message: String,
    },
    /// The order queue refused the message (retry later).
    #[error("the order queue is unavailable")]
    Queue(#[source] crate::infra::queue::QueueError),
    /// Stripe refused or could not be reached; nothing was changed.
    #[error("the payment provider failed")]
    Payment(#[source] crate::infra::stripe::StripeError),
    /// The SMS gateway failed (retry later).
    #[error("the SMS gateway is unavailable")]
    Sms(#[source] BoxError),
    /// The key-value store failed (retry later).
    #[error("the key-value store is unavailable")]
    Store(#[from] crate::infra::kv::KvError),
    /// No id could be minted (the worker id lease is not held, or the clock went back).
    #[error("no id can be minted now")]
    Ids(#[from] crate::infra::ids::IdError),
    /// A value could not be cached.
    #[error("caching failed")]
    Cache(#[from] crate::infra::cache::CacheError),
    /// PostgreSQL failed.
    #[error("database call failed")]
    Database(#[from] repo_runtime::Error),
    /// Something that should not happen did.
    #[error("{context}")]
    Internal {
        /// What was being done.
        context: &'static str,
        /// Why it failed.
        #[source]
        source: BoxError,
    },
}

impl From<FieldError> for AppError {
    fn from(e: FieldError) -> Self {
        Self::Invalid(e)
    }
}

/// A workflow's result.
pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// A refusal of the signed-in caller with a machine code.
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::Forbidden { code, message: message.into() }
    }

    /// A conflict with a machine code.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict { code, message: message.into() }
    }

    /// A field that breaks a rule.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid(FieldError::new(field, message))
    }

    /// An unexpected failure while doing `context`.
    pub fn internal(context: &'static str, source: impl Into<BoxError>) -> Self {
        Self::Internal { context, source: source.into() }
    }

    /// A refused transition: not the actor's to make → 404 (they cannot see it), too late →
    /// `too_late_to_cancel`, wrong state → `code`.
    pub fn refused(e: TransitionError, code: &'static str) -> Self {
        match e {
            TransitionError::NotAllowed { .. } => Self::NotFound,
            TransitionError::TooLateToCancel => Self::conflict("too_late_to_cancel", e.to_string()),
            TransitionError::InvalidState { .. } => Self::conflict(code, e.to_string()),
        }
    }
}
