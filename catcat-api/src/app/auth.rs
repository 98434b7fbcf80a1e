//! Sign-up and sign-in: SMS codes (hashed, 5 minutes, single use, 5 attempts, 60 s between
//! sends, 10 a day), passwords, and sessions whose refresh tokens rotate on every use; the
//! reuse of a rotated token revokes its whole family.

use std::net::IpAddr;

use super::limits;
use std::time::Duration;

use chrono::Utc;
use rand::Rng;
use repo_runtime::Crud;

use super::{AppError, AppResult, Caller};
use crate::domain::validate;
use crate::domain::{UserRole, UserStatus};
use crate::infra::tokens::{REFRESH_TTL, hash, new_refresh_token};
use crate::repos::users::{
    PgRefreshTokenRepository, PgUserRepository, RefreshToken, RefreshTokenRepository, User,
    UserRepository,
};
use crate::state::AppState;

/// How long a code stays valid.
pub const CODE_TTL: Duration = Duration::from_secs(300);
const RESEND_AFTER: Duration = Duration::from_secs(60);
const DAILY_SENDS: i64 = 10;
const CODE_ATTEMPTS: u32 = 5;

/// A signed-in session.
#[derive(Debug)]
pub struct Session {
    /// The access token (JWT).
    pub access_token: String,
    /// The refresh token (opaque; stored as a hash).
    pub refresh_token: String,
    /// Seconds the access token lives.
    pub expires_in: i64,
    /// Who signed in.
    pub user: User,
}

/// Sends a sign-in code to `phone`: the same answer whether or not the phone is registered.
pub async fn send_code(s: &AppState, phone: &str, ip: IpAddr) -> AppResult<Duration> {
    validate::phone("phone", phone)?;
    limits::auth_attempt(s, phone, ip).await?;
    let cooldown = format!("sms:cooldown:{phone}");
    if !s.kv.set_nx(&cooldown, "1", RESEND_AFTER).await? {
        let left = s.kv.ttl(&cooldown).await?.unwrap_or(RESEND_AFTER);
        return Err(AppError::Throttled {
            retry_after: left.as_secs_f64().ceil() as u64,
            quota: None,
        });
    }
    let today = Utc::now();
    let daily = format!("sms:daily:{phone}:{}", today.format("%Y%m%d"));
    if s.kv.incr(&daily, Duration::from_secs(86_400)).await? > DAILY_SENDS {
        let midnight = (today + chrono::Duration::days(1))
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .map(|m| m.and_utc());
        let retry = midnight.map_or(3600, |m| (m - today).num_seconds().max(1) as u64);
        return Err(AppError::Throttled { retry_after: retry, quota: None });
    }
    let code = format!("{:06}", rand::thread_rng().gen_range(0..1_000_000));
    s.kv.set(&format!("sms:code:{phone}"), &format!("{}:0", hash(&code)), CODE_TTL).await?;
    s.sms
        .send(phone, &format!("Your CatCat code is {code}. It expires in 5 minutes."))
        .await
        .map_err(|e| AppError::Sms(e.into()))?;
    Ok(CODE_TTL)
}

/// Checks and consumes a code: single use, at most five attempts.
async fn check_code(s: &AppState, phone: &str, code: &str) -> AppResult<()> {
    validate::code("code", code)?;
    let key = format!("sms:code:{phone}");
    let wrong = || AppError::invalid("code", "is wrong or has expired");
    let stored = s.kv.get(&key).await?.ok_or_else(wrong)?;
    let (stored_hash, attempts) = stored.split_once(':').ok_or_else(wrong)?;
    let attempts: u32 = attempts.parse().unwrap_or(CODE_ATTEMPTS);
    if attempts >= CODE_ATTEMPTS {
        s.kv.del(&key).await?;
        return Err(AppError::invalid("code", "has been tried too often; request a new one"));
    }
    if stored_hash == hash(code) {
        s.kv.del(&key).await?;
        return Ok(());
    }
    let left = s.kv.ttl(&key).await?.unwrap_or(Duration::from_secs(1));
    s.kv.set(&key, &format!("{stored_hash}:{}", attempts + 1), left).await?;
    Err(wrong())
}

/// A new session: an access token and the first refresh token of a new family.
async fn start_session(s: &AppState, user: User) -> AppResult<Session> {
    let family = s.ids.next_id()?;
    issue(s, &PgRefreshTokenRepository::new(&s.pool), user, family).await
}

