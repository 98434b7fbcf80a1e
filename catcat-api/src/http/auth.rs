//! Sign-up and sign-in: SMS codes (hashed, 5 minutes, single use, 5 attempts, 60 s between
//! sends, 10 a day), passwords, and refresh tokens rotated on every use, whose reuse revokes
//! the whole family.

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use chrono::Utc;
use rand::Rng;
use repo_runtime::Crud;
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ApiResult, ok};
use super::extract::{ApiJson, AuthUser};
use super::users::UserView;
use super::views::Empty;
use crate::domain::validate;
use crate::domain::{UserRole, UserStatus};
use crate::infra::tokens::{REFRESH_TTL, hash, new_refresh_token};
use crate::repos::users::{
    PgRefreshTokenRepository, PgUserRepository, RefreshToken, RefreshTokenRepository, User,
    UserRepository,
};
use crate::state::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/auth/send-code", post(send_code))
        .route("/api/auth/register", post(register))
        .route("/api/auth/login", post(login))
        .route("/api/auth/login-sms", post(login_sms))
        .route("/api/auth/refresh", post(refresh))
        .route("/api/auth/logout", post(logout))
}

const CODE_TTL: Duration = Duration::from_secs(300);
const RESEND_AFTER: Duration = Duration::from_secs(60);
const DAILY_SENDS: i64 = 10;
const CODE_ATTEMPTS: u32 = 5;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct SendCode {
    phone: String,
}

#[utoipa::path(post, path = "/api/auth/send-code", operation_id = "sendCode", tag = "auth", request_body = SendCode, responses((status = 200, description = "a code was sent (same answer for unknown phones)", body = CodeSent), (status = 429, description = "throttled: one code a minute and a few a day per phone; Retry-After gives the seconds"), (status = 503, description = "the SMS sender is unavailable")))]
pub(crate) async fn send_code(
    State(s): State<AppState>,
    ApiJson(b): ApiJson<SendCode>,
) -> ApiResult {
    validate::phone("phone", &b.phone)?;
    let cooldown = format!("sms:cooldown:{}", b.phone);
    if !s.kv.set_nx(&cooldown, "1", RESEND_AFTER).await? {
        let left = s.kv.ttl(&cooldown).await?.unwrap_or(RESEND_AFTER);
        return Err(ApiError::TooManyRequests { retry_after: left.as_secs_f64().ceil() as u64 });
    }
    let today = Utc::now();
    let daily = format!("sms:daily:{}:{}", b.phone, today.format("%Y%m%d"));
    if s.kv.incr(&daily, Duration::from_secs(86_400)).await? > DAILY_SENDS {
        let midnight = (today + chrono::Duration::days(1))
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .map(|m| m.and_utc());
        let retry = midnight.map_or(3600, |m| (m - today).num_seconds().max(1) as u64);
        return Err(ApiError::TooManyRequests { retry_after: retry });
    }
    let code = format!("{:06}", rand::thread_rng().gen_range(0..1_000_000));
    s.kv.set(&format!("sms:code:{}", b.phone), &format!("{}:0", hash(&code)), CODE_TTL).await?;
    s.sms
        .send(&b.phone, &format!("Your CatCat code is {code}. It expires in 5 minutes."))
        .await
        .map_err(|e| ApiError::Unavailable(e.into()))?;
    // The same answer whether or not the phone is registered.
    ok(StatusCode::OK, "code sent", CodeSent { expires_in: CODE_TTL.as_secs() })
}

/// Checks and consumes a code: single use, at most five attempts.
async fn check_code(s: &AppState, phone: &str, code: &str) -> Result<(), ApiError> {
    validate::code("code", code)?;
    let key = format!("sms:code:{phone}");
    let wrong = || ApiError::invalid("code", "is wrong or has expired");
    let stored = s.kv.get(&key).await?.ok_or_else(wrong)?;
    let (stored_hash, attempts) = stored.split_once(':').ok_or_else(wrong)?;
    let attempts: u32 = attempts.parse().unwrap_or(CODE_ATTEMPTS);
    if attempts >= CODE_ATTEMPTS {
        s.kv.del(&key).await?;
        return Err(ApiError::invalid("code", "has been tried too often; request a new one"));
    }
    if stored_hash == hash(code) {
        s.kv.del(&key).await?;
        return Ok(());
    }
    let left = s.kv.ttl(&key).await?.unwrap_or(Duration::from_secs(1));
    s.kv.set(&key, &format!("{stored_hash}:{}", attempts + 1), left).await?;
    Err(wrong())
}

