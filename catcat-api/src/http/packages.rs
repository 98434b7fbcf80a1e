//! The service packages customers book.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;

use super::error::{ApiError, ApiResult, ok_json_text};
use super::extract::PathId;
use crate::infra::cache;
use crate::repos::packages::{PackageRepository, PgPackageRepository, ServicePackage};
use crate::state::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/api/packages", get(list)).route("/api/packages/{id}", get(one))
}

#[utoipa::path(get, path = "/api/packages", operation_id = "listPackages", tag = "packages", responses((status = 200, description = "bookable packages in order", body = Vec<ServicePackage>)))]
pub(crate) async fn list(State(s): State<AppState>) -> ApiResult {
    let text = s
        .cache
        .cached("packages", cache::PACKAGES_TTL, || async {
            Ok::<_, ApiError>(PgPackageRepository::new(&s.pool).active().await?)
        })
        .await?;
    ok_json_text(StatusCode::OK, "ok", &text)
}

#[utoipa::path(get, path = "/api/packages/{id}", operation_id = "getPackage", tag = "packages", params(("id" = i64, Path, description = "object id")), responses((status = 200, description = "a bookable package", body = ServicePackage)))]
pub(crate) async fn one(State(s): State<AppState>, PathId(id): PathId) -> ApiResult {
    let text = s
        .cache
        .cached(&format!("package:{id}"), cache::PACKAGES_TTL, || async {
            PgPackageRepository::new(&s.pool).active_by_id(id).await?.ok_or(ApiError::NotFound)
        })
        .await?;
    ok_json_text(StatusCode::OK, "ok", &text)
}
