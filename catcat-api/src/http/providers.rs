//! Provider applications, the provider's order queues and reviews over HTTP; the rules are
//! in [`crate::app::providers`].

use axum::extract::State;
use repo_runtime::types::Decimal;
use serde::Deserialize;

use super::answer::{ApiResult, ok};
use super::extract::{ApiJson, ApiQuery, AuthUser, PathId};
use super::views::{ListQuery, OrderView, Paged, order_page};
use crate::app::providers::{self, Application};
use crate::repos::providers::{Provider, Review};
use crate::state::AppState;

routes!(apply, reviews, available, mine);

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Apply {
    #[schema(
        min_length = 1,
        max_length = 50,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    real_name: String,
    #[schema(min_length = 6, max_length = 32, pattern = "^[0-9A-Za-z]{6,32}$")]
    id_card: String,
    #[schema(
        max_length = 500,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    certificate_url: Option<String>,
    #[schema(
        max_length = 1000,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    introduction: Option<String>,
}

#[utoipa::path(post, path = "/api/providers/apply", operation_id = "applyAsProvider", tag = "providers", request_body = Apply, responses((status = 201, description = "applied", body = Provider), (status = 409, description = "applied already"), (status = 404, description = "not found or not visible to the caller")), security(("bearer" = [])))]
pub(crate) async fn apply(
    State(s): State<AppState>,
    user: AuthUser,
    ApiJson(b): ApiJson<Apply>,
) -> ApiResult<Provider, 201> {
    let application = Application {
        real_name: b.real_name,
        id_card: b.id_card,
        certificate_url: b.certificate_url,
        introduction: b.introduction,
    };
    ok("applied", providers::apply(&s, user, application).await?)
}

#[utoipa::path(get, path = "/api/provider/orders/available", operation_id = "listAvailableOrders", tag = "providers", params(("date" = Option<chrono::NaiveDate>, Query, description = "only visits on this day (UTC)"), ("page" = Option<i64>, Query, description = "1-based, default 1", minimum = 1, maximum = 1000000), ("pageSize" = Option<i64>, Query, description = "1 to 100, default 20", minimum = 1, maximum = 100)), responses((status = 200, description = "pending orders nobody took", body = Paged<OrderView>), (status = 403, description = "approved providers only"), (status = 404, description = "not found or not visible to the caller")), security(("bearer" = [])))]
pub(crate) async fn available(
    State(s): State<AppState>,
    user: AuthUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Paged<OrderView>> {
    let (page, size, limit, offset) = q.paging()?;
    order_page(providers::available(&s, user, q.date, limit, offset).await?, page, size)
}

#[utoipa::path(get, path = "/api/provider/orders/mine", operation_id = "listProviderOrders", tag = "providers", params(("status" = Option<crate::domain::OrderStatus>, Query, description = "filter by status value"), ("page" = Option<i64>, Query, description = "1-based, default 1", minimum = 1, maximum = 1000000), ("pageSize" = Option<i64>, Query, description = "1 to 100, default 20", minimum = 1, maximum = 100)), responses((status = 200, description = "the provider's orders", body = Paged<OrderView>), (status = 404, description = "not found or not visible to the caller")), security(("bearer" = [])))]
pub(crate) async fn mine(
    State(s): State<AppState>,
    user: AuthUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Paged<OrderView>> {
    let status = q.status()?;
    let (page, size, limit, offset) = q.paging()?;
    order_page(providers::mine(&s, user, status, limit, offset).await?, page, size)
}

#[utoipa::path(get, path = "/api/providers/{id}/reviews", operation_id = "listProviderReviews", tag = "providers", params(("id" = i64, Path, description = "object id"), ("page" = Option<i64>, Query, description = "1-based, default 1", minimum = 1, maximum = 1000000), ("pageSize" = Option<i64>, Query, description = "1 to 100, default 20", minimum = 1, maximum = 100)), responses((status = 200, description = "reviews and averageRating", body = ReviewPage)), security(("bearer" = [])))]
pub(crate) async fn reviews(
    State(s): State<AppState>,
    _user: AuthUser,
    PathId(id): PathId,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<ReviewPage> {
    let (page, size, limit, offset) = q.paging()?;
    let (list, average) = providers::reviews(&s, id, limit, offset).await?;
    let answer = ReviewPage { page: Paged::new(list, page, size), average_rating: average };
    ok("ok", answer)
}

/// A page of a provider's reviews and their average over all pages.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ReviewPage {
    #[serde(flatten)]
    page: Paged<Review>,
    /// Null before the first review.
    #[serde(with = "rust_decimal::serde::float_option")]
    #[schema(value_type = Option<f64>)]
    average_rating: Option<Decimal>,
}
