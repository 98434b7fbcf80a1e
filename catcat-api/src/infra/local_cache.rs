//! The in-process cache tier in front of the shared store: JSON texts by key, bounded in entries
//! and in age, kept coherent with the other replicas by invalidation messages (see
//! [`crate::infra::cache`]).
//!
//! A read that missed records the tier's epoch before it goes to the shared store or the
//! database; its result is kept only if no invalidation arrived meanwhile. The epoch is bumped
//! under the same shard lock as the insert, so "read old value, invalidation arrives, keep old
//! value" cannot happen.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

const SHARDS: usize = 16;

/// The longest an entry lives here, whatever the shared store's lifetime: the bound on
/// staleness should an invalidation message ever be lost without a reconnect to tell.
pub const MAX_AGE: Duration = Duration::from_secs(30);

type Shard = RwLock<HashMap<Box<str>, Entry>>;

#[derive(Debug)]
struct Entry {
    text: Arc<str>,
    expires: Instant,
}

/// The tier.
#[derive(Debug)]
pub struct LocalTier {
    shards: Box<[Shard]>,
    hasher: RandomState,
    per_shard: usize,
    epoch: AtomicU64,
}

/// Taken before a miss is filled; the fill is kept only if the epoch has not moved.
#[derive(Debug, Clone, Copy)]
pub struct Ticket(u64);

impl LocalTier {
    /// A tier holding at most about `capacity` entries.
    pub fn new(capacity: usize) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| RwLock::default()).collect(),
            hasher: RandomState::new(),
            per_shard: capacity.div_ceil(SHARDS).max(1),
            epoch: AtomicU64::new(0),
        }
    }

    fn shard(&self, key: &str) -> &Shard {
        &self.shards[(self.hasher.hash_one(key) as usize) % SHARDS]
    }

    /// The text under `key`, if present and young enough.
    pub fn get(&self, key: &str) -> Option<Arc<str>> {
        let shard = self.shard(key).read().unwrap_or_else(PoisonError::into_inner);
        shard.get(key).filter(|e| e.expires > Instant::now()).map(|e| e.text.clone())
    }

    /// Call before reading what a miss will be filled with.
    pub fn ticket(&self) -> Ticket {
        Ticket(self.epoch.load(Ordering::Acquire))
    }

    /// Keeps `text` under `key` for `ttl` (at most [`MAX_AGE`]) unless an invalidation arrived
    /// since `ticket` was taken.
    pub fn insert(&self, ticket: Ticket, key: &str, text: Arc<str>, ttl: Duration) {
        let mut shard = self.shard(key).write().unwrap_or_else(PoisonError::into_inner);
        if self.epoch.load(Ordering::Acquire) != ticket.0 {
            return;
        }
        let now = Instant::now();
        if shard.len() >= self.per_shard && !shard.contains_key(key) {
            shard.retain(|_, e| e.expires > now);
            if shard.len() >= self.per_shard {
                // Full of live entries: make room by dropping one (any; this is a cache).
                if let Some(victim) = shard.keys().next().cloned() {
                    shard.remove(&victim);
                }
            }
        }
        shard.insert(key.into(), Entry { text, expires: now + ttl.min(MAX_AGE) });
    }

    /// Drops `key`; fills of reads that started before this are not kept.
    pub fn invalidate(&self, key: &str) {
        let mut shard = self.shard(key).write().unwrap_or_else(PoisonError::into_inner);
        self.epoch.fetch_add(1, Ordering::AcqRel);
        shard.remove(key);
    }

    /// Drops everything (after a lost connection to the invalidation channel).
    pub fn clear(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        for shard in &self.shards {
            shard.write().unwrap_or_else(PoisonError::into_inner).clear();
        }
    }

    /// How many entries are held (expired ones included until they are swept).
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| s.read().unwrap_or_else(PoisonError::into_inner).len()).sum()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TTL: Duration = Duration::from_secs(60);

    #[test]
    fn keeps_and_drops() {
        let t = LocalTier::new(100);
        assert!(t.get("a").is_none());
        t.insert(t.ticket(), "a", "1".into(), TTL);
        assert_eq!(t.get("a").as_deref(), Some("1"));
        t.invalidate("a");
        assert!(t.get("a").is_none());
    }

    #[test]
    fn a_fill_that_raced_an_invalidation_is_not_kept() {
        let t = LocalTier::new(100);
        let ticket = t.ticket();
        // The value was read, then another replica changed it and said so.
        t.invalidate("user:1");
        t.insert(ticket, "user:1", "old".into(), TTL);
        assert!(t.get("user:1").is_none());
        // A read that starts after the invalidation fills normally.
        t.insert(t.ticket(), "user:1", "new".into(), TTL);
        assert_eq!(t.get("user:1").as_deref(), Some("new"));
    }

    #[test]
    fn entries_expire_and_never_outlive_max_age() {
        let t = LocalTier::new(100);
        t.insert(t.ticket(), "short", "x".into(), Duration::ZERO);
        assert!(t.get("short").is_none());
        t.insert(t.ticket(), "long", "y".into(), Duration::from_secs(3600));
        let shard = t.shard("long").read().unwrap();
        assert!(shard["long"].expires <= Instant::now() + MAX_AGE);
    }

    #[test]
    fn stays_within_capacity_and_clears() {
        let t = LocalTier::new(32);
        for i in 0..1000 {
            t.insert(t.ticket(), &format!("k{i}"), "v".into(), TTL);
        }
        assert!(t.len() <= 32, "{} entries", t.len());
        assert_eq!(t.get("k999").as_deref(), Some("v"), "the newest entry is kept");
        t.clear();
        assert!(t.is_empty());
    }
}
