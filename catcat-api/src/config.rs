//! Configuration from environment variables, with documented defaults. Secrets are wrapped so
//! they never reach a log.

use std::fmt;

/// A value that must never be printed.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(****)")
    }
}

/// Where the service runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Env {
    /// Local development: SMS codes go to the log, weak secrets are tolerated.
    Dev,
    /// Anything else: real senders and strong secrets are required.
    Prod,
}

/// The development JWT secret, refused outside dev mode.
pub const DEV_JWT_SECRET: &str = "catcat-development-secret-do-not-use-in-production";

/// What `catcat-api help` prints: the commands and every variable [`Config::from_env`] reads.
pub const USAGE: &str = "\
catcat-api: door-to-door cat sitting.

usage: catcat-api [serve]   run the service (migrations and seeds first)
       catcat-api migrate   apply the migrations and exit
       catcat-api help      print this

environment (unset or empty means the default):
  CATCAT_ENV           dev (default) or prod; prod refuses weak secrets and a log SMS sender
  HOST, PORT           where to listen (default 0.0.0.0:8080; PORT=0 picks a free port)
  DATABASE_URL         PostgreSQL (default postgres://postgres:postgres@127.0.0.1:5432/catcat)
  DATABASE_POOL_SIZE   connections per replica (default 16)
  REDIS_URL            Redis; unset: an in-process store, single node
  REDIS_PREFIX         start of every key (default catcat:)
  NATS_URL             NATS with JetStream; unset: an in-process queue, single node
  NATS_PREFIX          put before every subject and stream name (default none)
  JWT_SECRET           HS256 key, at least 32 bytes outside dev
  JWT_ISSUER           default catcat
  JWT_AUDIENCE         default catcat-api
  WORKER_ID            snowflake worker id, 0 to 31 (default 0)
  SMS_URL              where the HTTP SMS sender posts; required outside dev
  ADMIN_PHONE          with ADMIN_PASSWORD: seed this administrator when none exists
  ADMIN_PASSWORD
  SHUTDOWN_GRACE_SECS  time in-flight requests get after SIGTERM (default 10)
  SHUTDOWN_DELAY_MS    time to keep serving with readiness at 503 before closing (default 0)
  RUST_LOG             log filter (default info)
";

/// Everything the service reads from its environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// `CATCAT_ENV`: `dev` (default) or `prod`.
    pub env: Env,
    /// `HOST` (default `0.0.0.0`).
    pub host: String,
    /// `PORT` (default 8080; 0 picks a free port).
    pub port: u16,
    /// `DATABASE_URL` (default the local PostgreSQL, database `catcat`).
    pub database_url: Secret,
    /// `DATABASE_POOL_SIZE` (default 16).
    pub database_pool_size: usize,
    /// `REDIS_URL`; unset runs on an in-process store (single node).
    pub redis_url: Option<Secret>,
    /// `REDIS_PREFIX`: the start of every key (default `catcat:`).
    pub redis_prefix: String,
    /// `NATS_URL`; unset runs on an in-process queue (single node).
    pub nats_url: Option<String>,
    /// `NATS_PREFIX`: put before every subject and stream name (default none).
    pub nats_prefix: String,
    /// `JWT_SECRET` (at least 32 bytes outside dev).
    pub jwt_secret: Secret,
    /// `JWT_ISSUER` (default `catcat`).
    pub jwt_issuer: String,
    /// `JWT_AUDIENCE` (default `catcat-api`).
    pub jwt_audience: String,
    /// `WORKER_ID` for snowflake ids, 0 to 31 (default 0).
    pub worker_id: u16,
    /// `SMS_URL`: where the HTTP SMS sender posts; required outside dev.
    pub sms_url: Option<String>,
    /// `ADMIN_PHONE` and `ADMIN_PASSWORD`: seed an admin when none exists.
    pub admin: Option<(String, Secret)>,
    /// `SHUTDOWN_GRACE_SECS`: how long in-flight requests may take after SIGTERM (default 10).
    pub shutdown_grace_secs: u64,
    /// `SHUTDOWN_DELAY_MS`: after SIGTERM, how long to keep serving with readiness at 503 before
    /// closing the listener, so balancers stop routing here first (default 0: a Kubernetes
    /// preStop pause does this job).
    pub shutdown_delay_ms: u64,
}

