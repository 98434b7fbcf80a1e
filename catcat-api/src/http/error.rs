//! One error type for every handler, answered in the one envelope:
//! `{"success": false, "code": <status>, "message": …, "error": <machine code>}`.
//! Server errors are logged with their cause and answered with a generic message.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::app::AppError;
use crate::domain::validate::FieldError;

/// What a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body or query is not what the endpoint reads (malformed JSON, wrong types).
    #[error("{0}")]
    BadRequest(String),
    /// A field breaks a rule.
    #[error("{}: {}", .0.field, .0.message)]
    Invalid(FieldError),
    /// The body is larger than the service accepts.
    #[error("the request body is too large")]
    TooLarge,
    /// No token, or a bad one.
    #[error("authentication required")]
    Unauthorized,
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
    /// The request conflicts with the current state.
    #[error("{message}")]
    Conflict {
        /// Machine code.
        code: &'static str,
        /// For people.
        message: String,
    },
    /// A throttle tripped.
    #[error("too many requests")]
    TooManyRequests {
        /// Seconds until a retry may succeed.
        retry_after: u64,
        /// The rate limit it ran into, for the `RateLimit` headers.
        quota: Option<crate::app::limits::Quota>,
    },
    /// The path exists, the method does not.
    #[error("this method is not allowed here")]
    MethodNotAllowed,
    /// This replica works on as many requests as it may ([`crate::config::Config::max_in_flight`]);
    /// retry in a second (another replica may take it).
    #[error("the service is busy; retry in a second")]
    Overloaded,
    /// This replica is still connecting to its dependencies; retry in a second.
    #[error("the service is starting; retry in a second")]
    Starting,
    /// Stripe refused the call (502) or could not be reached (503); nothing was changed, and
    /// a retry is safe.
    #[error("{}", if *.unavailable { "the payment provider is unavailable; nothing was changed, retry later" } else { "the payment provider refused the request; nothing was changed" })]
    PaymentProvider {
        /// Unreachable (503) rather than refusing (502).
        unavailable: bool,
        /// What Stripe said, logged only.
        #[source]
        cause: BoxError,
    },
    /// A dependency is saturated or down; retry later.
    #[error("service unavailable")]
    Unavailable(#[source] BoxError),
    /// A bug or an unexpected failure.
    #[error("internal error")]
    Internal(#[source] BoxError),
}

/// Every machine code an answer's `error` can hold, as `/openapi.json` lists them (a test
/// collects the codes the sources send and compares).
pub const ERROR_CODES: &[&str] = &[
    "account_banned",
    "account_pending",
    "account_suspended",
    "admin_only",
    "already_applied",
    "already_decided",
    "already_replied",
    "already_reviewed",
    "bad_request",
    "internal",
    "invalid_field",
    "method_not_allowed",
    "not_a_customer",
    "not_the_customer",
    "not_found",
    "not_ready",
    "order_not_acceptable",
    "order_not_cancellable",
    "order_not_completable",
    "order_not_completed",
    "order_not_paid",
    "order_not_payable",
    "order_not_in_service",
    "order_not_startable",
    "own_account",
    "overloaded",
    "own_order",
    "payload_too_large",
    "payment_provider_error",
    "payment_provider_unavailable",
    "pet_has_orders",
    "phone_taken",
    "progress_out_of_order",
    "provider_only",
    "request_in_progress",
    "starting",
    "too_late_to_cancel",
    "too_many_requests",
    "unauthorized",
    "unavailable",
];

/// A boxed cause.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The response envelope.
#[derive(Debug, Serialize)]
pub struct Envelope<T> {
    /// Whether the request succeeded.
    pub success: bool,
    /// The HTTP status.
    pub code: u16,
    /// For people.
    pub message: String,
    /// The payload.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<T>,
    /// A stable machine code, on errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'static str>,
    /// The field at fault, on validation errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl<T> Envelope<T> {
    /// A successful answer's envelope.
    pub fn success(status: StatusCode, message: &str, data: Option<T>) -> Self {
        Self {
            success: true,
            code: status.as_u16(),
            message: message.to_owned(),
            data,
            error: None,
            field: None,
        }
    }
}

impl ApiError {
    /// The status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Unavailable(_) | Self::Overloaded | Self::Starting => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::PaymentProvider { unavailable: true, .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::PaymentProvider { unavailable: false, .. } => StatusCode::BAD_GATEWAY,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable machine code of this error (`error` in the envelope).
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad_request",
            Self::Invalid(_) => "invalid_field",
            Self::TooLarge => "payload_too_large",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden { code, .. } | Self::Conflict { code, .. } => code,
            Self::NotFound => "not_found",
            Self::TooManyRequests { .. } => "too_many_requests",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Unavailable(_) => "unavailable",
            Self::Overloaded => "overloaded",
            Self::Starting => "starting",
            Self::PaymentProvider { unavailable: true, .. } => "payment_provider_unavailable",
            Self::PaymentProvider { unavailable: false, .. } => "payment_provider_error",
            Self::Internal(_) => "internal",
        }
    }

    /// A field that breaks a rule.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid(FieldError::new(field, message))
    }

    /// A conflict with a machine code.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict { code, message: message.into() }
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        Self::Invalid(e)
    }
}

