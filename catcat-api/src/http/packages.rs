//! The service packages customers book.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;

use super::error::{ApiError, ApiResult, ok};
use super::extract::PathId;
use crate::repos::packages::{PackageRepository, PgPackageRepository};
use crate::state::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/packages", get(list)).route("/packages/{id}", get(one))
}

async fn list(State(s): State<AppState>) -> ApiResult {
    ok(StatusCode::OK, "ok", PgPackageRepository::new(&s.pool).active().await?)
}

async fn one(State(s): State<AppState>, PathId(id): PathId) -> ApiResult {
    let p = PgPackageRepository::new(&s.pool).active_by_id(id).await?.ok_or(ApiError::NotFound)?;
    ok(StatusCode::OK, "ok", p)
}
