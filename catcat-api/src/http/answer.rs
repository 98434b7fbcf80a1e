//! Typed answers: a handler's return type names its success status and its data, and builds
//! the envelope. `/openapi.json` is checked against these types (`documented_answers_are_the_
//! handlers_types` in [`super::openapi`]): a handler whose type and `body = …` disagree fails
//! the suite.

use std::marker::PhantomData;
use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::error::{ApiError, Envelope, json_response};

/// A successful answer with status `STATUS` and `data` of type `T`.
#[derive(Debug)]
pub(crate) struct Answer<T, const STATUS: u16 = 200> {
    message: &'static str,
    data: T,
}

/// What a handler returns: its answer, or the error that refused the request.
pub(crate) type ApiResult<T, const STATUS: u16 = 200> = Result<Answer<T, STATUS>, ApiError>;

/// A successful answer; the status comes from the handler's return type.
pub(crate) fn ok<T, const STATUS: u16>(message: &'static str, data: T) -> ApiResult<T, STATUS> {
    Ok(Answer { message, data })
}

impl<T: Data, const STATUS: u16> Answer<T, STATUS> {
    /// The status this answer is sent with.
    pub(crate) fn status() -> StatusCode {
        StatusCode::from_u16(STATUS).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The exact bytes of this answer's envelope.
    pub(crate) fn into_bytes(self) -> Result<Vec<u8>, ApiError> {
        self.data.envelope(Self::status(), self.message)
    }
}

impl<T: Data, const STATUS: u16> IntoResponse for Answer<T, STATUS> {
    fn into_response(self) -> Response {
        match self.into_bytes() {
            Ok(body) => json_response(Self::status(), body),
            Err(e) => e.into_response(),
        }
    }
}

/// What can be an answer's `data`: anything serializable, or JSON text already made.
pub(crate) trait Data {
    /// The envelope with this as its `data`.
    fn envelope(self, status: StatusCode, message: &str) -> Result<Vec<u8>, ApiError>;
}

impl<T: Serialize> Data for T {
    fn envelope(self, status: StatusCode, message: &str) -> Result<Vec<u8>, ApiError> {
        serde_json::to_vec(&Envelope::success(status, message, Some(self)))
            .map_err(|e| ApiError::Internal(e.into()))
    }
}

/// A `T` as JSON text (a cache hit): sent as it is, described as `T`.
#[derive(Debug)]
pub(crate) struct JsonText<T>(Arc<str>, PhantomData<fn() -> T>);

impl<T> JsonText<T> {
    /// JSON text that [`crate::infra::cache::Cache`] made from a `T`.
    pub(crate) fn new(text: Arc<str>) -> Self {
        Self(text, PhantomData)
    }

    /// `value` as JSON text, to answer beside cached text of the same type.
    pub(crate) fn of(value: &T) -> Result<Self, ApiError>
    where
        T: Serialize,
    {
        let text = serde_json::to_string(value).map_err(|e| ApiError::Internal(e.into()))?;
        Ok(Self::new(text.into()))
    }
}

impl<T> Data for JsonText<T> {
    fn envelope(self, status: StatusCode, message: &str) -> Result<Vec<u8>, ApiError> {
        // The envelope without `data` ends in `}`: `data` goes in its place, as it is (no parse,
        // no copy of the structure).
        let mut body = serde_json::to_vec(&Envelope::<()>::success(status, message, None))
            .map_err(|e| ApiError::Internal(e.into()))?;
        body.pop();
        body.extend_from_slice(b",\"data\":");
        body.extend_from_slice(self.0.as_bytes());
        body.push(b'}');
        Ok(body)
    }
}

impl<T: utoipa::PartialSchema> utoipa::PartialSchema for JsonText<T> {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        T::schema()
    }
}

/// The exact bytes of an answer that was, or will be, replayed (the idempotency protocol):
/// the first answer's envelope, which on success is an `Answer<T, STATUS>`.
#[derive(Debug)]
pub(crate) struct Recorded<T, const STATUS: u16> {
    status: StatusCode,
    body: Vec<u8>,
    data: PhantomData<fn() -> T>,
}

impl<T, const STATUS: u16> Recorded<T, STATUS> {
    /// An answer from its status and bytes.
    pub(crate) fn new(status: StatusCode, body: Vec<u8>) -> Self {
        Self { status, body, data: PhantomData }
    }
}

impl<T, const STATUS: u16> IntoResponse for Recorded<T, STATUS> {
    fn into_response(self) -> Response {
        json_response(self.status, self.body)
    }
}

/// For the document's check: the success status and the `data` schema a handler's return type
/// promises; `None` where the type promises nothing (a bare `Response`).
#[cfg(test)]
pub(crate) trait Described {
    fn success() -> Option<(u16, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>;
}

#[cfg(test)]
impl<T: utoipa::PartialSchema, const STATUS: u16> Described for ApiResult<T, STATUS> {
    fn success() -> Option<(u16, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)> {
        Some((STATUS, T::schema()))
    }
}

#[cfg(test)]
impl<T: utoipa::PartialSchema, const STATUS: u16> Described
    for Result<Recorded<T, STATUS>, ApiError>
{
    fn success() -> Option<(u16, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)> {
        Some((STATUS, T::schema()))
    }
}

#[cfg(test)]
impl Described for Response {
    fn success() -> Option<(u16, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)> {
        None
    }
}

/// A handler function's [`Described`] answer, whatever its arguments.
#[cfg(test)]
pub(crate) trait Handler<Args> {
    fn success() -> Option<(u16, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>;
}

#[cfg(test)]
macro_rules! described_handler {
    ($($arg:ident),*) => {
        impl<F, Fut, $($arg,)*> Handler<($($arg,)*)> for F
        where
            F: Fn($($arg),*) -> Fut,
            Fut: Future,
            Fut::Output: Described,
        {
            fn success() -> Option<(u16, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)> {
                <Fut::Output as Described>::success()
            }
        }
    };
}

#[cfg(test)]
described_handler!();
#[cfg(test)]
described_handler!(A);
#[cfg(test)]
described_handler!(A, B);
#[cfg(test)]
described_handler!(A, B, C);
#[cfg(test)]
described_handler!(A, B, C, D);
#[cfg(test)]
described_handler!(A, B, C, D, E);
#[cfg(test)]
described_handler!(A, B, C, D, E, G);

/// What `handler` promises (type inference picks its arity).
#[cfg(test)]
pub(crate) fn described<Args, H: Handler<Args>>(
    _: &H,
) -> Option<(u16, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)> {
    H::success()
}