async fn issue<E: repo_runtime::Executor>(
    s: &AppState,
    tokens: &PgRefreshTokenRepository<E>,
    user: User,
    family: i64,
) -> AppResult<Session> {
    let now = Utc::now();
    let refresh = new_refresh_token();
    tokens
        .insert(&RefreshToken {
            id: s.ids.next_id()?,
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
    Ok(Session { access_token: access, refresh_token: refresh, expires_in, user })
}

fn may_sign_in(user: &User) -> AppResult<()> {
    match user.status {
        UserStatus::Active => Ok(()),
        UserStatus::Pending => {
            Err(AppError::forbidden("account_pending", "this account is not active yet"))
        }
        UserStatus::Suspended => {
            Err(AppError::forbidden("account_suspended", "this account is suspended"))
        }
        UserStatus::Banned => Err(AppError::forbidden("account_banned", "this account is banned")),
    }
}

/// What a new customer sends.
#[derive(Debug, Clone)]
pub struct Registration {
    /// Their phone.
    pub phone: String,
    /// The code sent to it.
    pub code: String,
    /// Their password.
    pub password: String,
    /// What others see; made from the phone when absent.
    pub nick_name: Option<String>,
}

/// Registers a customer with a code sent to their phone, and signs them in.
pub async fn register(s: &AppState, r: Registration) -> AppResult<Session> {
    validate::phone("phone", &r.phone)?;
    validate::password("password", &r.password)?;
    validate::optional_text("nickName", r.nick_name.as_deref(), 50)?;
    check_code(s, &r.phone, &r.code).await?;
    let users = PgUserRepository::new(&s.pool);
    let taken = || AppError::conflict("phone_taken", "this phone number is already registered");
    if users.by_phone(&r.phone).await?.is_some() {
        return Err(taken());
    }
    let now = Utc::now();
    let digits = r.phone.trim_start_matches('+');
    let user = User {
        id: s.ids.next_id()?,
        nick_name: r
            .nick_name
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| format!("cat lover {}", &digits[digits.len().saturating_sub(4)..])),
        phone: r.phone,
        email: None,
        avatar: None,
        password_hash: s
            .passwords
            .hash(&r.password)
            .await
            .map_err(|e| AppError::internal("hashing a password", e))?,
        role: UserRole::Customer,
        status: UserStatus::Active,
        created_at: now,
        updated_at: now,
    };
    match users.insert(&user).await {
        Ok(_) => start_session(s, user).await,
        Err(repo_runtime::Error::UniqueViolation { .. }) => Err(taken()),
        Err(e) => Err(e.into()),
    }
}

/// Signs in with a password.
pub async fn login(s: &AppState, phone: &str, password: &str, ip: IpAddr) -> AppResult<Session> {
    validate::phone("phone", phone)?;
    limits::auth_attempt(s, phone, ip).await?;
    let Some(user) = PgUserRepository::new(&s.pool).by_phone(phone).await? else {
        // Unknown phones cost a hash too, so timing does not tell which phones exist.
        let _ = s.passwords.hash(password).await;
        limits::failed_sign_in(s, phone, ip).await;
        return Err(AppError::Unauthenticated);
    };
    if !s.passwords.verify(password, &user.password_hash).await {
        limits::failed_sign_in(s, phone, ip).await;
        return Err(AppError::Unauthenticated);
    }
    may_sign_in(&user)?;
    start_session(s, user).await
}

/// Signs in with a code sent to the phone.
pub async fn login_sms(s: &AppState, phone: &str, code: &str, ip: IpAddr) -> AppResult<Session> {
    validate::phone("phone", phone)?;
    limits::auth_attempt(s, phone, ip).await?;
    if let Err(e) = check_code(s, phone, code).await {
        if matches!(e, AppError::Unauthenticated) {
            limits::failed_sign_in(s, phone, ip).await;
        }
        return Err(e);
    }
    let user =
        PgUserRepository::new(&s.pool).by_phone(phone).await?.ok_or(AppError::Unauthenticated)?;
    may_sign_in(&user)?;
    start_session(s, user).await
}

/// A refresh token's form: 64 lowercase hex digits, as [`new_refresh_token`] makes them.
fn token_form(token: &str) -> AppResult<()> {
    if token.len() == 64 && token.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        Ok(())
    } else {
        Err(AppError::invalid("refreshToken", "must be the 64 hex digits a sign-in answered"))
    }
}

/// Rotates a refresh token: a new pair, the old token spent. A spent token presented again
/// (someone holds a copy) revokes its whole family.
pub async fn refresh(s: &AppState, refresh_token: &str) -> AppResult<Session> {
    token_form(refresh_token)?;
    let now = Utc::now();
    let tokens = PgRefreshTokenRepository::new(&s.pool);
    let old = tokens.by_hash(&hash(refresh_token)).await?.ok_or(AppError::Unauthenticated)?;
    if old.revoked_at.is_some() {
        tokens.revoke_family(old.family_id, now).await?;
        tracing::warn!(
            user_id = old.user_id,
            family = old.family_id,
            "refresh token reuse; family revoked"
        );
        return Err(AppError::Unauthenticated);
    }
    if old.expires_at <= now {
        return Err(AppError::Unauthenticated);
    }
    let user =
        PgUserRepository::new(&s.pool).get(old.user_id).await?.ok_or(AppError::Unauthenticated)?;
    if let Err(e) = may_sign_in(&user) {
        tokens.revoke_family(old.family_id, now).await?;
        return Err(e);
    }
    let rotated = repo_runtime::transaction(&s.pool, async |tx| {
        let in_tx = PgRefreshTokenRepository::new(tx);
        let session = issue(s, &in_tx, user, old.family_id).await?;
        let new_id = in_tx
            .by_hash(&hash(&session.refresh_token))
            .await?
            .map(|t| t.id)
            .ok_or(AppError::Unauthenticated)?;
        if in_tx.rotate(old.id, new_id, now).await? == 0 {
            // Rotated meanwhile by another request with the same token: treated as reuse.
            return Err(AppError::Unauthenticated);
        }
        Ok(session)
    })
    .await;
    if let Err(AppError::Unauthenticated) = rotated {
        tokens.revoke_family(old.family_id, now).await?;
    }
    rotated
}

/// Ends the session family of `refresh_token` if it is the caller's.
pub async fn logout(s: &AppState, caller: Caller, refresh_token: &str) -> AppResult<()> {
    token_form(refresh_token)?;
    let tokens = PgRefreshTokenRepository::new(&s.pool);
    if let Some(t) = tokens.by_hash(&hash(refresh_token)).await?
        && t.user_id == caller.id
    {
        tokens.revoke_family(t.family_id, Utc::now()).await?;
    }
    // The access tokens of every device end too; the others refresh with their own refresh
    // tokens, which stay valid.
    super::sessions::end_all(s, caller.id).await
}
