//! The shared key-value store: Redis when `REDIS_URL` is set (what makes replicas stateless),
//! else an in-process map for a single node. Holds SMS codes, throttles and caches.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fred::prelude::{
    Builder, ClientLike, Config as RedisConfig, Expiration, FromValue, KeysInterface, LuaInterface,
    Pool, ReconnectPolicy, SetOptions,
};

/// Connections to Redis per replica (one connection serializes every command of the process).
const REDIS_CONNECTIONS: usize = 4;

/// The longest any Redis command may take: past it the caller gets an error (and falls back or
/// answers 503) instead of waiting on a Redis that is gone.
pub const COMMAND_TIMEOUT: Duration = Duration::from_millis(500);

/// How long the first connection may take at startup.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A store failure (the request fails with 503; nothing is half-written).
#[derive(Debug, thiserror::Error)]
#[error("key-value store error: {0}")]
pub struct KvError(#[source] Box<dyn std::error::Error + Send + Sync>);

/// Result of a store call.
pub type KvResult<T> = Result<T, KvError>;

/// The store.
#[derive(Clone)]
pub enum Kv {
    /// Redis (a few connections), shared by every replica; every key starts with the prefix.
    Redis(Pool, Arc<str>),
    /// This process only.
    Memory(Arc<Mutex<HashMap<String, (String, Instant)>>>),
}

impl std::fmt::Debug for Kv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Redis(..) => "Kv::Redis",
            Self::Memory(_) => "Kv::Memory",
        })
    }
}

/// A Lua script loaded into Redis, run atomically by its SHA.
#[derive(Debug, Clone)]
pub struct Script {
    source: &'static str,
    sha: Arc<Mutex<Arc<str>>>,
}

impl Script {
    fn sha(&self) -> Arc<str> {
        self.sha.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }
}

/// The store cannot be used (`why`).
pub fn unavailable(why: &'static str) -> KvError {
    err(why)
}

/// A call that got no answer within `limit`.
pub fn timed_out(limit: Duration) -> KvError {
    err(format!("no answer within {} ms", limit.as_millis()))
}

