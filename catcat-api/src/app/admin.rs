//! The admin surface: provider decisions, user status and role changes (both end the user's
//! sessions and drop their cached profile), lists and statistics. The caller is an admin: the
//! HTTP layer gates every admin route before any of this runs.

use std::collections::BTreeMap;

use chrono::Utc;
use repo_runtime::types::Decimal;
use repo_runtime::{Crud, Page};

use super::{AppError, AppResult, Caller};
use crate::domain::validate;
use crate::domain::{OrderStatus, ProviderVerify, UserRole, UserStatus};
use crate::repos::orders::{Order, OrderRepository, PgOrderRepository};
use crate::repos::providers::{PgProviderRepository, Provider, ProviderRepository};
use crate::repos::users::{
    PgRefreshTokenRepository, PgUserRepository, RefreshTokenRepository, User, UserRepository,
};
use crate::state::AppState;

/// Approves or rejects a pending application; an approved applicant becomes a provider (and
/// signs in again to act as one).
pub async fn decide(
    s: &AppState,
    id: i64,
    to: ProviderVerify,
    remark: Option<String>,
) -> AppResult<Provider> {
    validate::optional_text("remark", remark.as_deref(), 500)?;
    let providers = PgProviderRepository::new(&s.pool);
    let provider = providers.get(id).await?.ok_or(AppError::NotFound)?;
    let now = Utc::now();
    if providers.decide(id, ProviderVerify::Pending, to, remark.as_deref(), now).await? == 0 {
        return Err(AppError::conflict("already_decided", "this application was decided already"));
    }
    if to == ProviderVerify::Approved {
        PgUserRepository::new(&s.pool)
            .set_role(provider.user_id, UserRole::ServiceProvider, now)
            .await?;
        PgRefreshTokenRepository::new(&s.pool).revoke_user(provider.user_id, now).await?;
        super::sessions::changed(s, provider.user_id).await;
    }
    providers.get(id).await?.ok_or(AppError::NotFound)
}

/// A change an admin makes to a user.
#[derive(Debug, Clone, Copy)]
pub enum UserChange {
    /// May they sign in.
    Status(UserStatus),
    /// What they are.
    Role(UserRole),
}

/// Changes another user's status or role; their sessions end.
pub async fn change_user(
    s: &AppState,
    admin: Caller,
    id: i64,
    change: UserChange,
) -> AppResult<User> {
    if id == admin.id {
        let what = if matches!(change, UserChange::Status(_)) { "status" } else { "role" };
        return Err(AppError::conflict(
            "own_account",
            format!("admins cannot change their own {what}"),
        ));
    }
    let users = PgUserRepository::new(&s.pool);
    let now = Utc::now();
    let changed = match change {
        UserChange::Status(status) => users.set_status(id, status, now).await?,
        UserChange::Role(role) => users.set_role(id, role, now).await?,
    };
    if changed == 0 {
        return Err(AppError::NotFound);
    }
    PgRefreshTokenRepository::new(&s.pool).revoke_user(id, now).await?;
    super::sessions::end_all(s, id).await?;
    s.cache.forget(&format!("user:{id}")).await;
    users.get(id).await?.ok_or(AppError::NotFound)
}

/// Users, filtered.
pub async fn users(
    s: &AppState,
    role: Option<UserRole>,
    status: Option<UserStatus>,
    limit: i64,
    offset: i64,
) -> AppResult<Page<User>> {
    Ok(PgUserRepository::new(&s.pool).filtered(role, status, limit, offset).await?)
}

/// Every order, newest first.
pub async fn orders(
    s: &AppState,
    status: Option<OrderStatus>,
    limit: i64,
    offset: i64,
) -> AppResult<Page<Order>> {
    Ok(PgOrderRepository::new(&s.pool).all(status, limit, offset).await?)
}

/// Provider applications, filtered.
pub async fn applications(
    s: &AppState,
    status: Option<ProviderVerify>,
    limit: i64,
    offset: i64,
) -> AppResult<Page<Provider>> {
    Ok(PgProviderRepository::new(&s.pool).applications(status, limit, offset).await?)
}

/// The platform in numbers.
#[derive(Debug)]
pub struct Numbers {
    /// Users per role value.
    pub users_by_role: BTreeMap<String, i64>,
    /// Orders per status value.
    pub orders_by_status: BTreeMap<String, i64>,
    /// The sum of completed orders' prices.
    pub revenue: Decimal,
    /// Applications waiting for a decision.
    pub pending_provider_applications: u64,
}

/// The platform in numbers.
pub async fn statistics(s: &AppState) -> AppResult<Numbers> {
    let users = PgUserRepository::new(&s.pool).count_by_role().await?;
    let orders = PgOrderRepository::new(&s.pool);
    let by_status = orders.count_by_status().await?;
    let revenue = orders.revenue(OrderStatus::Completed).await?;
    let pending = PgProviderRepository::new(&s.pool)
        .applications(Some(ProviderVerify::Pending), 1, 0)
        .await?
        .total;
    Ok(Numbers {
        users_by_role: users.into_iter().map(|(r, n)| (r.value().to_string(), n)).collect(),
        orders_by_status: by_status
            .into_iter()
            .map(|(st, n)| (st.value().to_string(), n))
            .collect(),
        revenue,
        pending_provider_applications: pending,
    })
}
