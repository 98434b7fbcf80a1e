//! Provider applications and profiles, and reviews.

use chrono::{DateTime, Utc};
use repo_runtime::types::Decimal;
use repo_runtime::{Entity, Page, Result, repository_for};
use serde::Serialize;

use crate::domain::ProviderVerify;

/// A row of `providers`.
#[derive(Debug, Clone, PartialEq, Entity, Serialize, utoipa::ToSchema)]
#[entity(table = "providers")]
#[serde(rename_all = "camelCase")]
pub struct Provider {
    /// Snowflake id.
    #[entity(key)]
    pub id: i64,
    /// The user who applied.
    pub user_id: i64,
    /// Legal name.
    pub real_name: String,
    /// Identity document number.
    #[serde(skip)]
    pub id_card: String,
    /// Certificate URL.
    pub certificate_url: Option<String>,
    /// Review state.
    pub verify_status: ProviderVerify,
    /// Why rejected.
    pub verify_remark: Option<String>,
    /// Average review.
    #[serde(with = "rust_decimal::serde::float")]
    #[schema(value_type = f64)]
    pub rating: Decimal,
    /// Completed visits.
    pub service_count: i32,
    /// About.
    pub introduction: Option<String>,
    /// Applied.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// Providers.
#[repository_for(Provider, crud, name = PgProviderRepository)]
pub trait ProviderRepository {
    /// By user.
    #[sql("SELECT <<columns>> FROM <<table>> WHERE user_id = @user_id")]
    async fn by_user(&self, user_id: i64) -> Result<Option<Provider>>;

    /// Decides a pending application.
    #[sql(
        "UPDATE <<table>> SET verify_status = @to, verify_remark = @remark, updated_at = @now WHERE id = @id AND verify_status = @from"
    )]
    async fn decide(
        &self,
        id: i64,
        from: ProviderVerify,
        to: ProviderVerify,
        remark: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<u64>;

    /// Applications, optionally in one state.
    #[sql(
        "SELECT <<columns>>, <<total>> FROM <<table>> <<if some(status)>>WHERE verify_status = @status<</if>> ORDER BY created_at, id <<paginate>>"
    )]
    async fn applications(
        &self,
        status: Option<ProviderVerify>,
        limit: i64,
        offset: i64,
    ) -> Result<Page<Provider>>;

    /// One more completed visit.
    #[sql(
        "UPDATE <<table>> SET service_count = service_count + 1, updated_at = @now WHERE user_id = @user_id"
    )]
    async fn count_visit(&self, user_id: i64, now: DateTime<Utc>) -> Result<u64>;

    /// Recomputes the rating from the reviews.
    #[sql(
        "UPDATE <<table>> SET rating = COALESCE((SELECT ROUND(AVG(rating)::numeric, 2) FROM reviews WHERE provider_id = @user_id), 0), updated_at = @now WHERE user_id = @user_id"
    )]
    async fn refresh_rating(&self, user_id: i64, now: DateTime<Utc>) -> Result<u64>;
}

/// A row of `reviews`.
#[derive(Debug, Clone, PartialEq, Entity, Serialize, utoipa::ToSchema)]
#[entity(table = "reviews")]
#[serde(rename_all = "camelCase")]
pub struct Review {
    /// Snowflake id.
    #[entity(key)]
    pub id: i64,
    /// The order (one review each).
    pub order_id: i64,
    /// The reviewer.
    pub customer_id: i64,
    /// The reviewed provider (a user id).
    pub provider_id: i64,
    /// 1 to 5.
    pub rating: i16,
    /// Text.
    pub content: Option<String>,
    /// Photos (a JSON array of URLs).
    #[schema(value_type = Vec<String>)]
    pub photo_urls: serde_json::Value,
    /// The provider's reply.
    pub reply: Option<String>,
    /// When replied.
    pub replied_at: Option<DateTime<Utc>>,
    /// When reviewed.
    pub created_at: DateTime<Utc>,
}

/// Reviews.
#[repository_for(Review, crud, name = PgReviewRepository)]
pub trait ReviewRepository {
    /// The reviewed provider replies, once.
    #[sql(
        "UPDATE <<table>> SET reply = @reply, replied_at = @now WHERE id = @id AND provider_id = @provider_id AND reply IS NULL"
    )]
    async fn reply(
        &self,
        id: i64,
        provider_id: i64,
        reply: &str,
        now: DateTime<Utc>,
    ) -> Result<u64>;

    /// A provider's reviews, newest first.
    #[sql(
        "SELECT <<columns>>, <<total>> FROM <<table>> WHERE provider_id = @provider_id ORDER BY created_at DESC, id DESC <<paginate>>"
    )]
    async fn for_provider(&self, provider_id: i64, limit: i64, offset: i64)
    -> Result<Page<Review>>;

    /// A provider's average rating.
    #[sql("SELECT ROUND(AVG(rating)::numeric, 2) FROM <<table>> WHERE provider_id = @provider_id")]
    async fn average(&self, provider_id: i64) -> Result<Option<Decimal>>;
}
