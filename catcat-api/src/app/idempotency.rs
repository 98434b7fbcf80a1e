//! `Idempotency-Key`: the first request with a key runs; every retry gets its answer, byte for
//! byte. Only final answers are kept (2xx and 4xx but 429): a 5xx or a 429 gives the key back,
//! so a retry once the dependency is back runs again. Records expire after [`TTL`]; an expired
//! key is taken over by its next request and old records are purged.

use std::time::Duration;

use chrono::Utc;

use super::{AppError, AppResult};
use crate::repos::orders::{IdempotencyRecord, IdempotencyRepository, PgIdempotencyRepository};
use crate::state::AppState;

/// How long a key and its answer are kept.
pub const TTL: chrono::Duration = chrono::Duration::hours(24);

/// How long a retry waits for the first request with the same key to answer.
const WAIT: Duration = Duration::from_secs(5);

/// What a claim found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This request is the first with the key: run it, then [`record`] its answer.
    First,
    /// An earlier request answered this: send the same.
    Replay {
        /// Its status.
        status: u16,
        /// Its exact bytes.
        body: String,
    },
}

/// Whether an answer with `status` is final, so that retries get it too.
pub fn is_final(status: u16) -> bool {
    status < 500 && status != 429
}

/// Claims `key` for `user_id`'s request whose body hashes to `request_hash`; waits up to five
/// seconds for an earlier request with the key that is still running.
pub async fn claim(s: &AppState, user_id: i64, key: &str, request_hash: &str) -> AppResult<Claim> {
    let records = PgIdempotencyRepository::new(&s.pool);
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let now = Utc::now();
        let record = IdempotencyRecord {
            user_id,
            key: key.to_owned(),
            request_hash: request_hash.to_owned(),
            response_status: None,
            response_body: None,
            created_at: now,
        };
        if records.claim(&record, now - TTL).await? == 1 {
            return Ok(Claim::First);
        }
        // Gone between the two statements (released or expired): claim again.
        if let Some(found) = records.live(user_id, key, now - TTL).await? {
            if found.request_hash != request_hash {
                return Err(AppError::invalid(
                    "Idempotency-Key",
                    "was already used for a different request",
                ));
            }
            if let (Some(status), Some(body)) = (found.response_status, found.response_body) {
                return Ok(Claim::Replay { status: status as u16, body });
            }
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(AppError::conflict(
                "request_in_progress",
                "the first request with this key is still running; retry",
            ));
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Keeps a final answer for the key's retries, or gives the key back when the answer is not
/// final.
pub async fn record(
    s: &AppState,
    user_id: i64,
    key: &str,
    status: u16,
    body: &str,
) -> AppResult<()> {
    let records = PgIdempotencyRepository::new(&s.pool);
    if is_final(status) {
        records.answer(user_id, key, status as i16, body).await?;
    } else {
        records.release(user_id, key).await?;
    }
    Ok(())
}

/// Deletes the expired records; how many.
pub async fn purge(s: &AppState) -> AppResult<u64> {
    Ok(PgIdempotencyRepository::new(&s.pool).purge(Utc::now() - TTL).await?)
}
