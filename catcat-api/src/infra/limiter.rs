//! Cluster-wide rate limits: one token bucket per (limit, key) in Redis, changed only by one
//! atomic script ([`TAKE`], loaded at start and run by its SHA). A replica takes tokens in
//! batches and spends them locally, so the hot path makes a Redis round trip once per batch,
//! not per request; a refused key is remembered locally until its next token is due.
//!
//! The bound is exact: every admitted request spends a token the script granted, and the
//! script never grants more than the bucket holds (`count` at most, refilled at
//! `count / window`), so replicas together admit no more than one replica could. Batched tokens
//! a replica does not spend within [`HOLD`] go back to the bucket with its next request for the
//! key (dropping them drained the bucket several times faster than a client spent it, and
//! refused clients well under the limit); only the last batch of a key a replica stops seeing
//! is lost, which can only make it stricter.
//!
//! Without Redis (a single node) the same bucket runs in process. With Redis down, each limit
//! fails as its [`OnStoreDown`] says: open (reads go on) or closed (SMS sending stops); the
//! first failure of an episode is logged and every one is counted in
//! `rate_limit_store_errors_total`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::kv::{Kv, KvError, Script};

/// The token bucket: refills `count` tokens per `window_ms`, holds at most `count`, takes back
/// the `back` tokens a replica did not spend of its last batch, grants up to `want` now; answers `{granted, ms until the next token}`. Time is Redis's own.
const TAKE: &str = r"
local count = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local back = tonumber(ARGV[4]) or 0
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1]) or count
local at = tonumber(b[2]) or now
if now > at then
  tokens = math.min(count, tokens + (now - at) * count / window)
end
tokens = math.min(count, tokens + back)
local granted = math.min(want, math.floor(tokens))
tokens = tokens - granted
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((count - tokens) * window / count) + 1000)
local next = 0
if tokens < 1 then
  next = math.ceil((1 - tokens) * window / count)
end
return {granted, next}";

/// How long batched tokens stay spendable on the replica that took them.
pub const HOLD: Duration = Duration::from_secs(1);

/// How long a Redis call of the limiter may take before the limit counts as unavailable.
const STORE_TIMEOUT: Duration = Duration::from_millis(250);

/// Entries kept before expired ones are swept.
const SWEEP_AT: usize = 50_000;

/// `count` requests per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Requests.
    pub count: u32,
    /// Per this long.
    pub window: Duration,
}

impl std::str::FromStr for Rate {
    type Err = String;

    /// `COUNT/SECONDS`, e.g. `600/60`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{s}` is not COUNT/SECONDS (e.g. 600/60), both at least 1");
        let (count, secs) = s.split_once('/').ok_or_else(bad)?;
        let count: u32 = count.trim().parse().map_err(|_| bad())?;
        let secs: u64 = secs.trim().parse().map_err(|_| bad())?;
        if count == 0 || secs == 0 {
            return Err(bad());
        }
        Ok(Self { count, window: Duration::from_secs(secs) })
    }
}

/// A [`Rate`], or `off` (no limit: something upstream, a gateway, limits already).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateOrOff(pub Option<Rate>);

impl std::str::FromStr for RateOrOff {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim() == "off" {
            return Ok(Self(None));
        }
        s.parse().map(|r| Self(Some(r))).map_err(|e| format!("{e}, or off"))
    }
}

/// What a limit does when its store cannot be asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnStoreDown {
    /// Admit (reads must go on).
    Open,
    /// Refuse with 503 (e.g. SMS sending, which costs money).
    Closed,
}

/// A named limit.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Its name in `RateLimit-Policy` and in keys.
    pub name: &'static str,
    /// How much.
    pub rate: Rate,
    /// When Redis is down.
    pub on_down: OnStoreDown,
}

impl Policy {
    /// Tokens taken from Redis at a time: a twentieth of the limit, at least one (small limits
    /// are asked per request; they guard slow paths).
    fn batch(&self) -> u32 {
        (self.rate.count / 20).max(1)
    }
}

