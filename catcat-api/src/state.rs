//! What every handler shares. Nothing here is per-replica state that another replica would
//! need: sessions are JWTs, codes and throttles live in the key-value store.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use repo_runtime::SheddingPool;

use crate::config::Config;
use crate::infra::cache::Cache;
use crate::infra::ids::IdGenerator;
use crate::infra::kv::Kv;
use crate::infra::passwords::Passwords;
use crate::infra::queue::{Events, Queue};
use crate::infra::sms::SmsSender;
use crate::infra::tokens::Tokens;

/// Shared by every request: cloning it (axum does, per request) is one reference count.
#[derive(Debug, Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    /// Wraps the shared parts.
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] holds.
#[derive(Debug)]
pub struct Shared {
    /// PostgreSQL.
    /// The database: a call that finds [`Config::database_max_queued`] others waiting for a
    /// connection is refused at once (503, `overloaded`).
    pub pool: SheddingPool,
    /// Redis or the in-process store.
    pub kv: Kv,
    /// The in-process cache tier and its invalidation channel.
    pub cache: Cache,
    /// Access tokens.
    pub tokens: Tokens,
    /// Password hashing.
    pub passwords: Passwords,
    /// Slots for requests worked on at once ([`Config::max_in_flight`]).
    pub in_flight: Arc<tokio::sync::Semaphore>,
    /// Cluster-wide rate limits.
    pub limiter: Arc<crate::infra::limiter::Limiter>,
    /// The configured limits.
    pub limits: crate::app::limits::Limits,
    /// Snowflake ids.
    pub ids: Arc<IdGenerator>,
    /// Verification codes.
    pub sms: SmsSender,
    /// Stripe, or its dev stand-in.
    pub payments: crate::infra::stripe::Payments,
    /// Where new orders are queued.
    pub queue: Queue,
    /// Where domain events go.
    pub events: Events,
    /// The configuration.
    pub config: Arc<Config>,
    /// Renders `/metrics`.
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
    /// True once every repository statement was verified against the database.
    pub verified: Arc<AtomicBool>,
    /// True once readiness found every embedded migration applied (which later migrations,
    /// applied by a newer replica, cannot undo).
    pub migrated: Arc<AtomicBool>,
    /// False once shutdown has begun: readiness answers 503 so the balancer drains us.
    pub accepting: Arc<AtomicBool>,
}

impl Shared {
    /// Whether the service still takes new work.
    pub fn is_accepting(&self) -> bool {
        self.accepting.load(Ordering::SeqCst)
    }
}
