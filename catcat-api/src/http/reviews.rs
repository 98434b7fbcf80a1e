//! Reviews: the order's customer, once the order is completed, once per order; the reviewed
//! provider replies once.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use chrono::Utc;
use repo_runtime::Crud;
use serde::Deserialize;

use super::error::{ApiError, ApiResult, ok};
use super::extract::{ApiJson, AuthUser, PathId};
use crate::domain::OrderStatus;
use crate::domain::validate;
use crate::repos::orders::PgOrderRepository;
use crate::repos::providers::{
    PgProviderRepository, PgReviewRepository, ProviderRepository, Review, ReviewRepository,
};
use crate::state::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/api/reviews", post(create)).route("/api/reviews/{id}/reply", post(reply))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct NewReview {
    order_id: i64,
    rating: i64,
    content: Option<String>,
    #[serde(default)]
    photo_urls: Vec<String>,
}

#[utoipa::path(post, path = "/api/reviews", operation_id = "createReview", tag = "reviews", request_body = NewReview, responses((status = 201, description = "reviewed; 409 if reviewed already or not completed", body = Review), (status = 409, description = "the order is not completed or has a review already"), (status = 404, description = "not found or not visible to the caller")), security(("bearer" = [])))]
pub(crate) async fn create(
    State(s): State<AppState>,
    user: AuthUser,
    ApiJson(b): ApiJson<NewReview>,
) -> ApiResult {
    if !(1..=5).contains(&b.rating) {
        return Err(ApiError::invalid("rating", "must be 1 to 5"));
    }
    validate::optional_text("content", b.content.as_deref(), 1000)?;
    if b.photo_urls.len() > 9 || b.photo_urls.iter().any(|u| u.is_empty() || u.len() > 500) {
        return Err(ApiError::invalid(
            "photoUrls",
            "must be at most 9 URLs of at most 500 characters",
        ));
    }
    let order = PgOrderRepository::new(&s.pool)
        .get(b.order_id)
        .await?
        .filter(|o| o.customer_id == user.id)
        .ok_or(ApiError::NotFound)?;
    if order.status != OrderStatus::Completed {
        return Err(ApiError::conflict(
            "order_not_completed",
            "only completed orders can be reviewed",
        ));
    }
    let provider_id = order
        .provider_id
        .ok_or(ApiError::conflict("order_not_completed", "the order has no provider"))?;
    let review = Review {
        id: s.ids.next_id(),
        order_id: order.id,
        customer_id: user.id,
        provider_id,
        rating: b.rating as i16,
        content: b.content,
        photo_urls: serde_json::json!(b.photo_urls),
        reply: None,
        replied_at: None,
        created_at: Utc::now(),
    };
    match PgReviewRepository::new(&s.pool).insert(&review).await {
        Ok(_) => {}
        Err(repo_runtime::Error::UniqueViolation { .. }) => {
            return Err(ApiError::conflict("already_reviewed", "this order has a review already"));
        }
        Err(e) => return Err(e.into()),
    }
    PgProviderRepository::new(&s.pool).refresh_rating(provider_id, Utc::now()).await?;
    s.cache.forget(&format!("rating:{provider_id}")).await;
    s.events.publish("review.created", review.id, &serde_json::json!({ "reviewId": review.id, "orderId": order.id, "providerId": provider_id, "rating": review.rating })).await;
    ok(StatusCode::CREATED, "reviewed", review)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Reply {
    reply: String,
}

#[utoipa::path(post, path = "/api/reviews/{id}/reply", operation_id = "replyToReview", tag = "reviews", request_body = Reply, params(("id" = i64, Path, description = "object id")), responses((status = 200, description = "replied once", body = Review), (status = 409, description = "replied already")), security(("bearer" = [])))]
pub(crate) async fn reply(
    State(s): State<AppState>,
    user: AuthUser,
    PathId(id): PathId,
    ApiJson(b): ApiJson<Reply>,
) -> ApiResult {
    validate::text("reply", &b.reply, 1, 1000)?;
    let reviews = PgReviewRepository::new(&s.pool);
    let review =
        reviews.get(id).await?.filter(|r| r.provider_id == user.id).ok_or(ApiError::NotFound)?;
    if reviews.reply(id, user.id, b.reply.trim(), Utc::now()).await? == 0 || review.reply.is_some()
    {
        return Err(ApiError::conflict("already_replied", "this review has a reply already"));
    }
    ok(StatusCode::OK, "replied", reviews.get(id).await?)
}