/// A configuration the service refuses to start with.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A variable that does not parse.
    #[error("{name}: {message}")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// Why.
        message: String,
    },
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parse<T: std::str::FromStr>(name: &'static str, default: T) -> Result<T, ConfigError> {
    match var(name) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| ConfigError::Invalid { name, message: format!("`{v}` is not valid") }),
    }
}

impl Config {
    /// Reads the environment and checks it.
    pub fn from_env() -> Result<Self, ConfigError> {
        let env = match var("CATCAT_ENV").as_deref() {
            None | Some("dev" | "development") => Env::Dev,
            Some("prod" | "production") => Env::Prod,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "CATCAT_ENV",
                    message: format!("`{other}`: use dev or prod"),
                });
            }
        };
        let admin = match (var("ADMIN_PHONE"), var("ADMIN_PASSWORD")) {
            (Some(p), Some(pw)) => Some((p, Secret::new(pw))),
            (None, None) => None,
            _ => {
                return Err(ConfigError::Invalid {
                    name: "ADMIN_PHONE",
                    message: "set ADMIN_PHONE and ADMIN_PASSWORD together".into(),
                });
            }
        };
        let config = Self {
            env,
            host: var("HOST").unwrap_or_else(|| "0.0.0.0".into()),
            port: parse("PORT", 8080)?,
            database_url: Secret::new(
                var("DATABASE_URL")
                    .unwrap_or_else(|| "postgres://postgres:postgres@127.0.0.1:5432/catcat".into()),
            ),
            database_pool_size: parse("DATABASE_POOL_SIZE", 16)?,
            redis_url: var("REDIS_URL").map(Secret::new),
            redis_prefix: var("REDIS_PREFIX").unwrap_or_else(|| "catcat:".into()),
            nats_url: var("NATS_URL"),
            nats_prefix: var("NATS_PREFIX").unwrap_or_default(),
            jwt_secret: Secret::new(var("JWT_SECRET").unwrap_or_else(|| DEV_JWT_SECRET.into())),
            jwt_issuer: var("JWT_ISSUER").unwrap_or_else(|| "catcat".into()),
            jwt_audience: var("JWT_AUDIENCE").unwrap_or_else(|| "catcat-api".into()),
            worker_id: parse("WORKER_ID", 0)?,
            sms_url: var("SMS_URL"),
            admin,
            shutdown_grace_secs: parse("SHUTDOWN_GRACE_SECS", 10)?,
            shutdown_delay_ms: parse("SHUTDOWN_DELAY_MS", 0)?,
        };
        config.check()?;
        Ok(config)
    }

    /// The rules a configuration must meet (outside dev: strong secret, real SMS sender).
    pub fn check(&self) -> Result<(), ConfigError> {
        if self.worker_id > crate::infra::ids::MAX_WORKER {
            return Err(ConfigError::Invalid {
                name: "WORKER_ID",
                message: format!("must be 0 to {}", crate::infra::ids::MAX_WORKER),
            });
        }
        if self.env == Env::Prod {
            let secret = self.jwt_secret.expose();
            if secret == DEV_JWT_SECRET || secret.len() < 32 {
                return Err(ConfigError::Invalid {
                    name: "JWT_SECRET",
                    message: "outside dev mode it must be set, at least 32 bytes".into(),
                });
            }
            if self.sms_url.is_none() {
                return Err(ConfigError::Invalid {
                    name: "SMS_URL",
                    message: "outside dev mode a real SMS sender is required".into(),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    /// Every variable the reader asks for is in the usage text (so `help` cannot go stale).
    #[test]
    fn usage_names_every_variable() {
        let source = include_str!("config.rs");
        let mut names = Vec::new();
        for call in ["var(\"", "parse(\""] {
            for (at, _) in source.match_indices(call) {
                let rest = &source[at + call.len()..];
                let name = &rest[..rest.find('"').unwrap_or(0)];
                if !name.is_empty() && name.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
                    names.push(name);
                }
            }
        }
        assert!(names.len() >= 17, "found only {names:?}");
        for name in names {
            assert!(super::USAGE.contains(name), "`{name}` is read but not in USAGE");
        }
    }
}
