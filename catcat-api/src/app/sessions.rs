//! Sessions end when they must, on every replica: each access token is checked against its
//! user's session state — role, status, and the instant before which the user's tokens are
//! refused — held in the coherent cache tier ([`crate::infra::cache`]). A request costs an
//! in-process lookup, not a database round trip; a ban, a role change, a password change or a
//! sign-out writes the state and drops it from every replica's tier at once.

use std::time::Duration;

use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::{AppError, AppResult, Caller};
use crate::domain::{UserRole, UserStatus};
use crate::infra::tokens::Verified;
use crate::repos::users::{PgUserRepository, UserRepository};
use crate::state::AppState;

/// How long a replica may hold a user's session state without hearing of a change (the bound
/// on staleness if an invalidation is lost).
const STATE_TTL: Duration = Duration::from_secs(60);

/// What an access token is checked against.
#[derive(Debug, Serialize, Deserialize)]
struct State {
    role: i16,
    status: i16,
    /// Tokens issued before this (ms since the epoch) are refused.
    valid_after: Option<i64>,
}

fn key(user: i64) -> String {
    format!("session:{user}")
}

/// The caller of a verified access token, or 401 if its user is gone, not active, or its
/// sessions were ended after the token was issued.
pub async fn caller(s: &AppState, token: Verified) -> AppResult<Caller> {
    let text = s
        .cache
        .cached(&key(token.user_id), STATE_TTL, || async {
            let found = PgUserRepository::new(&s.pool).session_state(token.user_id).await?;
            let (role, status, valid_after) = found.ok_or(AppError::Unauthenticated)?;
            Ok::<_, AppError>(State {
                role: role.value(),
                status: status.value(),
                valid_after: valid_after.map(|t| t.timestamp_millis()),
            })
        })
        .await?;
    let state: State = serde_json::from_str(&text)
        .map_err(|e| AppError::Internal { context: "session state", source: e.into() })?;
    if state.valid_after.is_some_and(|after| token.issued_ms < after)
        || state.status != UserStatus::Active.value()
    {
        return Err(AppError::Unauthenticated);
    }
    let role = UserRole::from_value(i64::from(state.role))
        .ok_or(AppError::Internal { context: "session state role", source: "unknown".into() })?;
    Ok(Caller { id: token.user_id, role })
}

/// Ends every session of `user` now: access tokens issued before are refused on every replica.
pub async fn end_all(s: &AppState, user: i64) -> AppResult<()> {
    PgUserRepository::new(&s.pool).end_sessions(user, Utc::now()).await?;
    changed(s, user).await;
    Ok(())
}

/// The user's role or status changed: every replica reads it again.
pub async fn changed(s: &AppState, user: i64) {
    s.cache.forget(&key(user)).await;
}
