//! Extractors: the signed-in user, and JSON / query / path readers whose rejections are
//! answered in the envelope (400 for malformed input, 422 naming the field for wrong values).

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
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
        Ok(crate::app::sessions::caller(state, verified).await?)
    }
}

/// The client's address ([`crate::net::client_ip`]): the peer, or what a trusted proxy says.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub std::net::IpAddr);

impl ClientIp {
    /// The client of a request with these parts.
    pub fn of(parts: &Parts, state: &AppState) -> Self {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map_or(std::net::Ipv4Addr::UNSPECIFIED.into(), |c| c.0.ip());
        let forwarded =
            parts.headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok());
        Self(crate::net::client_ip(peer, forwarded, &state.config.trusted_proxies))
    }
}

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self::of(parts, state))
    }
}

/// What every /api request passes before its route runs:
/// - load shedding: beyond [`crate::config::Config::max_in_flight`] requests at once, 503 with
///   `Retry-After: 1` at once, never queued (a queue without bound only makes every answer
///   late);
/// - the client IP's budget ([`crate::app::limits`]): over it, 429 with `Retry-After` and the
///   `RateLimit` headers.
///
/// Health, readiness and metrics pass untouched. One function rather than a layer each, so a
/// request pays for one boxed future here, not three.
pub async fn admit(state: &AppState, request: Request, next: axum::middleware::Next) -> Response {
    if !request.uri().path().starts_with("/api/") {
        return next.run(request).await;
    }
    let Ok(_slot) = state.in_flight.try_acquire() else {
        metrics::counter!("requests_shed_total").increment(1);
        return ApiError::Overloaded.into_response();
    };
    let Some(policy) = state.limits.ip else {
        return next.run(request).await;
    };
    let (parts, body) = request.into_parts();
    let ClientIp(ip) = ClientIp::of(&parts, state);
    if let Err(e) = crate::app::limits::spend(state, &policy, &ip.to_string(), 1).await {
        return ApiError::from(e).into_response();
    }
    next.run(Request::from_parts(parts, body)).await
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
        let json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| {
                let m = m.trim();
                m.eq_ignore_ascii_case("application/json") || m.ends_with("+json")
            });
        if !json {
            return Err(ApiError::BadRequest(
                "expected a JSON body with `Content-Type: application/json`".into(),
            ));
        }
        let RawBody(bytes) = RawBody::from_request(req, state).await?;
        parse_json(&bytes).map(Self)
    }
}

/// The body's exact bytes, within the body limit (beyond it: 413 in the envelope).
#[derive(Debug)]
pub struct RawBody(pub axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::TooLarge
            } else {
                ApiError::BadRequest(e.body_text())
            }
        })?;
        Ok(Self(bytes))
    }
}

/// Reads a JSON body into `T`: malformed JSON is a 400; a value of the wrong kind, a missing
/// or unknown field, or a NUL character in any text is a 422 naming the field by its JSON path
/// (`imageUrls[2]`), in words rather than Rust type names.
pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = match serde_path_to_error::deserialize(&mut de) {
        Ok(v) => {
            de.end().map_err(|e| malformed(&e))?;
            v
        }
        // JSON has one number type: `21.0` is an integer as much as `21` is (JSON Schema says
        // so too). Only when a float met an integer field is the body read a second time.
        Err(e) if e.inner().to_string().starts_with("invalid type: floating point") => {
            let mut tree: serde_json::Value =
                serde_json::from_slice(bytes).map_err(|e| malformed(&e))?;
            integral_floats_as_integers(&mut tree);
            // Read back from bytes, not from the tree: the one deserializer per type that the
            // first attempt uses (from a `Value` would compile a second one for every type).
            let bytes = serde_json::to_vec(&tree).map_err(|e| malformed(&e))?;
            serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_slice(&bytes))
                .map_err(rejection)?
        }
        Err(e) => return Err(rejection(e)),
    };
    // A NUL cannot be stored in PostgreSQL text and means nothing in any field here. JSON can
    // carry one only escaped, so the scan is cheap and the slow path runs only when it hits.
    if contains(bytes, b"\\u0000")
        && let Ok(tree) = serde_json::from_slice::<serde_json::Value>(bytes)
        && let Some(path) = nul_path(&tree, String::new())
    {
        return Err(invalid(
            if path.is_empty() { "body".into() } else { path },
            "must not contain NUL characters".into(),
        ));
    }
    Ok(value)
}

