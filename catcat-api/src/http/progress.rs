//! Progress reports over HTTP; the rules are in [`crate::app::progress`].

use axum::extract::State;
use serde::Deserialize;

use super::answer::{ApiResult, JsonText, ok};
use super::extract::{ApiJson, AuthUser, PathId};
use crate::app::progress;
use crate::domain::ProgressStatus;
use crate::repos::orders::Progress;
use crate::state::AppState;

routes!(list, report);

#[utoipa::path(get, path = "/api/orders/{id}/progress", tag = "orders", operation_id = "listOrderProgress", params(("id" = i64, Path, description = "object id")), responses((status = 200, description = "progress reports", body = Vec<Progress>)), security(("bearer" = [])))]
pub(crate) async fn list(
    State(s): State<AppState>,
    user: AuthUser,
    PathId(id): PathId,
) -> ApiResult<JsonText<Vec<Progress>>> {
    let text = progress::list(&s, user, id).await?;
    ok("ok", JsonText::new(text))
}

/// A step of the visit.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Report {
    status: ProgressStatus,
    /// At most 1000 characters.
    #[schema(
        max_length = 1000,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    description: Option<String>,
    #[schema(minimum = -90, maximum = 90)]
    latitude: Option<f64>,
    #[schema(minimum = -180, maximum = 180)]
    longitude: Option<f64>,
    /// At most 200 characters.
    #[schema(
        max_length = 200,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    address: Option<String>,
    /// At most 9 URLs of 1 to 500 characters.
    #[serde(default)]
    #[schema(max_items = 9)]
    image_urls: Vec<super::views::Link>,
}

#[utoipa::path(post, path = "/api/orders/{id}/progress", tag = "orders", operation_id = "reportOrderProgress", request_body = Report, params(("id" = i64, Path, description = "object id")), responses((status = 201, description = "reported", body = Progress), (status = 409, description = "the step is out of order, or the order is not being served")), security(("bearer" = [])))]
pub(crate) async fn report(
    State(s): State<AppState>,
    user: AuthUser,
    PathId(id): PathId,
    ApiJson(b): ApiJson<Report>,
) -> ApiResult<Progress, 201> {
    let report = progress::Report {
        status: b.status,
        description: b.description,
        latitude: b.latitude,
        longitude: b.longitude,
        address: b.address,
        image_urls: b.image_urls.into_iter().map(|l| l.0).collect(),
    };
    let entry = progress::report(&s, user, id, report).await?;
    ok("reported", entry)
}