/// What sending a code answers.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CodeSent {
    /// Seconds the code stays valid.
    expires_in: u64,
}

/// What a sign-in answers.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Session {
    access_token: String,
    refresh_token: String,
    expires_in: i64,
    user: UserView,
}

/// A new session: an access token and the first refresh token of a new family.
async fn start_session(s: &AppState, user: &User) -> Result<Session, ApiError> {
    let family = s.ids.next_id();
    issue(s, &PgRefreshTokenRepository::new(&s.pool), user, family).await
}

async fn issue<E: repo_runtime::Executor>(
    s: &AppState,
    tokens: &PgRefreshTokenRepository<E>,
    user: &User,
    family: i64,
) -> Result<Session, ApiError> {
    let now = Utc::now();
    let refresh = new_refresh_token();
    tokens
        .insert(&RefreshToken {
            id: s.ids.next_id(),
            user_id: user.id,
            family_id: family,
            token_hash: hash(&refresh),
            expires_at: now + REFRESH_TTL,
            revoked_at: None,
            replaced_by: None,
            created_at: now,
        })
        .await?;
    let (access, expires_in) = s.tokens.issue(user.id, user.role, now);
    Ok(Session {
        access_token: access,
        refresh_token: refresh,
        expires_in,
        user: UserView::full(user),
    })
}

