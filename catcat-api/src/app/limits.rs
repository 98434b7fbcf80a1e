//! The service's rate limits ([`crate::infra::limiter`]), by what they protect: every /api
//! route per client IP; code sending and sign-ins per phone and per IP (failed sign-ins count
//! double); orders, payments and reviews per user.

use std::net::IpAddr;

use super::{AppError, AppResult};
use crate::config::Config;
use crate::infra::limiter::{OnStoreDown, Policy, Verdict};
use crate::state::AppState;

/// The configured limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Every /api request, per client IP (`None`: off).
    pub ip: Option<Policy>,
    /// Codes and sign-ins, per phone.
    pub auth_phone: Policy,
    /// Codes and sign-ins, per client IP.
    pub auth_ip: Policy,
    /// Orders, payments and reviews, per user.
    pub user_writes: Policy,
}

impl Limits {
    /// The limits `config` sets.
    pub fn new(config: &Config) -> Self {
        let policy = |name, rate, on_down| Policy { name, rate, on_down };
        Self {
            ip: config.rate_limit_ip.0.map(|rate| policy("ip", rate, OnStoreDown::Open)),
            // Codes cost money: without the store, nothing is sent.
            auth_phone: policy("auth_phone", config.rate_limit_auth_phone, OnStoreDown::Closed),
            auth_ip: policy("auth_ip", config.rate_limit_auth_ip, OnStoreDown::Closed),
            user_writes: policy("user_writes", config.rate_limit_user_writes, OnStoreDown::Open),
        }
    }
}

/// The limit a refused request ran into, for the `RateLimit` headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// The policy's name.
    pub name: &'static str,
    /// Requests per window.
    pub count: u32,
    /// The window in seconds.
    pub window_secs: u64,
}

/// Spends `cost` of `policy` for `key`; `Throttled` (429) over the limit, `Store` (503) when
/// the store is down and the limit fails closed.
pub async fn spend(s: &AppState, policy: &Policy, key: &str, cost: u32) -> AppResult<()> {
    match s.limiter.take(policy, key, cost).await {
        Verdict::Allowed => Ok(()),
        Verdict::Limited(wait) => Err(AppError::Throttled {
            retry_after: wait.as_secs_f64().ceil().max(1.0) as u64,
            quota: Some(Quota {
                name: policy.name,
                count: policy.rate.count,
                window_secs: policy.rate.window.as_secs(),
            }),
        }),
        Verdict::Unavailable => Err(AppError::Store(crate::infra::kv::unavailable(
            "the rate limit store is unavailable",
        ))),
    }
}

/// Before a code is sent or a sign-in is tried: the phone's and the IP's budgets, whether or
/// not the phone is registered (the answer must not tell).
pub async fn auth_attempt(s: &AppState, phone: &str, ip: IpAddr) -> AppResult<()> {
    spend(s, &s.limits.auth_phone, phone, 1).await?;
    spend(s, &s.limits.auth_ip, &ip.to_string(), 1).await
}

/// After a failed sign-in: the second token of its double cost (never refuses by itself).
pub async fn failed_sign_in(s: &AppState, phone: &str, ip: IpAddr) {
    let _ = spend(s, &s.limits.auth_phone, phone, 1).await;
    let _ = spend(s, &s.limits.auth_ip, &ip.to_string(), 1).await;
}

/// Before an order, a payment or a review by `user`.
pub async fn user_write(s: &AppState, user: i64) -> AppResult<()> {
    spend(s, &s.limits.user_writes, &user.to_string(), 1).await
}
