//! The service packages customers book.

use axum::extract::State;

use super::answer::{ApiResult, JsonText, ok};
use super::extract::PathId;
use crate::app::catalog;
use crate::repos::packages::ServicePackage;
use crate::state::AppState;

routes!(list, one);

#[utoipa::path(get, path = "/api/packages", operation_id = "listPackages", tag = "packages", responses((status = 200, description = "bookable packages in order", body = Vec<ServicePackage>)))]
pub(crate) async fn list(State(s): State<AppState>) -> ApiResult<JsonText<Vec<ServicePackage>>> {
    ok("ok", JsonText::new(catalog::list(&s).await?))
}

#[utoipa::path(get, path = "/api/packages/{id}", operation_id = "getPackage", tag = "packages", params(("id" = i64, Path, description = "object id")), responses((status = 200, description = "a bookable package", body = ServicePackage)))]
pub(crate) async fn one(
    State(s): State<AppState>,
    PathId(id): PathId,
) -> ApiResult<JsonText<ServicePackage>> {
    ok("ok", JsonText::new(catalog::one(&s, id).await?))
}
