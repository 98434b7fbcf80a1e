//! Cache-aside in two tiers: an in-process tier ([`LocalTier`]) in front of the shared store
//! (Redis), so a hot read costs no network round trip at all:
//! packages (1 h), public profiles (30 min), provider ratings (10 min), order progress (5 min);
//! the in-process tier keeps an entry at most [`crate::infra::local_cache::MAX_AGE`].
//!
//! A write drops the key from the shared store and from this replica's tier, and publishes the
//! key on the invalidation subject (core NATS), which every replica listens to. A replica whose
//! connection to NATS drops or lags clears its tier when it reconnects. With Redis but without
//! NATS there is no way to reach the other replicas, so the in-process tier is off; with neither
//! (one node) it is on, since there is nobody else.
//!
//! A store failure never fails a request: it reads through to the database.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use serde::Serialize;

use crate::infra::kv::Kv;
use crate::infra::local_cache::LocalTier;

/// Package list and package lifetimes.
pub const PACKAGES_TTL: Duration = Duration::from_secs(3600);
/// Public profile lifetime.
pub const PROFILE_TTL: Duration = Duration::from_secs(1800);
/// Provider rating lifetime.
pub const RATING_TTL: Duration = Duration::from_secs(600);
/// Order progress lifetime.
pub const PROGRESS_TTL: Duration = Duration::from_secs(300);
/// Entries the in-process tier holds at most.
pub const LOCAL_ENTRIES: usize = 4096;

/// A value that could not be written as JSON (a bug in its `Serialize`).
#[derive(Debug, thiserror::Error)]
#[error("a cached value could not be serialized")]
pub struct CacheError(#[from] serde_json::Error);

/// The shared store, the in-process tier and how invalidations reach the other replicas.
#[derive(Debug)]
pub struct Cache {
    shared: Kv,
    local: Option<Arc<LocalTier>>,
    bus: Option<(async_nats::Client, String)>,
}

impl Cache {
    /// Only the shared store (several replicas and no way to tell them about writes).
    pub fn shared_only(shared: Kv) -> Self {
        Self { shared, local: None, bus: None }
    }

    /// An in-process tier that nobody else needs to hear about (a single node).
    pub fn single_node(shared: Kv, local: Arc<LocalTier>) -> Self {
        Self { shared, local: Some(local), bus: None }
    }

    /// An in-process tier kept coherent over `subject`: subscribes before returning, so no
    /// invalidation published after this is missed, and drops whatever arrives there.
    /// `local` is the tier the NATS connection clears when it reconnects.
    pub async fn coherent(
        shared: Kv,
        local: Arc<LocalTier>,
        client: async_nats::Client,
        subject: String,
    ) -> Result<Self, async_nats::SubscribeError> {
        let mut invalidations = client.subscribe(subject.clone()).await?;
        let tier = local.clone();
        tokio::spawn(async move {
            while let Some(message) = invalidations.next().await {
                match std::str::from_utf8(&message.payload) {
                    Ok(key) => tier.invalidate(key),
                    Err(_) => tier.clear(),
                }
            }
        });
        Ok(Self { shared, local: Some(local), bus: Some((client, subject)) })
    }

    /// The in-process tier, if on.
    pub fn local(&self) -> Option<&LocalTier> {
        self.local.as_deref()
    }

    /// The JSON text under `key`; on a miss in both tiers, what `load` gives, serialized and
    /// cached for `ttl`. Errors of `load` (a 404, say) are returned and nothing is cached.
    pub async fn cached<T, E, F, Fut>(
        &self,
        key: &str,
        ttl: Duration,
        load: F,
    ) -> Result<Arc<str>, E>
    where
        T: Serialize,
        E: From<CacheError>,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let local = self.local();
        let ticket = match local {
            Some(tier) => {
                if let Some(hit) = tier.get(key) {
                    metrics::counter!("cache_lookups_total", "tier" => "local").increment(1);
                    return Ok(hit);
                }
                Some(tier.ticket())
            }
            None => None,
        };
        let shared_key = format!("cache:{key}");
        let text: Arc<str> = match self.shared.get(&shared_key).await {
            Ok(Some(hit)) => {
                metrics::counter!("cache_lookups_total", "tier" => "shared").increment(1);
                hit.into()
            }
            found => {
                if let Err(e) = found {
                    tracing::warn!(error = %e, key, "cache read failed; reading through");
                }
                metrics::counter!("cache_lookups_total", "tier" => "miss").increment(1);
                let value = load().await?;
                let text = serde_json::to_string(&value).map_err(CacheError::from)?;
                if let Err(e) = self.shared.set(&shared_key, &text, ttl).await {
                    tracing::warn!(error = %e, key, "cache write failed");
                }
                text.into()
            }
        };
        if let (Some(tier), Some(ticket)) = (local, ticket) {
            tier.insert(ticket, key, text.clone(), ttl);
        }
        Ok(text)
    }

    /// Drops `key` everywhere: the shared store, this replica's tier, the other replicas' tiers.
    pub async fn forget(&self, key: &str) {
        if let Err(e) = self.shared.del(&format!("cache:{key}")).await {
            tracing::warn!(error = %e, key, "cache invalidation failed");
        }
        if let Some(tier) = self.local() {
            tier.invalidate(key);
        }
        if let Some((client, subject)) = &self.bus
            && let Err(e) = client.publish(subject.clone(), key.to_owned().into()).await
        {
            tracing::warn!(error = %e, key, "cache invalidation was not published");
        }
    }

    /// Drops the package list (and one package, when it is named).
    pub async fn forget_package(&self, id: Option<i64>) {
        self.forget("packages").await;
        if let Some(id) = id {
            self.forget(&format!("package:{id}")).await;
        }
    }
}

/// What a NATS connection should do to `tier` on its events: after a reconnect or a slow
/// consumer, invalidations may have been missed, so everything goes.
pub fn on_nats_event(tier: &LocalTier, event: &async_nats::Event) {
    if matches!(event, async_nats::Event::Connected | async_nats::Event::SlowConsumer(_)) {
        tier.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reconnect_clears_the_tier() {
        let tier = LocalTier::new(16);
        tier.insert(tier.ticket(), "k", "v".into(), PACKAGES_TTL);
        on_nats_event(&tier, &async_nats::Event::Disconnected);
        assert!(!tier.is_empty());
        on_nats_event(&tier, &async_nats::Event::Connected);
        assert!(tier.is_empty());
        assert!(crate::infra::local_cache::MAX_AGE < PROGRESS_TTL);
    }
}