/// The answer to a request for budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Go on.
    Allowed,
    /// Over the limit; a token is due in this long.
    Limited(Duration),
    /// The store is down and the limit fails closed.
    Unavailable,
}

#[derive(Debug, Default)]
struct Local {
    tokens: u32,
    /// Batched tokens are spendable until then.
    spendable_until: Option<Instant>,
    /// Refused until then (no trip to Redis before).
    refused_until: Option<Instant>,
}

#[derive(Debug, Default)]
struct Bucket {
    local: Mutex<Local>,
    /// One refill at a time per bucket.
    refill: tokio::sync::Mutex<()>,
}

/// The in-process bucket of a single node: (tokens, when last refilled).
type Memory = Mutex<HashMap<String, (f64, Instant)>>;

/// Cluster-wide limits.
#[derive(Debug)]
pub struct Limiter {
    kv: Kv,
    script: Option<Script>,
    memory: Memory,
    buckets: Mutex<HashMap<String, Arc<Bucket>>>,
    store_down: AtomicBool,
}

impl Limiter {
    /// A limiter on `kv` (loads the script into Redis).
    pub async fn new(kv: Kv) -> Result<Self, KvError> {
        let script = kv.load(TAKE).await?;
        Ok(Self {
            kv,
            script,
            memory: Mutex::default(),
            buckets: Mutex::default(),
            store_down: AtomicBool::new(false),
        })
    }

    fn bucket(&self, key: &str) -> Arc<Bucket> {
        let mut buckets = self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() >= SWEEP_AT && !buckets.contains_key(key) {
            let now = Instant::now();
            buckets.retain(|_, b| {
                let l = b.local.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                l.spendable_until.is_some_and(|t| t > now)
                    || l.refused_until.is_some_and(|t| t > now)
            });
        }
        buckets.entry(key.to_owned()).or_default().clone()
    }

    /// Spends `cost` tokens of `policy` for `key` (an IP, a phone, a user id).
    pub async fn take(&self, policy: &Policy, key: &str, cost: u32) -> Verdict {
        let key = format!("rl:{}:{key}", policy.name);
        let bucket = self.bucket(&key);
        if let Some(verdict) = spend_local(&bucket, cost) {
            return verdict;
        }
        let _refilling = bucket.refill.lock().await;
        // Another request may have refilled while this one waited.
        if let Some(verdict) = spend_local(&bucket, cost) {
            return verdict;
        }
        let want = policy.batch().max(cost);
        // What is left of the last batch (expired, or too little for this request) goes back.
        let back = std::mem::take(
            &mut bucket.local.lock().unwrap_or_else(std::sync::PoisonError::into_inner).tokens,
        );
        let asked = Instant::now();
        let (granted, next) = match self.grant(policy, &key, want, back).await {
            Ok(answer) => {
                if self.store_down.swap(false, Ordering::Relaxed) {
                    tracing::info!("rate limit store answers again");
                }
                answer
            }
            Err(e) => {
                metrics::counter!("rate_limit_store_errors_total").increment(1);
                if !self.store_down.swap(true, Ordering::Relaxed) {
                    tracing::error!(error = %crate::telemetry::chain(&e), "rate limit store unavailable; limits fail open, SMS sending fails closed");
                }
                return match policy.on_down {
                    OnStoreDown::Open => Verdict::Allowed,
                    OnStoreDown::Closed => Verdict::Unavailable,
                };
            }
        };
        let mut local = bucket.local.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if granted >= cost {
            local.tokens = granted - cost;
            local.spendable_until = Some(asked + HOLD);
            local.refused_until = None;
            Verdict::Allowed
        } else {
            // Partly granted tokens are not enough for this request; they go back with the next
            // request for the key.
            local.tokens = granted;
            local.spendable_until = None;
            local.refused_until = Some(asked + next);
            Verdict::Limited(next.max(Duration::from_millis(1)))
        }
    }

