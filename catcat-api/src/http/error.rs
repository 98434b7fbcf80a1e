//! One error type for every handler, answered in the one envelope:
//! `{"success": false, "code": <status>, "message": …, "error": <machine code>}`.
//! Server errors are logged with their cause and answered with a generic message.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

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
    },
    /// A dependency is saturated or down; retry later.
    #[error("service unavailable")]
    Unavailable(String),
    /// A bug or an unexpected failure.
    #[error("internal error")]
    Internal(String),
}

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
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad_request",
            Self::Invalid(_) => "invalid_field",
            Self::TooLarge => "payload_too_large",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden { code, .. } | Self::Conflict { code, .. } => code,
            Self::NotFound => "not_found",
            Self::TooManyRequests { .. } => "too_many_requests",
            Self::Unavailable(_) => "unavailable",
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
                Self::Unavailable(e.to_string())
            }
            other => Self::Internal(format!("{other}: {:?}", std::error::Error::source(&other))),
        }
    }
}

impl From<crate::infra::kv::KvError> for ApiError {
    fn from(e: crate::infra::kv::KvError) -> Self {
        Self::Unavailable(e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = match &self {
            Self::Internal(cause) => {
                tracing::error!(%cause, "request failed");
                "internal server error".to_owned()
            }
            Self::Unavailable(cause) => {
                tracing::warn!(%cause, "dependency unavailable");
                "service temporarily unavailable, retry later".to_owned()
            }
            other => other.to_string(),
        };
        let field = match &self {
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
        let mut response = (status, Json(body)).into_response();
        if let Self::TooManyRequests { retry_after } = self
            && let Ok(v) = HeaderValue::from_str(&retry_after.max(1).to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
    }
}

/// A successful answer in the envelope.
pub fn ok<T: Serialize>(status: StatusCode, message: &str, data: T) -> ApiResult {
    let body = Envelope {
        success: true,
        code: status.as_u16(),
        message: message.to_owned(),
        data: Some(data),
        error: None,
        field: None,
    };
    Ok((status, Json(body)).into_response())
}

/// Handler result.
pub type ApiResult = Result<Response, ApiError>;

/// A successful answer whose `data` is JSON text already (a cache hit): no parse, no copy of
/// the structure, just the envelope around it.
pub fn ok_json_text(status: StatusCode, message: &str, data: &str) -> ApiResult {
    let head = serde_json::json!({ "success": true, "code": status.as_u16(), "message": message })
        .to_string();
    let body = format!("{},\"data\":{data}}}", &head[..head.len() - 1]);
    Ok((status, [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body)
        .into_response())
}
