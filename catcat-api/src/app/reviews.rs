//! Reviews: the order's customer, once the order is completed, once per order; the reviewed
//! provider replies once.

use chrono::Utc;
use repo_runtime::Crud;

use super::{AppError, AppResult, Caller};
use crate::domain::OrderStatus;
use crate::domain::validate;
use crate::repos::orders::PgOrderRepository;
use crate::repos::providers::{
    PgProviderRepository, PgReviewRepository, ProviderRepository, Review, ReviewRepository,
};
use crate::state::AppState;

/// What a customer writes about a visit.
#[derive(Debug, Clone)]
pub struct NewReview {
    /// The completed order.
    pub order_id: i64,
    /// 1 to 5.
    pub rating: i64,
    /// At most 1000 characters.
    pub content: Option<String>,
    /// At most 9 URLs.
    pub photo_urls: Vec<String>,
}

/// Reviews a completed order of the caller's; the provider's rating follows.
pub async fn create(s: &AppState, caller: Caller, r: NewReview) -> AppResult<Review> {
    super::limits::user_write(s, caller.id).await?;
    if !(1..=5).contains(&r.rating) {
        return Err(AppError::invalid("rating", "must be 1 to 5"));
    }
    validate::optional_text("content", r.content.as_deref(), 1000)?;
    if r.photo_urls.len() > 9
        || r.photo_urls.iter().any(|u| validate::text("photoUrls", u, 1, 500).is_err())
    {
        return Err(AppError::invalid(
            "photoUrls",
            "must be at most 9 URLs of 1 to 500 characters",
        ));
    }
    let order = PgOrderRepository::new(&s.pool)
        .get(r.order_id)
        .await?
        .filter(|o| o.customer_id == caller.id)
        .ok_or(AppError::NotFound)?;
    if order.status != OrderStatus::Completed {
        return Err(AppError::conflict(
            "order_not_completed",
            "only completed orders can be reviewed",
        ));
    }
    let provider_id = order
        .provider_id
        .ok_or(AppError::conflict("order_not_completed", "the order has no provider"))?;
    let review = Review {
        id: s.ids.next_id()?,
        order_id: order.id,
        customer_id: caller.id,
        provider_id,
        rating: r.rating as i16,
        content: r.content,
        photo_urls: serde_json::json!(r.photo_urls),
        reply: None,
        replied_at: None,
        created_at: Utc::now(),
    };
    match PgReviewRepository::new(&s.pool).insert(&review).await {
        Ok(_) => {}
        Err(repo_runtime::Error::UniqueViolation { .. }) => {
            return Err(AppError::conflict("already_reviewed", "this order has a review already"));
        }
        Err(e) => return Err(e.into()),
    }
    PgProviderRepository::new(&s.pool).refresh_rating(provider_id, Utc::now()).await?;
    s.cache.forget(&format!("rating:{provider_id}")).await;
    let event = serde_json::json!({ "reviewId": review.id, "orderId": order.id, "providerId": provider_id, "rating": review.rating });
    s.events.publish("review.created", review.id, &event).await;
    Ok(review)
}

/// The reviewed provider replies, once; anyone else gets 404.
pub async fn reply(s: &AppState, caller: Caller, id: i64, text: &str) -> AppResult<Review> {
    validate::text("reply", text, 1, 1000)?;
    let reviews = PgReviewRepository::new(&s.pool);
    let review =
        reviews.get(id).await?.filter(|r| r.provider_id == caller.id).ok_or(AppError::NotFound)?;
    if review.reply.is_some() || reviews.reply(id, caller.id, text.trim(), Utc::now()).await? == 0 {
        return Err(AppError::conflict("already_replied", "this review has a reply already"));
    }
    reviews.get(id).await?.ok_or(AppError::NotFound)
}
