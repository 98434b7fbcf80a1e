//! Providers: applying to become one, their order queues, their reviews and rating.

use chrono::{NaiveDate, NaiveTime, Utc};
use repo_runtime::types::Decimal;
use repo_runtime::{Crud, Page};

use super::orders::approved_provider;
use super::{AppError, AppResult, Caller};
use crate::domain::validate;
use crate::domain::{OrderStatus, ProviderVerify, UserRole};
use crate::infra::cache::RATING_TTL;
use crate::repos::orders::{Order, OrderRepository, PgOrderRepository};
use crate::repos::providers::{
    PgProviderRepository, PgReviewRepository, Provider, Review, ReviewRepository,
};
use crate::state::AppState;

/// What a customer sends to become a provider.
#[derive(Debug, Clone)]
pub struct Application {
    /// 1 to 50 characters.
    pub real_name: String,
    /// 6 to 32 characters.
    pub id_card: String,
    /// A URL.
    pub certificate_url: Option<String>,
    /// At most 1000 characters.
    pub introduction: Option<String>,
}

/// A customer applies; an admin decides later.
pub async fn apply(s: &AppState, caller: Caller, a: Application) -> AppResult<Provider> {
    validate::text("realName", &a.real_name, 1, 50)?;
    validate::text("idCard", &a.id_card, 6, 32)?;
    if !a.id_card.trim().bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(AppError::invalid("idCard", "must be 6 to 32 letters and digits"));
    }
    validate::optional_text("certificateUrl", a.certificate_url.as_deref(), 500)?;
    validate::optional_text("introduction", a.introduction.as_deref(), 1000)?;
    if caller.role != UserRole::Customer {
        return Err(AppError::conflict(
            "not_a_customer",
            "only customers apply to become providers",
        ));
    }
    let now = Utc::now();
    let provider = Provider {
        id: s.ids.next_id()?,
        user_id: caller.id,
        real_name: a.real_name.trim().to_owned(),
        id_card: a.id_card.trim().to_owned(),
        certificate_url: a.certificate_url,
        verify_status: ProviderVerify::Pending,
        verify_remark: None,
        rating: Decimal::ZERO,
        service_count: 0,
        introduction: a.introduction,
        created_at: now,
        updated_at: now,
    };
    match PgProviderRepository::new(&s.pool).insert(&provider).await {
        Ok(_) => Ok(provider),
        Err(repo_runtime::Error::UniqueViolation { .. }) => {
            Err(AppError::conflict("already_applied", "you have applied already"))
        }
        // The token is signed, but the account it names is gone.
        Err(repo_runtime::Error::ForeignKeyViolation { .. }) => Err(AppError::Unauthenticated),
        Err(e) => Err(e.into()),
    }
}

/// Pending orders nobody took, soonest first (approved providers only).
pub async fn available(
    s: &AppState,
    caller: Caller,
    day: Option<NaiveDate>,
    limit: i64,
    offset: i64,
) -> AppResult<Page<Order>> {
    approved_provider(s, &caller)
        .await
        .map_err(|_| AppError::forbidden("provider_only", "approved providers only"))?;
    let day = day.map(|d| d.and_time(NaiveTime::MIN).and_utc());
    Ok(PgOrderRepository::new(&s.pool)
        .available(OrderStatus::Pending, Utc::now(), day, limit, offset)
        .await?)
}

/// The orders the caller took, newest visit first.
pub async fn mine(
    s: &AppState,
    caller: Caller,
    status: Option<OrderStatus>,
    limit: i64,
    offset: i64,
) -> AppResult<Page<Order>> {
    Ok(PgOrderRepository::new(&s.pool).for_provider(caller.id, status, limit, offset).await?)
}

/// A page of provider `id`'s reviews and their average over all pages (cached).
pub async fn reviews(
    s: &AppState,
    id: i64,
    limit: i64,
    offset: i64,
) -> AppResult<(Page<Review>, Option<Decimal>)> {
    let reviews = PgReviewRepository::new(&s.pool);
    let list = reviews.for_provider(id, limit, offset).await?;
    // Cached as the decimal's text (or null), read back exactly.
    let stored = s
        .cache
        .cached(&format!("rating:{id}"), RATING_TTL, || async {
            Ok::<_, AppError>(reviews.average(id).await?.map(|a| a.to_string()))
        })
        .await?;
    let average = serde_json::from_str::<Option<String>>(&stored)
        .ok()
        .flatten()
        .and_then(|a| a.parse::<Decimal>().ok());
    Ok((list, average))
}