/// Rewrites every float with no fractional part that fits an `i64` as an integer.
fn integral_floats_as_integers(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|f| n.is_f64() && f.fract() == 0.0)
                && f >= i64::MIN as f64
                && f < i64::MAX as f64
            {
                *v = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_floats_as_integers),
        Value::Object(map) => map.values_mut().for_each(integral_floats_as_integers),
        _ => {}
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The JSON path of the first string (or key) holding a NUL.
fn nul_path(v: &serde_json::Value, at: String) -> Option<String> {
    use serde_json::Value;
    match v {
        Value::String(s) if s.contains('\0') => Some(at),
        Value::Array(items) => {
            items.iter().enumerate().find_map(|(i, item)| nul_path(item, format!("{at}[{i}]")))
        }
        Value::Object(map) => map.iter().find_map(|(k, item)| {
            let here = if at.is_empty() { k.clone() } else { format!("{at}.{k}") };
            if k.contains('\0') { Some(here) } else { nul_path(item, here) }
        }),
        _ => None,
    }
}

fn invalid(field: String, message: String) -> ApiError {
    ApiError::Invalid(crate::domain::validate::FieldError { field: field.into(), message })
}

fn malformed(e: &serde_json::Error) -> ApiError {
    ApiError::BadRequest(format!(
        "the body is not valid JSON (line {}, column {})",
        e.line(),
        e.column()
    ))
}

/// The answer to a body `T` cannot be read from.
fn rejection(e: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    use serde_json::error::Category;
    let path = e.path().to_string();
    let inner = e.into_inner();
    if !matches!(inner.classify(), Category::Data) {
        return malformed(&inner);
    }
    let text = inner.to_string();
    let text = text.rsplit_once(" at line ").map_or(text.as_str(), |(t, _)| t);
    let at = |name: &str| {
        if path == "." || path.is_empty() { name.to_owned() } else { format!("{path}.{name}") }
    };
    if let Some(name) = quoted(text, "missing field `") {
        return invalid(at(name), "is required".into());
    }
    if let Some(name) = quoted(text, "unknown field `") {
        // The path already ends at the unknown key.
        let field = if path == "." || path.is_empty() { name.to_owned() } else { path };
        return invalid(field, "is not a field of this request".into());
    }
    let field = if path == "." || path.is_empty() { "body".to_owned() } else { path };
    invalid(field, plain(text))
}

/// The name in `` prefix`name` ``.
fn quoted<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    text.strip_prefix(prefix)?.split('`').next()
}

/// serde's "invalid type: string \"x\", expected i64" as "must be an integer".
fn plain(text: &str) -> String {
    if let Some((_, values)) = text.split_once("; expected one of ") {
        return format!("must be one of {values}");
    }
    let Some((_, expected)) = text.rsplit_once(", expected ") else {
        return text.to_owned();
    };
    let kind = match expected.trim() {
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "isize" | "usize" => {
            if text.starts_with("invalid value: integer") {
                "an integer in range"
            } else {
                "an integer"
            }
        }
        "f32" | "f64" => "a number",
        "a string" | "a borrowed string" | "a char" => "a string",
        "a boolean" => "true or false",
        "a sequence" => "an array",
        e if e.starts_with("struct ") || e == "a map" => "an object",
        e if e.contains("RFC 3339") || e.contains("date") => "a date-time (RFC 3339)",
        e if e.starts_with("one of ") => return format!("must be {e}"),
        e if e.starts_with("a ") || e.starts_with("an ") => return format!("must be {e}"),
        _ => return text.to_owned(),
    };
    format!("must be {kind}")
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
    parse_json(body).map(Some)
}
