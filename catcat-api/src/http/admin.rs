//! The admin surface (role Admin): provider decisions, user status and role changes (both end
//! the user's sessions), lists.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use chrono::Utc;
use repo_runtime::Crud;
use serde::Deserialize;

use super::error::{ApiError, ApiResult, ok};
use super::extract::{AdminUser, ApiJson, ApiQuery, PathId, optional_json};
use super::orders::{ListQuery, paged};
use super::users::UserView;
use crate::domain::validate;
use crate::domain::{ProviderVerify, UserRole, UserStatus};
use crate::repos::orders::{OrderRepository, PgOrderRepository};
use crate::repos::providers::{PgProviderRepository, ProviderRepository};
use crate::repos::users::{
    PgRefreshTokenRepository, PgUserRepository, RefreshTokenRepository, UserRepository,
};
use crate::state::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/providers/{id}/approve", post(approve))
        .route("/admin/providers/{id}/reject", post(reject))
        .route("/admin/users/{id}/status", put(set_status))
        .route("/admin/users/{id}/role", put(set_role))
        .route("/admin/users", get(users))
        .route("/admin/orders", get(orders))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Decision {
    remark: Option<String>,
}

async fn decide(s: &AppState, id: i64, to: ProviderVerify, body: &[u8]) -> ApiResult {
    let remark = optional_json::<Decision>(body)?.unwrap_or_default().remark;
    validate::optional_text("remark", remark.as_deref(), 500)?;
    let providers = PgProviderRepository::new(&s.pool);
    let provider = providers.get(id).await?.ok_or(ApiError::NotFound)?;
    let now = Utc::now();
    if providers.decide(id, ProviderVerify::Pending, to, remark.as_deref(), now).await? == 0 {
        return Err(ApiError::conflict("already_decided", "this application was decided already"));
    }
    if to == ProviderVerify::Approved {
        PgUserRepository::new(&s.pool)
            .set_role(provider.user_id, UserRole::ServiceProvider, now)
            .await?;
        PgRefreshTokenRepository::new(&s.pool).revoke_user(provider.user_id, now).await?;
    }
    ok(StatusCode::OK, "decided", providers.get(id).await?)
}

async fn approve(
    State(s): State<AppState>,
    _admin: AdminUser,
    PathId(id): PathId,
    body: axum::body::Bytes,
) -> ApiResult {
    decide(&s, id, ProviderVerify::Approved, &body).await
}

async fn reject(
    State(s): State<AppState>,
    _admin: AdminUser,
    PathId(id): PathId,
    body: axum::body::Bytes,
) -> ApiResult {
    decide(&s, id, ProviderVerify::Rejected, &body).await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StatusBody {
    status: UserStatus,
}

async fn set_status(
    State(s): State<AppState>,
    admin: AdminUser,
    PathId(id): PathId,
    ApiJson(b): ApiJson<StatusBody>,
) -> ApiResult {
    if id == admin.0.id {
        return Err(ApiError::conflict("own_account", "admins cannot change their own status"));
    }
    let users = PgUserRepository::new(&s.pool);
    let now = Utc::now();
    if users.set_status(id, b.status, now).await? == 0 {
        return Err(ApiError::NotFound);
    }
    PgRefreshTokenRepository::new(&s.pool).revoke_user(id, now).await?;
    let u = users.get(id).await?.ok_or(ApiError::NotFound)?;
    ok(StatusCode::OK, "updated", UserView::full(&u))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RoleBody {
    role: UserRole,
}

async fn set_role(
    State(s): State<AppState>,
    admin: AdminUser,
    PathId(id): PathId,
    ApiJson(b): ApiJson<RoleBody>,
) -> ApiResult {
    if id == admin.0.id {
        return Err(ApiError::conflict("own_account", "admins cannot change their own role"));
    }
    let users = PgUserRepository::new(&s.pool);
    let now = Utc::now();
    if users.set_role(id, b.role, now).await? == 0 {
        return Err(ApiError::NotFound);
    }
    PgRefreshTokenRepository::new(&s.pool).revoke_user(id, now).await?;
    let u = users.get(id).await?.ok_or(ApiError::NotFound)?;
    ok(StatusCode::OK, "updated", UserView::full(&u))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UserQuery {
    role: Option<i64>,
    status: Option<i64>,
    page: Option<i64>,
    page_size: Option<i64>,
}

async fn users(
    State(s): State<AppState>,
    _admin: AdminUser,
    ApiQuery(q): ApiQuery<UserQuery>,
) -> ApiResult {
    let role = q
        .role
        .map(|r| UserRole::from_value(r).ok_or_else(|| ApiError::invalid("role", "is not a role")))
        .transpose()?;
    let status = q
        .status
        .map(|r| {
            UserStatus::from_value(r).ok_or_else(|| ApiError::invalid("status", "is not a status"))
        })
        .transpose()?;
    let (page, size) = validate::paging(q.page, q.page_size)?;
    let list =
        PgUserRepository::new(&s.pool).filtered(role, status, size, (page - 1) * size).await?;
    paged(list.map(|u| UserView::full(&u)), page, size)
}

async fn orders(
    State(s): State<AppState>,
    _admin: AdminUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult {
    let status = q.status()?;
    let (page, size, limit, offset) = q.paging()?;
    paged(PgOrderRepository::new(&s.pool).all(status, limit, offset).await?, page, size)
}
