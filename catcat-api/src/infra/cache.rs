//! Cache-aside in the shared store, so an invalidation by one replica is seen by all:
//! packages (1 h), public profiles (30 min), provider ratings (10 min), order progress (5 min).
//! A store failure never fails a request: it reads through to the database.

use std::time::Duration;

use serde_json::Value;

use crate::state::AppState;

/// Package list and package lifetimes.
pub const PACKAGES_TTL: Duration = Duration::from_secs(3600);
/// Public profile lifetime.
pub const PROFILE_TTL: Duration = Duration::from_secs(1800);
/// Provider rating lifetime.
pub const RATING_TTL: Duration = Duration::from_secs(600);
/// Order progress lifetime.
pub const PROGRESS_TTL: Duration = Duration::from_secs(300);

/// The cached JSON text under `key`, if any (sent as it is, never parsed).
pub async fn get(s: &AppState, key: &str) -> Option<String> {
    match s.kv.get(&format!("cache:{key}")).await {
        Ok(hit) => hit,
        Err(e) => {
            tracing::warn!(error = %e, key, "cache read failed; reading through");
            None
        }
    }
}

/// Caches `value` under `key` for `ttl`.
pub async fn put(s: &AppState, key: &str, value: &Value, ttl: Duration) {
    if let Err(e) = s.kv.set(&format!("cache:{key}"), &value.to_string(), ttl).await {
        tracing::warn!(error = %e, key, "cache write failed");
    }
}

/// Drops `key`.
pub async fn forget(s: &AppState, key: &str) {
    if let Err(e) = s.kv.del(&format!("cache:{key}")).await {
        tracing::warn!(error = %e, key, "cache invalidation failed");
    }
}

/// Drops the package list (and one package, when it is named).
pub async fn forget_package(s: &AppState, id: Option<i64>) {
    forget(s, "packages").await;
    if let Some(id) = id {
        forget(s, &format!("package:{id}")).await;
    }
}
