//! Extractors: the signed-in user, and JSON / query / path readers whose rejections are
//! answered in the envelope (400 for malformed input, 422 naming the field for wrong values).

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::ApiError;
use crate::domain::UserRole;
use crate::state::AppState;

/// The caller, from a valid access token.
pub use crate::app::Caller as AuthUser;

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(ApiError::Unauthorized)?;
        let token = header.strip_prefix("Bearer ").ok_or(ApiError::Unauthorized)?;
        let verified = state.tokens.verify(token.trim()).ok_or(ApiError::Unauthorized)?;
        Ok(Self { id: verified.user_id, role: verified.role })
    }
}

/// An administrator.
#[derive(Debug, Clone, Copy)]
pub struct AdminUser(pub AuthUser);

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        if user.role == UserRole::Admin {
            Ok(Self(user))
        } else {
            Err(ApiError::Forbidden { code: "admin_only", message: "administrators only".into() })
        }
    }
}

/// A JSON body; unknown fields are refused by the types (`deny_unknown_fields`).
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Self(v)),
            Err(JsonRejection::JsonDataError(e)) => Err(data_error(&e.body_text())),
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::TooLarge)
            }
            Err(e) => Err(ApiError::BadRequest(e.body_text())),
        }
    }
}

/// `Failed to deserialize …: nickName: invalid type …` → a 422 naming `nickName`.
fn data_error(text: &str) -> ApiError {
    let detail = text.split_once("target type: ").map_or(text, |(_, d)| d);
    let field = detail.split_once(": ").map(|(f, _)| f).filter(|f| !f.contains(' '));
    let unknown = detail.split('`').nth(1).filter(|_| detail.starts_with("unknown field"));
    let missing = detail.split('`').nth(1).filter(|_| detail.starts_with("missing field"));
    let name = field.or(unknown).or(missing).unwrap_or("body");
    ApiError::Invalid(crate::domain::validate::FieldError {
        field: name.to_owned().into(),
        message: detail.to_owned(),
    })
}

/// Query parameters.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Self(q.0))
            .map_err(|e: QueryRejection| ApiError::BadRequest(e.body_text()))
    }
}

/// A numeric id in the path; anything else is a 404 (there is no such object).
#[derive(Debug, Clone, Copy)]
pub struct PathId(pub i64);

impl<S> FromRequestParts<S> for PathId
where
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<i64>::from_request_parts(parts, state)
            .await
            .map(|p| Self(p.0))
            .map_err(|_: PathRejection| ApiError::NotFound)
    }
}

/// An optional JSON body: empty means `None`; anything else must parse like [`ApiJson`].
pub(crate) fn optional_json<T: DeserializeOwned>(body: &[u8]) -> Result<Option<T>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    match serde_json::from_slice::<T>(body) {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_data() => Err(data_error(&format!("target type: {e}"))),
        Err(e) => Err(ApiError::BadRequest(e.to_string())),
    }
}
