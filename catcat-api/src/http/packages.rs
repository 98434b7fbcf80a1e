//! The service packages customers book.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;

use super::error::{ApiResult, ok_json_text};
use super::extract::PathId;
use crate::app::catalog;
use crate::repos::packages::ServicePackage;
use crate::state::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/api/packages", get(list)).route("/api/packages/{id}", get(one))
}

#[utoipa::path(get, path = "/api/packages", operation_id = "listPackages", tag = "packages", responses((status = 200, description = "bookable packages in order", body = Vec<ServicePackage>)))]
pub(crate) async fn list(State(s): State<AppState>) -> ApiResult {
    ok_json_text(StatusCode::OK, "ok", &catalog::list(&s).await?)
}

#[utoipa::path(get, path = "/api/packages/{id}", operation_id = "getPackage", tag = "packages", params(("id" = i64, Path, description = "object id")), responses((status = 200, description = "a bookable package", body = ServicePackage)))]
pub(crate) async fn one(State(s): State<AppState>, PathId(id): PathId) -> ApiResult {
    ok_json_text(StatusCode::OK, "ok", &catalog::one(&s, id).await?)
}