    /// Up to `want` tokens from the shared bucket, and when the next one is due.
    async fn grant(
        &self,
        policy: &Policy,
        key: &str,
        want: u32,
        back: u32,
    ) -> Result<(u32, Duration), KvError> {
        let count = policy.rate.count;
        let window_ms = policy.rate.window.as_millis().max(1) as u64;
        let Some(script) = &self.script else {
            return Ok(self.grant_in_process(key, count, window_ms, want, back));
        };
        metrics::counter!("rate_limit_store_calls_total").increment(1);
        let full_key = self.kv.redis_key(key).unwrap_or_default();
        let args =
            vec![count.to_string(), window_ms.to_string(), want.to_string(), back.to_string()];
        let call = self.kv.run::<(u32, u64)>(script, vec![full_key], args);
        let (granted, next_ms) = tokio::time::timeout(STORE_TIMEOUT, call)
            .await
            .map_err(|_| super::kv::timed_out(STORE_TIMEOUT))??;
        Ok((granted, Duration::from_millis(next_ms)))
    }

    /// [`TAKE`] in this process (a single node).
    fn grant_in_process(
        &self,
        key: &str,
        count: u32,
        window_ms: u64,
        want: u32,
        back: u32,
    ) -> (u32, Duration) {
        let mut memory = self.memory.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        let (tokens, at) = memory.entry(key.to_owned()).or_insert((f64::from(count), now));
        let elapsed = now.duration_since(*at).as_millis() as f64;
        *tokens = (*tokens + elapsed * f64::from(count) / window_ms as f64 + f64::from(back))
            .min(f64::from(count));
        *at = now;
        let granted = (*tokens).floor().min(f64::from(want)).max(0.0) as u32;
        *tokens -= f64::from(granted);
        let next = if *tokens < 1.0 {
            ((1.0 - *tokens) * window_ms as f64 / f64::from(count)).ceil() as u64
        } else {
            0
        };
        (granted, Duration::from_millis(next))
    }
}

/// Spends from the replica's batch, or answers from a remembered refusal; `None` when Redis
/// must be asked.
fn spend_local(bucket: &Bucket, cost: u32) -> Option<Verdict> {
    let mut local = bucket.local.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let now = Instant::now();
    if let Some(until) = local.refused_until {
        if until > now {
            return Some(Verdict::Limited(until - now));
        }
        local.refused_until = None;
    }
    if local.spendable_until.is_some_and(|t| t > now) && local.tokens >= cost {
        local.tokens -= cost;
        return Some(Verdict::Allowed);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_read_as_count_per_seconds_or_off() {
        let r: Rate = "600/60".parse().expect("a rate");
        assert_eq!(r, Rate { count: 600, window: Duration::from_secs(60) });
        for bad in ["600", "0/60", "600/0", "x/60", "600/sixty", "", "-1/60"] {
            assert!(bad.parse::<Rate>().is_err(), "{bad}");
        }
        assert_eq!("off".parse::<RateOrOff>(), Ok(RateOrOff(None)));
        assert_eq!("5/1".parse::<RateOrOff>().map(|r| r.0.map(|r| r.count)), Ok(Some(5)));
        assert!("of".parse::<RateOrOff>().unwrap_err().ends_with("or off"));
    }

    #[tokio::test]
    async fn in_process_buckets_admit_the_burst_then_refuse_with_the_wait() {
        let limiter = Limiter::new(Kv::memory()).await.expect("no store to reach");
        let policy =
            Policy { name: "t", rate: "3/60".parse().expect("a rate"), on_down: OnStoreDown::Open };
        for _ in 0..3 {
            assert_eq!(limiter.take(&policy, "k", 1).await, Verdict::Allowed);
        }
        let Verdict::Limited(wait) = limiter.take(&policy, "k", 1).await else {
            panic!("the fourth request in a minute is refused");
        };
        assert!(wait > Duration::from_secs(15) && wait <= Duration::from_secs(20), "{wait:?}");
        assert_eq!(limiter.take(&policy, "other", 1).await, Verdict::Allowed, "keys are apart");
    }
}