impl From<repo_runtime::Error> for ApiError {
    fn from(e: repo_runtime::Error) -> Self {
        match e {
            repo_runtime::Error::PoolTimeout | repo_runtime::Error::Connection(_) => {
                Self::Unavailable(e.into())
            }
            repo_runtime::Error::Overloaded { .. } => Self::Overloaded,
            other => Self::Internal(other.into()),
        }
    }
}

impl From<crate::infra::kv::KvError> for ApiError {
    fn from(e: crate::infra::kv::KvError) -> Self {
        Self::Unavailable(e.into())
    }
}

impl From<crate::infra::cache::CacheError> for ApiError {
    fn from(e: crate::infra::cache::CacheError) -> Self {
        Self::Internal(e.into())
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Invalid(f) => Self::Invalid(f),
            AppError::BadRequest(m) => Self::BadRequest(m),
            AppError::Payment(e) => Self::PaymentProvider {
                unavailable: matches!(e, crate::infra::stripe::StripeError::Unavailable(_)),
                cause: e.into(),
            },
            AppError::Unauthenticated => Self::Unauthorized,
            AppError::NotFound => Self::NotFound,
            AppError::Forbidden { code, message } => Self::Forbidden { code, message },
            AppError::Throttled { retry_after, quota } => {
                Self::TooManyRequests { retry_after, quota }
            }
            AppError::Conflict { code, message } => Self::Conflict { code, message },
            AppError::Database(e) => e.into(),
            e @ (AppError::Queue(_) | AppError::Store(_) | AppError::Sms(_) | AppError::Ids(_)) => {
                Self::Unavailable(e.into())
            }
            e @ (AppError::Internal { .. } | AppError::Cache(_)) => Self::Internal(e.into()),
        }
    }
}

impl ApiError {
    /// The status and the exact bytes of this error's envelope; 5xx causes are logged here,
    /// once, and never sent.
    pub fn envelope(&self) -> (StatusCode, Vec<u8>) {
        let status = self.status();
        let message = match self {
            Self::Internal(cause) => {
                tracing::error!(cause = %crate::telemetry::chain(cause.as_ref()), "request failed");
                "internal server error".to_owned()
            }
            Self::Unavailable(cause) => {
                tracing::warn!(cause = %crate::telemetry::chain(cause.as_ref()), "dependency unavailable");
                "service temporarily unavailable, retry later".to_owned()
            }
            Self::PaymentProvider { cause, .. } => {
                tracing::warn!(cause = %crate::telemetry::chain(cause.as_ref()), "payment provider failed");
                self.to_string()
            }
            other => other.to_string(),
        };
        let field = match self {
            Self::Invalid(e) => Some(e.field.to_string()),
            _ => None,
        };
        let body = Envelope::<()> {
            success: false,
            code: status.as_u16(),
            message,
            data: None,
            error: Some(self.code()),
            field,
        };
        (status, serde_json::to_vec(&body).unwrap_or_default())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = self.envelope();
        let mut response = json_response(status, body);
        if matches!(self, Self::Overloaded | Self::Starting) {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(1u64));
        }
        if let Self::TooManyRequests { retry_after, quota } = self {
            let retry_after = retry_after.max(1);
            let headers = response.headers_mut();
            headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            // draft-ietf-httpapi-ratelimit-headers: the policy, and what is left of it.
            if let Some(q) = quota {
                let policy = format!("\"{}\";q={};w={}", q.name, q.count, q.window_secs);
                let left = format!("\"{}\";r=0;t={retry_after}", q.name);
                for (name, value) in [("ratelimit-policy", policy), ("ratelimit", left)] {
                    if let Ok(v) = HeaderValue::from_str(&value) {
                        headers.insert(name, v);
                    }
                }
            }
        }
        response
    }
}

/// A JSON answer from its exact bytes.
pub fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    (status, [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body)
        .into_response()
}