fn err(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> KvError {
    KvError(e.into())
}

impl Kv {
    /// Connects to Redis; every key gets `prefix` (a key space per deployment or test).
    pub async fn redis(url: &str, prefix: &str) -> KvResult<Self> {
        let mut builder = Builder::from_config(RedisConfig::from_url(url).map_err(err)?);
        builder
            .with_performance_config(|p| p.default_command_timeout = COMMAND_TIMEOUT)
            .with_connection_config(|c| {
                c.connection_timeout = COMMAND_TIMEOUT * 4;
                c.internal_command_timeout = COMMAND_TIMEOUT * 4;
            })
            // Reconnect for ever (100 ms doubling to 2 s): a Redis restart is an episode, not
            // the end of the replica.
            .set_policy(ReconnectPolicy::new_exponential(0, 100, 2000, 2));
        let pool = builder.build_pool(REDIS_CONNECTIONS).map_err(err)?;
        tokio::time::timeout(CONNECT_TIMEOUT, pool.init())
            .await
            .map_err(|_| timed_out(CONNECT_TIMEOUT))?
            .map_err(err)?;
        Ok(Self::Redis(pool, prefix.into()))
    }

    fn key(prefix: &str, key: &str) -> String {
        format!("{prefix}{key}")
    }

    /// The full Redis key of `key` (with the prefix), for scripts; `None` without Redis.
    pub fn redis_key(&self, key: &str) -> Option<String> {
        match self {
            Self::Redis(_, p) => Some(Self::key(p, key)),
            Self::Memory(_) => None,
        }
    }

    /// Loads `source` into Redis, to be run by its SHA ([`Kv::run`]). `None` without Redis.
    pub async fn load(&self, source: &'static str) -> KvResult<Option<Script>> {
        match self {
            Self::Redis(c, _) => {
                let sha: String = c.script_load(source).await.map_err(err)?;
                Ok(Some(Script { source, sha: Arc::new(Mutex::new(sha.into())) }))
            }
            Self::Memory(_) => Ok(None),
        }
    }

    /// Runs `script` by its SHA (loading it again if Redis lost it, e.g. after a restart) on
    /// full keys ([`Kv::redis_key`]).
    pub async fn run<R: FromValue>(
        &self,
        script: &Script,
        keys: Vec<String>,
        args: Vec<String>,
    ) -> KvResult<R> {
        let Self::Redis(c, _) = self else {
            return Err(err("scripts need Redis"));
        };
        let sha = script.sha();
        match c.evalsha(sha.as_ref(), keys.clone(), args.clone()).await {
            Err(e) if e.details().starts_with("NOSCRIPT") => {
                let sha: String = c.script_load(script.source).await.map_err(err)?;
                *script.sha.lock().unwrap_or_else(std::sync::PoisonError::into_inner) =
                    sha.clone().into();
                c.evalsha(sha, keys, args).await.map_err(err)
            }
            other => other.map_err(err),
        }
    }

    /// An in-process store.
    pub fn memory() -> Self {
        Self::Memory(Arc::default())
    }

    fn with_map<R>(
        map: &Mutex<HashMap<String, (String, Instant)>>,
        f: impl FnOnce(&mut HashMap<String, (String, Instant)>) -> R,
    ) -> R {
        let mut m = map.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        m.retain(|_, (_, exp)| *exp > now);
        f(&mut m)
    }

    /// The value of `key`, if set and not expired.
    pub async fn get(&self, key: &str) -> KvResult<Option<String>> {
        match self {
            Self::Redis(c, p) => c.get(Self::key(p, key)).await.map_err(err),
            Self::Memory(m) => Ok(Self::with_map(m, |m| m.get(key).map(|(v, _)| v.clone()))),
        }
    }

    /// Sets `key` for `ttl`.
    pub async fn set(&self, key: &str, value: &str, ttl: Duration) -> KvResult<()> {
        match self {
            Self::Redis(c, p) => c
                .set::<(), _, _>(
                    Self::key(p, key),
                    value,
                    Some(Expiration::PX(ttl.as_millis() as i64)),
                    None,
                    false,
                )
                .await
                .map_err(err),
            Self::Memory(m) => {
                Self::with_map(m, |m| {
                    m.insert(key.to_owned(), (value.to_owned(), Instant::now() + ttl))
                });
                Ok(())
            }
        }
    }

    /// Sets `key` for `ttl` unless it exists; whether it was set.
    pub async fn set_nx(&self, key: &str, value: &str, ttl: Duration) -> KvResult<bool> {
        match self {
            Self::Redis(c, p) => {
                let r: Option<String> = c
                    .set(
                        Self::key(p, key),
                        value,
                        Some(Expiration::PX(ttl.as_millis() as i64)),
                        Some(SetOptions::NX),
                        false,
                    )
                    .await
                    .map_err(err)?;
                Ok(r.is_some())
            }
            Self::Memory(m) => Ok(Self::with_map(m, |m| {
                if m.contains_key(key) {
                    false
                } else {
                    m.insert(key.to_owned(), (value.to_owned(), Instant::now() + ttl));
                    true
                }
            })),
        }
    }

    /// Increments a counter that lives `ttl` from its first increment; the new value.
    pub async fn incr(&self, key: &str, ttl: Duration) -> KvResult<i64> {
        match self {
            Self::Redis(c, p) => {
                let key = Self::key(p, key);
                let n: i64 = c.incr(&key).await.map_err(err)?;
                if n == 1 {
                    c.pexpire::<(), _>(&key, ttl.as_millis() as i64, None).await.map_err(err)?;
                }
                Ok(n)
            }
            Self::Memory(m) => Ok(Self::with_map(m, |m| {
                let entry = m
                    .entry(key.to_owned())
                    .or_insert_with(|| ("0".to_owned(), Instant::now() + ttl));
                let n = entry.0.parse::<i64>().unwrap_or(0) + 1;
                entry.0 = n.to_string();
                n
            })),
        }
    }

    /// Time left on `key`, if it exists.
    pub async fn ttl(&self, key: &str) -> KvResult<Option<Duration>> {
        match self {
            Self::Redis(c, p) => {
                let ms: i64 = c.pttl(Self::key(p, key)).await.map_err(err)?;
                Ok((ms > 0).then(|| Duration::from_millis(ms as u64)))
            }
            Self::Memory(m) => Ok(Self::with_map(m, |m| {
                m.get(key).map(|(_, exp)| exp.saturating_duration_since(Instant::now()))
            })),
        }
    }

    /// Removes `key`.
    pub async fn del(&self, key: &str) -> KvResult<()> {
        match self {
            Self::Redis(c, p) => c.del::<(), _>(Self::key(p, key)).await.map_err(err),
            Self::Memory(m) => {
                Self::with_map(m, |m| m.remove(key));
                Ok(())
            }
        }
    }

    /// Whether the store answers.
    pub async fn ping(&self) -> bool {
        match self {
            Self::Redis(c, _) => c.ping::<String>(None).await.is_ok(),
            Self::Memory(_) => true,
        }
    }
}
