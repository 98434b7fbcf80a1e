//! The signed-in user's profile and password, and public profiles.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, put};
use chrono::{DateTime, Utc};
use repo_runtime::Crud;
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ApiResult, ok, ok_json_text};
use super::extract::{ApiJson, AuthUser, PathId};
use super::views::Empty;
use crate::domain::validate;
use crate::domain::{UserRole, UserStatus};
use crate::infra::cache;
use crate::repos::users::{
    PgRefreshTokenRepository, PgUserRepository, RefreshTokenRepository, User, UserRepository,
};
use crate::state::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/users/me", get(me).put(update_me))
        .route("/api/users/me/password", put(change_password))
        .route("/api/users/{id}", get(by_id))
}

/// A user as the API shows them; never the password hash.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UserView {
    id: i64,
    nick_name: String,
    avatar: Option<String>,
    role: UserRole,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<UserStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created_at: Option<DateTime<Utc>>,
}

impl UserView {
    /// Everything, for the user themself and admins.
    pub(crate) fn full(u: &User) -> Self {
        Self {
            id: u.id,
            nick_name: u.nick_name.clone(),
            avatar: u.avatar.clone(),
            role: u.role,
            phone: Some(u.phone.clone()),
            email: u.email.clone(),
            status: Some(u.status),
            created_at: Some(u.created_at),
        }
    }

    /// What any signed-in user may see.
    pub(crate) fn public(u: &User) -> Self {
        Self {
            id: u.id,
            nick_name: u.nick_name.clone(),
            avatar: u.avatar.clone(),
            role: u.role,
            phone: None,
            email: None,
            status: None,
            created_at: None,
        }
    }
}

#[utoipa::path(get, path = "/api/users/me", operation_id = "getMe", tag = "users", responses((status = 200, description = "the full profile", body = UserView)), security(("bearer" = [])))]
pub(crate) async fn me(State(s): State<AppState>, user: AuthUser) -> ApiResult {
    let u = PgUserRepository::new(&s.pool).get(user.id).await?.ok_or(ApiError::Unauthorized)?;
    ok(StatusCode::OK, "ok", UserView::full(&u))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct UpdateMe {
    nick_name: String,
    email: Option<String>,
    avatar: Option<String>,
}

fn email(field: &'static str, value: &str) -> Result<(), validate::FieldError> {
    let (local, domain) = value.split_once('@').unwrap_or_default();
    if value.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !value.contains(char::is_whitespace)
    {
        Ok(())
    } else {
        Err(validate::FieldError::new(field, "must be an e-mail address"))
    }
}

#[utoipa::path(put, path = "/api/users/me", operation_id = "updateMe", tag = "users", request_body = UpdateMe, responses((status = 200, description = "updated", body = UserView)), security(("bearer" = [])))]
pub(crate) async fn update_me(
    State(s): State<AppState>,
    user: AuthUser,
    ApiJson(b): ApiJson<UpdateMe>,
) -> ApiResult {
    validate::text("nickName", &b.nick_name, 1, 50)?;
    if let Some(e) = &b.email {
        email("email", e)?;
    }
    validate::optional_text("avatar", b.avatar.as_deref(), 500)?;
    let users = PgUserRepository::new(&s.pool);
    let changed = users
        .update_profile(
            user.id,
            b.nick_name.trim(),
            b.email.as_deref(),
            b.avatar.as_deref(),
            Utc::now(),
        )
        .await?;
    if changed == 0 {
        // The token is signed, but the account it names is gone.
        return Err(ApiError::Unauthorized);
    }
    s.cache.forget(&format!("user:{}", user.id)).await;
    let u = users.get(user.id).await?.ok_or(ApiError::Unauthorized)?;
    ok(StatusCode::OK, "updated", UserView::full(&u))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ChangePassword {
    old_password: String,
    new_password: String,
}

#[utoipa::path(put, path = "/api/users/me/password", operation_id = "changePassword", tag = "users", request_body = ChangePassword, responses((status = 200, description = "changed; other sessions end", body = Empty), (status = 404, description = "not found or not visible to the caller")), security(("bearer" = [])))]
pub(crate) async fn change_password(
    State(s): State<AppState>,
    user: AuthUser,
    ApiJson(b): ApiJson<ChangePassword>,
) -> ApiResult {
    validate::password("newPassword", &b.new_password)?;
    let users = PgUserRepository::new(&s.pool);
    let u = users.get(user.id).await?.ok_or(ApiError::Unauthorized)?;
    if !s.passwords.verify(&b.old_password, &u.password_hash).await {
        return Err(ApiError::invalid("oldPassword", "is not the current password"));
    }
    let hash = s.passwords.hash(&b.new_password).await.map_err(|e| ApiError::Internal(e.into()))?;
    let now = Utc::now();
    users.set_password(user.id, &hash, now).await?;
    // Every other session ends with the old password.
    PgRefreshTokenRepository::new(&s.pool).revoke_user(user.id, now).await?;
    ok(StatusCode::OK, "password changed; sign in again on other devices", Empty {})
}

#[utoipa::path(get, path = "/api/users/{id}", operation_id = "getUser", tag = "users", params(("id" = i64, Path, description = "object id")), responses((status = 200, description = "public profile, or full to self and admins", body = UserView)), security(("bearer" = [])))]
pub(crate) async fn by_id(
    State(s): State<AppState>,
    user: AuthUser,
    PathId(id): PathId,
) -> ApiResult {
    if user.id == id || user.role == UserRole::Admin {
        let u = PgUserRepository::new(&s.pool).get(id).await?.ok_or(ApiError::NotFound)?;
        return ok(StatusCode::OK, "ok", UserView::full(&u));
    }
    // Public profiles are cached; the user's own writes and admin changes invalidate them.
    let text = s
        .cache
        .cached(&format!("user:{id}"), cache::PROFILE_TTL, || async {
            let u = PgUserRepository::new(&s.pool).get(id).await?.ok_or(ApiError::NotFound)?;
            Ok::<_, ApiError>(UserView::public(&u))
        })
        .await?;
    ok_json_text(StatusCode::OK, "ok", &text)
}
