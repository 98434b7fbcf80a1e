//! The service packages customers book.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;

use super::error::{ApiError, ApiResult, ok, ok_json_text};
use super::extract::PathId;
use crate::infra::cache;
use crate::repos::packages::{PackageRepository, PgPackageRepository};
use crate::state::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/packages", get(list)).route("/packages/{id}", get(one))
}

#[utoipa::path(get, path = "/api/packages", tag = "packages", responses((status = 200, description = "bookable packages in order"), (status = 400, description = "malformed input"), (status = 422, description = "a field breaks a rule; the envelope names it")))]
pub(crate) async fn list(State(s): State<AppState>) -> ApiResult {
    if let Some(hit) = cache::get(&s, "packages").await {
        return ok_json_text(StatusCode::OK, "ok", &hit);
    }
    let value = serde_json::to_value(PgPackageRepository::new(&s.pool).active().await?)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    cache::put(&s, "packages", &value, cache::PACKAGES_TTL).await;
    ok(StatusCode::OK, "ok", value)
}

#[utoipa::path(get, path = "/api/packages/{id}", tag = "packages", params(("id" = i64, Path, description = "object id")), responses((status = 200, description = "a bookable package"), (status = 400, description = "malformed input"), (status = 422, description = "a field breaks a rule; the envelope names it")))]
pub(crate) async fn one(State(s): State<AppState>, PathId(id): PathId) -> ApiResult {
    let key = format!("package:{id}");
    if let Some(hit) = cache::get(&s, &key).await {
        return ok_json_text(StatusCode::OK, "ok", &hit);
    }
    let p = PgPackageRepository::new(&s.pool).active_by_id(id).await?.ok_or(ApiError::NotFound)?;
    let value = serde_json::to_value(p).map_err(|e| ApiError::Internal(e.to_string()))?;
    cache::put(&s, &key, &value, cache::PACKAGES_TTL).await;
    ok(StatusCode::OK, "ok", value)
}
