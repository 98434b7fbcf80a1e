//! Profiles: the signed-in user's own (full), anyone's public one (cached), the password.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use repo_runtime::Crud;
use serde::Serialize;

use super::{AppError, AppResult, Caller};
use crate::domain::validate::{self, FieldError};
use crate::domain::{UserRole, UserStatus};
use crate::infra::cache::PROFILE_TTL;
use crate::repos::users::{
    PgRefreshTokenRepository, PgUserRepository, RefreshTokenRepository, User, UserRepository,
};
use crate::state::AppState;

/// A user as the API shows them; never the password hash. The public form (what any
/// signed-in user sees) is what the profile cache holds.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
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
    pub fn full(u: &User) -> Self {
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
    pub fn public(u: &User) -> Self {
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

/// The caller's own account; a token for an account that is gone is a 401.
pub async fn me(s: &AppState, caller: Caller) -> AppResult<User> {
    PgUserRepository::new(&s.pool).get(caller.id).await?.ok_or(AppError::Unauthenticated)
}

fn email(field: &'static str, value: &str) -> Result<(), FieldError> {
    let (local, domain) = value.split_once('@').unwrap_or_default();
    if value.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !value.contains(char::is_whitespace)
        && !value.contains(char::is_control)
    {
        Ok(())
    } else {
        Err(FieldError::new(field, "must be an e-mail address"))
    }
}

/// What the caller may change about themself.
#[derive(Debug, Clone)]
pub struct ProfileChange {
    /// 1 to 50 characters.
    pub nick_name: String,
    /// An e-mail address.
    pub email: Option<String>,
    /// An image URL.
    pub avatar: Option<String>,
}

/// Updates the caller's profile; their cached public profile goes everywhere.
pub async fn update_me(s: &AppState, caller: Caller, c: ProfileChange) -> AppResult<User> {
    validate::text("nickName", &c.nick_name, 1, 50)?;
    if let Some(e) = &c.email {
        email("email", e)?;
    }
    validate::optional_text("avatar", c.avatar.as_deref(), 500)?;
    let users = PgUserRepository::new(&s.pool);
    let changed = users
        .update_profile(
            caller.id,
            c.nick_name.trim(),
            c.email.as_deref(),
            c.avatar.as_deref(),
            Utc::now(),
        )
        .await?;
    if changed == 0 {
        return Err(AppError::Unauthenticated);
    }
    s.cache.forget(&format!("user:{}", caller.id)).await;
    me(s, caller).await
}

/// Changes the caller's password; every session ends with the old one.
pub async fn change_password(s: &AppState, caller: Caller, old: &str, new: &str) -> AppResult<()> {
    validate::password("newPassword", new)?;
    let user = me(s, caller).await?;
    if !s.passwords.verify(old, &user.password_hash).await {
        return Err(AppError::invalid("oldPassword", "is not the current password"));
    }
    let hash =
        s.passwords.hash(new).await.map_err(|e| AppError::internal("hashing a password", e))?;
    let now = Utc::now();
    PgUserRepository::new(&s.pool).set_password(caller.id, &hash, now).await?;
    PgRefreshTokenRepository::new(&s.pool).revoke_user(caller.id, now).await?;
    super::sessions::end_all(s, caller.id).await
}

/// A user as `caller` may see them: in full to themself and admins, else the public profile
/// as cached JSON text.
#[derive(Debug)]
pub enum Profile {
    /// Everything.
    Full(User),
    /// The public profile's JSON.
    Public(Arc<str>),
}

/// User `id` as `caller` may see them.
pub async fn profile(s: &AppState, caller: Caller, id: i64) -> AppResult<Profile> {
    if caller.id == id || caller.is_admin() {
        let u = PgUserRepository::new(&s.pool).get(id).await?.ok_or(AppError::NotFound)?;
        return Ok(Profile::Full(u));
    }
    let text = s
        .cache
        .cached(&format!("user:{id}"), PROFILE_TTL, || async {
            let u = PgUserRepository::new(&s.pool).get(id).await?.ok_or(AppError::NotFound)?;
            Ok::<_, AppError>(UserView::public(&u))
        })
        .await?;
    Ok(Profile::Public(text))
}