fn may_sign_in(user: &User) -> Result<(), ApiError> {
    match user.status {
        UserStatus::Active => Ok(()),
        UserStatus::Pending => Err(ApiError::Forbidden {
            code: "account_pending",
            message: "this account is not active yet".into(),
        }),
        UserStatus::Suspended => Err(ApiError::Forbidden {
            code: "account_suspended",
            message: "this account is suspended".into(),
        }),
        UserStatus::Banned => Err(ApiError::Forbidden {
            code: "account_banned",
            message: "this account is banned".into(),
        }),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Register {
    phone: String,
    code: String,
    password: String,
    nick_name: Option<String>,
}

#[utoipa::path(post, path = "/api/auth/register", operation_id = "register", tag = "auth", request_body = Register, responses((status = 201, description = "registered and signed in", body = Session), (status = 409, description = "the phone number is registered already")))]
pub(crate) async fn register(
    State(s): State<AppState>,
    ApiJson(b): ApiJson<Register>,
) -> ApiResult {
    validate::phone("phone", &b.phone)?;
    validate::password("password", &b.password)?;
    validate::optional_text("nickName", b.nick_name.as_deref(), 50)?;
    check_code(&s, &b.phone, &b.code).await?;
    let users = PgUserRepository::new(&s.pool);
    if users.by_phone(&b.phone).await?.is_some() {
        return Err(ApiError::conflict("phone_taken", "this phone number is already registered"));
    }
    let now = Utc::now();
    let digits = b.phone.trim_start_matches('+');
    let user = User {
        id: s.ids.next_id(),
        nick_name: b
            .nick_name
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| format!("cat lover {}", &digits[digits.len().saturating_sub(4)..])),
        phone: b.phone,
        email: None,
        avatar: None,
        password_hash: s
            .passwords
            .hash(&b.password)
            .await
            .map_err(|e| ApiError::Internal(e.into()))?,
        role: UserRole::Customer,
        status: UserStatus::Active,
        created_at: now,
        updated_at: now,
    };
    match users.insert(&user).await {
        Ok(_) => {}
        Err(repo_runtime::Error::UniqueViolation { .. }) => {
            return Err(ApiError::conflict(
                "phone_taken",
                "this phone number is already registered",
            ));
        }
        Err(e) => return Err(e.into()),
    }
    ok(StatusCode::CREATED, "registered", start_session(&s, &user).await?)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Login {
    phone: String,
    password: String,
}

#[utoipa::path(post, path = "/api/auth/login", operation_id = "login", tag = "auth", request_body = Login, responses((status = 200, description = "signed in", body = Session), (status = 401, description = "wrong phone or password"), (status = 403, description = "the account is pending, suspended or banned")))]
pub(crate) async fn login(State(s): State<AppState>, ApiJson(b): ApiJson<Login>) -> ApiResult {
    validate::phone("phone", &b.phone)?;
    let Some(user) = PgUserRepository::new(&s.pool).by_phone(&b.phone).await? else {
        // Unknown phones cost a hash too, so timing does not tell which phones exist.
        let _ = s.passwords.hash(&b.password).await;
        return Err(ApiError::Unauthorized);
    };
    if !s.passwords.verify(&b.password, &user.password_hash).await {
        return Err(ApiError::Unauthorized);
    }
    may_sign_in(&user)?;
    ok(StatusCode::OK, "signed in", start_session(&s, &user).await?)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct LoginSms {
    phone: String,
    code: String,
}

#[utoipa::path(post, path = "/api/auth/login-sms", operation_id = "loginWithSms", tag = "auth", request_body = LoginSms, responses((status = 200, description = "signed in", body = Session), (status = 403, description = "the account is pending, suspended or banned")))]
pub(crate) async fn login_sms(
    State(s): State<AppState>,
    ApiJson(b): ApiJson<LoginSms>,
) -> ApiResult {
    validate::phone("phone", &b.phone)?;
    check_code(&s, &b.phone, &b.code).await?;
    let user =
        PgUserRepository::new(&s.pool).by_phone(&b.phone).await?.ok_or(ApiError::Unauthorized)?;
    may_sign_in(&user)?;
    ok(StatusCode::OK, "signed in", start_session(&s, &user).await?)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RefreshBody {
    refresh_token: String,
}

#[utoipa::path(post, path = "/api/auth/refresh", operation_id = "refreshTokens", tag = "auth", request_body = RefreshBody, responses((status = 200, description = "a new token pair; reuse of a rotated token revokes its family", body = Session), (status = 401, description = "unknown, expired or already rotated refresh token (a reuse revokes the whole family)"), (status = 403, description = "the account is pending, suspended or banned")))]
pub(crate) async fn refresh(
    State(s): State<AppState>,
    ApiJson(b): ApiJson<RefreshBody>,
) -> ApiResult {
    let now = Utc::now();
    let tokens = PgRefreshTokenRepository::new(&s.pool);
    let Some(old) = tokens.by_hash(&hash(&b.refresh_token)).await? else {
        return Err(ApiError::Unauthorized);
    };
    if old.revoked_at.is_some() {
        // A rotated token came back: someone holds a copy. End the whole family.
        tokens.revoke_family(old.family_id, now).await?;
        tracing::warn!(
            user_id = old.user_id,
            family = old.family_id,
            "refresh token reuse; family revoked"
        );
        return Err(ApiError::Unauthorized);
    }
    if old.expires_at <= now {
        return Err(ApiError::Unauthorized);
    }
    let user =
        PgUserRepository::new(&s.pool).get(old.user_id).await?.ok_or(ApiError::Unauthorized)?;
    if let Err(e) = may_sign_in(&user) {
        tokens.revoke_family(old.family_id, now).await?;
        return Err(e);
    }
    let mut client = s.pool.get().await.map_err(repo_runtime::Error::from)?;
    let tx = client.transaction().await.map_err(repo_runtime::Error::from)?;
    let in_tx = PgRefreshTokenRepository::new(&tx);
    let session = issue(&s, &in_tx, &user, old.family_id).await?;
    let new_id = in_tx
        .by_hash(&hash(&session.refresh_token))
        .await?
        .map(|t| t.id)
        .ok_or(ApiError::Unauthorized)?;
    if in_tx.rotate(old.id, new_id, now).await? == 0 {
        // Rotated concurrently by another request with the same token: treat as reuse.
        tx.rollback().await.map_err(repo_runtime::Error::from)?;
        tokens.revoke_family(old.family_id, now).await?;
        return Err(ApiError::Unauthorized);
    }
    tx.commit().await.map_err(repo_runtime::Error::from)?;
    ok(StatusCode::OK, "refreshed", session)
}

#[utoipa::path(post, path = "/api/auth/logout", operation_id = "logout", tag = "auth", request_body = RefreshBody, responses((status = 200, description = "the session family is revoked", body = Empty), (status = 404, description = "not found or not visible to the caller")), security(("bearer" = [])))]
pub(crate) async fn logout(
    State(s): State<AppState>,
    user: AuthUser,
    ApiJson(b): ApiJson<RefreshBody>,
) -> ApiResult {
    let tokens = PgRefreshTokenRepository::new(&s.pool);
    if let Some(t) = tokens.by_hash(&hash(&b.refresh_token)).await?
        && t.user_id == user.id
    {
        tokens.revoke_family(t.family_id, Utc::now()).await?;
    }
    ok(StatusCode::OK, "signed out", Empty {})
}
