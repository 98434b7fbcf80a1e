//! Provider applications and the provider's order queues.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use chrono::{NaiveTime, Utc};
use repo_runtime::Crud;
use repo_runtime::types::Decimal;
use serde::Deserialize;

use super::error::{ApiError, ApiResult, ok};
use super::extract::{ApiJson, ApiQuery, AuthUser, PathId};
use super::views::Paged;
use super::views::{ListQuery, paged};
use crate::app::orders::approved_provider;
use crate::domain::validate;
use crate::domain::{OrderStatus, ProviderVerify, UserRole};
use crate::infra::cache;
use crate::repos::orders::{Order, OrderRepository, PgOrderRepository};
use crate::repos::providers::{
    PgProviderRepository, PgReviewRepository, Provider, Review, ReviewRepository,
};
use crate::state::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/providers/apply", post(apply))
        .route("/api/providers/{id}/reviews", get(reviews))
        .route("/api/provider/orders/available", get(available))
        .route("/api/provider/orders/mine", get(mine))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Apply {
    real_name: String,
    id_card: String,
    certificate_url: Option<String>,
    introduction: Option<String>,
}

#[utoipa::path(post, path = "/api/providers/apply", operation_id = "applyAsProvider", tag = "providers", request_body = Apply, responses((status = 201, description = "applied", body = Provider), (status = 409, description = "applied already"), (status = 404, description = "not found or not visible to the caller")), security(("bearer" = [])))]
pub(crate) async fn apply(
    State(s): State<AppState>,
    user: AuthUser,
    ApiJson(b): ApiJson<Apply>,
) -> ApiResult {
    validate::text("realName", &b.real_name, 1, 50)?;
    validate::text("idCard", &b.id_card, 6, 32)?;
    validate::optional_text("certificateUrl", b.certificate_url.as_deref(), 500)?;
    validate::optional_text("introduction", b.introduction.as_deref(), 1000)?;
    if user.role != UserRole::Customer {
        return Err(ApiError::conflict(
            "not_a_customer",
            "only customers apply to become providers",
        ));
    }
    let now = Utc::now();
    let provider = Provider {
        id: s.ids.next_id(),
        user_id: user.id,
        real_name: b.real_name.trim().to_owned(),
        id_card: b.id_card.trim().to_owned(),
        certificate_url: b.certificate_url,
        verify_status: ProviderVerify::Pending,
        verify_remark: None,
        rating: Decimal::ZERO,
        service_count: 0,
        introduction: b.introduction,
        created_at: now,
        updated_at: now,
    };
    match PgProviderRepository::new(&s.pool).insert(&provider).await {
        Ok(_) => ok(StatusCode::CREATED, "applied", provider),
        Err(repo_runtime::Error::UniqueViolation { .. }) => {
            Err(ApiError::conflict("already_applied", "you have applied already"))
        }
        Err(e) => Err(ApiError::unknown_caller(e)),
    }
}

#[utoipa::path(get, path = "/api/provider/orders/available", operation_id = "listAvailableOrders", tag = "providers", params(("date" = Option<String>, Query, description = "YYYY-MM-DD"), ("page" = Option<i64>, Query, description = "1-based, default 1"), ("pageSize" = Option<i64>, Query, description = "1 to 100, default 20")), responses((status = 200, description = "pending orders nobody took", body = Paged<Order>), (status = 403, description = "approved providers only"), (status = 404, description = "not found or not visible to the caller")), security(("bearer" = [])))]
pub(crate) async fn available(
    State(s): State<AppState>,
    user: AuthUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult {
    approved_provider(&s, &user).await.map_err(|_| ApiError::Forbidden {
        code: "provider_only",
        message: "approved providers only".into(),
    })?;
    let (page, size, limit, offset) = q.paging()?;
    let day = q.date.map(|d| d.and_time(NaiveTime::MIN).and_utc());
    let orders = PgOrderRepository::new(&s.pool)
        .available(OrderStatus::Pending, Utc::now(), day, limit, offset)
        .await?;
    paged(orders, page, size)
}

#[utoipa::path(get, path = "/api/provider/orders/mine", operation_id = "listProviderOrders", tag = "providers", params(("status" = Option<i64>, Query, description = "filter by status value"), ("page" = Option<i64>, Query, description = "1-based, default 1"), ("pageSize" = Option<i64>, Query, description = "1 to 100, default 20")), responses((status = 200, description = "the provider's orders", body = Paged<Order>), (status = 404, description = "not found or not visible to the caller")), security(("bearer" = [])))]
pub(crate) async fn mine(
    State(s): State<AppState>,
    user: AuthUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult {
    let status = q.status()?;
    let (page, size, limit, offset) = q.paging()?;
    let orders =
        PgOrderRepository::new(&s.pool).for_provider(user.id, status, limit, offset).await?;
    paged(orders, page, size)
}

#[utoipa::path(get, path = "/api/providers/{id}/reviews", operation_id = "listProviderReviews", tag = "providers", params(("id" = i64, Path, description = "object id"), ("page" = Option<i64>, Query, description = "1-based, default 1"), ("pageSize" = Option<i64>, Query, description = "1 to 100, default 20")), responses((status = 200, description = "reviews and averageRating", body = ReviewPage)), security(("bearer" = [])))]
pub(crate) async fn reviews(
    State(s): State<AppState>,
    _user: AuthUser,
    PathId(id): PathId,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult {
    let (page, size, limit, offset) = q.paging()?;
    let reviews = PgReviewRepository::new(&s.pool);
    let list = reviews.for_provider(id, limit, offset).await?;
    // Cached as the decimal's text (or null), read back exactly.
    let stored = s
        .cache
        .cached(&format!("rating:{id}"), cache::RATING_TTL, || async {
            Ok::<_, ApiError>(reviews.average(id).await?.map(|a| a.to_string()))
        })
        .await?;
    let average = serde_json::from_str::<Option<String>>(&stored)
        .ok()
        .flatten()
        .and_then(|a| a.parse::<Decimal>().ok());
    let answer = ReviewPage { page: Paged::new(list, page, size), average_rating: average };
    ok(StatusCode::OK, "ok", answer)
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
