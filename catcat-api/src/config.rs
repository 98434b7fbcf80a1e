//! Configuration: one declaration per setting (its variable, default and help text, read by
//! clap), secrets in `secrecy` types so they never reach a log or `--help`.

use clap::builder::NonEmptyStringValueParser;
use clap::{Args, Parser, Subcommand, ValueEnum};
pub use secrecy::{ExposeSecret, SecretString};

pub use crate::infra::limiter::{Rate, RateOrOff};
pub use crate::net::Cidr;

/// Where the service runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Env {
    /// Local development: SMS codes go to the log, weak secrets are tolerated.
    #[value(alias = "development")]
    Dev,
    /// Anything else: real senders and strong secrets are required.
    #[value(alias = "production")]
    Prod,
}

/// A secret, never empty (an empty variable is a mistake, not "unset").
fn secret(value: &str) -> Result<SecretString, String> {
    if value.is_empty() {
        return Err("must not be empty (leave the variable unset instead)".into());
    }
    Ok(SecretString::from(value))
}

/// A currency code: three lower-case ASCII letters.
fn currency(value: &str) -> Result<String, String> {
    if value.len() == 3 && value.bytes().all(|b| b.is_ascii_lowercase()) {
        Ok(value.to_owned())
    } else {
        Err("must be a lower-case ISO 4217 code such as cny or usd".into())
    }
}

/// The development JWT secret, refused outside dev mode.
pub const DEV_JWT_SECRET: &str = "catcat-development-secret-do-not-use-in-production";

/// Everything the service reads from its environment (or the same-named `--flags`).
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// dev or prod; prod refuses weak secrets and a log SMS sender
    #[arg(long = "catcat-env", env = "CATCAT_ENV", value_enum, default_value = "dev")]
    pub env: Env,
    /// Address to listen on
    #[arg(long, env = "HOST", default_value = "0.0.0.0")]
    pub host: String,
    /// Port to listen on (0 picks a free port)
    #[arg(long, env = "PORT", default_value_t = 8080)]
    pub port: u16,
    /// PostgreSQL
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "postgres://postgres:postgres@127.0.0.1:5432/catcat",
        hide_default_value = true,
        hide_env_values = true,
        value_parser = secret
    )]
    pub database_url: SecretString,
    /// Connections per replica
    #[arg(long, env = "DATABASE_POOL_SIZE", default_value_t = 16)]
    pub database_pool_size: usize,
    /// Database calls that may wait for a connection beyond the pool's size; one more is
    /// refused at once with 503 and Retry-After (database work is shed, not queued)
    #[arg(long, env = "DATABASE_MAX_QUEUED", default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..))]
    pub database_max_queued: u32,
    /// Milliseconds a statement may run before PostgreSQL cancels it (0: no limit); migrations
    /// are exempt
    #[arg(long, env = "DATABASE_STATEMENT_TIMEOUT_MS", default_value_t = 5000)]
    pub database_statement_timeout_ms: u64,
    /// Redis; unset: an in-process store, single node
    #[arg(long, env = "REDIS_URL", hide_env_values = true, value_parser = secret)]
    pub redis_url: Option<SecretString>,
    /// The start of every key
    #[arg(long, env = "REDIS_PREFIX", default_value = "catcat:")]
    pub redis_prefix: String,
    /// NATS with JetStream; unset: an in-process queue, single node
    #[arg(long, env = "NATS_URL", value_parser = NonEmptyStringValueParser::new())]
    pub nats_url: Option<String>,
    /// Put before every subject and stream name
    #[arg(long, env = "NATS_PREFIX", default_value = "")]
    pub nats_prefix: String,
    /// HS256 key, at least 32 bytes outside dev
    #[arg(
        long,
        env = "JWT_SECRET",
        default_value = DEV_JWT_SECRET,
        hide_default_value = true,
        hide_env_values = true,
        value_parser = secret
    )]
    pub jwt_secret: SecretString,
    /// Token issuer
    #[arg(long, env = "JWT_ISSUER", default_value = "catcat")]
    pub jwt_issuer: String,
    /// Token audience
    #[arg(long, env = "JWT_AUDIENCE", default_value = "catcat-api")]
    pub jwt_audience: String,
    /// Snowflake worker id, 0 to 31 (with Redis: the id tried first when leasing one)
    #[arg(long, env = "WORKER_ID", default_value_t = 0)]
    pub worker_id: u16,
    /// Where the HTTP SMS sender posts; required outside dev
    #[arg(long, env = "SMS_URL", value_parser = NonEmptyStringValueParser::new())]
    pub sms_url: Option<String>,
    /// With ADMIN_PASSWORD: seed this administrator when none exists
    #[arg(
        long,
        env = "ADMIN_PHONE",
        requires = "admin_password",
        value_parser = NonEmptyStringValueParser::new()
    )]
    pub admin_phone: Option<String>,
    /// The seeded administrator's password
    #[arg(
        long,
        env = "ADMIN_PASSWORD",
        requires = "admin_phone",
        hide_env_values = true,
        value_parser = secret
    )]
    pub admin_password: Option<SecretString>,
    /// Stripe's API (a local stand-in in tests)
    #[arg(long, env = "STRIPE_API_BASE", default_value = "https://api.stripe.com", value_parser = NonEmptyStringValueParser::new())]
    pub stripe_api_base: String,
    /// Stripe secret key (sk_…); required outside dev, where without it an in-process stand-in
    /// plays Stripe
    #[arg(long, env = "STRIPE_SECRET_KEY", hide_env_values = true, value_parser = secret)]
    pub stripe_secret_key: Option<SecretString>,
    /// Secret of the Stripe webhook endpoint (whsec_…); required with STRIPE_SECRET_KEY
    #[arg(long, env = "STRIPE_WEBHOOK_SECRET", hide_env_values = true, value_parser = secret)]
    pub stripe_webhook_secret: Option<SecretString>,
    /// Currency of the package prices, a lower-case ISO code
    #[arg(long, env = "STRIPE_CURRENCY", default_value = "cny", value_parser = currency)]
    pub stripe_currency: String,
    /// Requests per client IP on every /api route, COUNT/SECONDS (cluster-wide), or off
    #[arg(long, env = "RATE_LIMIT_IP", default_value = "1200/60")]
    pub rate_limit_ip: RateOrOff,
    /// Attempts per phone at sending codes and signing in, COUNT/SECONDS (failed sign-ins
    /// count double)
    #[arg(long, env = "RATE_LIMIT_AUTH_PHONE", default_value = "10/900")]
    pub rate_limit_auth_phone: Rate,
    /// Attempts per client IP at sending codes and signing in, COUNT/SECONDS
    #[arg(long, env = "RATE_LIMIT_AUTH_IP", default_value = "60/900")]
    pub rate_limit_auth_ip: Rate,
    /// Orders, payments and reviews per user, COUNT/SECONDS
    #[arg(long, env = "RATE_LIMIT_USER_WRITES", default_value = "30/60")]
    pub rate_limit_user_writes: Rate,
    /// Proxies whose X-Forwarded-For is believed, comma-separated blocks (e.g. 10.0.0.0/8);
    /// from any other peer the header is ignored
    #[arg(long, env = "TRUSTED_PROXIES", value_delimiter = ',', num_args = 0..)]
    pub trusted_proxies: Vec<Cidr>,
    /// Requests this replica works on at once; beyond, 503 with Retry-After at once (load is
    /// shed, not queued)
    #[arg(long, env = "MAX_IN_FLIGHT", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_in_flight: u32,
    /// Seconds in-flight requests get after SIGTERM
    #[arg(long, env = "SHUTDOWN_GRACE_SECS", default_value_t = 10)]
    pub shutdown_grace_secs: u64,
    /// Milliseconds to keep serving with readiness at 503 before closing (0: a Kubernetes
    /// preStop pause does this job)
    #[arg(long, env = "SHUTDOWN_DELAY_MS", default_value_t = 0)]
    pub shutdown_delay_ms: u64,
}

/// The command line: a command and the configuration.
#[derive(Debug, Parser)]
#[command(
    name = "catcat-api",
    about = "CatCat: door-to-door cat sitting.",
    after_help = "Every option can be set by its environment variable instead (an empty one is an error, not the default); RUST_LOG filters the log (default info)."
)]
pub struct Cli {
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The configuration.
    #[command(flatten)]
    pub config: Config,
}

/// What `catcat-api` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// Run the service (migrations and seeds first)
    Serve,
    /// Apply the migrations and exit
    Migrate,
    /// Ask the service on HOST:PORT for /health; exit 0 if it answers 200 (for container health
    /// checks: the image needs no curl)
    Healthcheck,
}

/// A configuration the service refuses to start with.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A variable that does not parse or breaks a rule.
    #[error("{name}: {message}")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// Why.
        message: String,
    },
}

impl Config {
    /// Reads the environment alone (no command line) and checks it.
    pub fn from_env() -> Result<Self, ConfigError> {
        let cli = Cli::try_parse_from(["catcat-api"])
            .map_err(|e| ConfigError::Invalid { name: "environment", message: e.to_string() })?;
        cli.config.check()?;
        Ok(cli.config)
    }

    /// The administrator to seed, if both halves are set.
    pub fn admin(&self) -> Option<(&str, &SecretString)> {
        self.admin_phone.as_deref().zip(self.admin_password.as_ref())
    }

    /// The rules a configuration must meet (outside dev: strong secret, real SMS sender).
    pub fn check(&self) -> Result<(), ConfigError> {
        if self.worker_id > crate::infra::ids::MAX_WORKER {
            return Err(ConfigError::Invalid {
                name: "WORKER_ID",
                message: format!("must be 0 to {}", crate::infra::ids::MAX_WORKER),
            });
        }
        if self.stripe_secret_key.is_some() != self.stripe_webhook_secret.is_some() {
            return Err(ConfigError::Invalid {
                name: "STRIPE_WEBHOOK_SECRET",
                message: "STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET go together".into(),
            });
        }
        if self.env == Env::Prod {
            let secret = self.jwt_secret.expose_secret();
            if secret == DEV_JWT_SECRET || secret.len() < 32 {
                return Err(ConfigError::Invalid {
                    name: "JWT_SECRET",
                    message: "outside dev mode it must be set, at least 32 bytes".into(),
                });
            }
            if self.stripe_secret_key.is_none() || self.stripe_webhook_secret.is_none() {
                return Err(ConfigError::Invalid {
                    name: "STRIPE_SECRET_KEY",
                    message: "outside dev mode Stripe is required: set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET".into(),
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
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_consistent_and_help_names_every_variable() {
        Cli::command().debug_assert();
        let help = Cli::command().render_long_help().to_string();
        for arg in Cli::command().get_arguments() {
            if let Some(env) = arg.get_env() {
                let env = env.to_string_lossy();
                assert!(help.contains(env.as_ref()), "`{env}` is read but not in the help");
            }
        }
        assert!(help.contains("DATABASE_URL") && help.contains("SHUTDOWN_DELAY_MS"), "{help}");
    }

    #[test]
    fn secrets_never_print() {
        let cli = Cli::try_parse_from([
            "catcat-api",
            "--jwt-secret",
            "a-very-secret-signing-key-of-some-length",
            "--admin-phone",
            "+8610000000000",
            "--admin-password",
            "hunter2-hunter2",
        ])
        .expect("parses");
        let shown = format!("{cli:?}");
        assert!(!shown.contains("a-very-secret") && !shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("postgres:postgres"), "the default database URL holds a password");
        assert_eq!(cli.config.admin().map(|(p, _)| p), Some("+8610000000000"));
    }

    #[test]
    fn an_empty_url_or_secret_is_an_error_not_unset() {
        for flag in [
            "--nats-url",
            "--redis-url",
            "--jwt-secret",
            "--sms-url",
            "--stripe-secret-key",
            "--stripe-webhook-secret",
        ] {
            let refused = Cli::try_parse_from(["catcat-api", flag, ""]);
            assert!(refused.is_err(), "{flag} accepted an empty value");
        }
    }

    #[test]
    fn half_an_administrator_is_refused() {
        assert!(Cli::try_parse_from(["catcat-api", "--admin-phone", "+8610000000000"]).is_err());
    }

    #[test]
    fn prod_refuses_to_start_without_stripe_and_a_key_needs_its_webhook_secret() {
        let base = [
            "catcat-api",
            "--catcat-env",
            "prod",
            "--jwt-secret",
            "a-production-secret-of-enough-length-0123",
            "--sms-url",
            "http://sms/send",
        ];
        let check = |extra: &[&str]| {
            let args: Vec<&str> = base.iter().chain(extra).copied().collect();
            Cli::try_parse_from(args).expect("parses").config.check()
        };
        assert!(matches!(check(&[]), Err(ConfigError::Invalid { name: "STRIPE_SECRET_KEY", .. })));
        let key = ["--stripe-secret-key", "sk_live_x"];
        assert!(matches!(
            check(&key),
            Err(ConfigError::Invalid { name: "STRIPE_WEBHOOK_SECRET", .. })
        ));
        assert!(check(&[&key[..], &["--stripe-webhook-secret", "whsec_x"]].concat()).is_ok());
        let dev_half = Cli::try_parse_from(["catcat-api", "--stripe-secret-key", "sk_test_x"]);
        assert!(dev_half.expect("parses").config.check().is_err(), "half of Stripe, even in dev");
        let currency = Cli::try_parse_from(["catcat-api", "--stripe-currency", "CNY"]);
        assert!(currency.is_err(), "a currency is a lower-case code");
    }

    #[test]
    fn prod_refuses_the_development_secret() {
        let cli =
            Cli::try_parse_from(["catcat-api", "--catcat-env", "production"]).expect("parses");
        assert_eq!(cli.config.env, Env::Prod);
        assert!(matches!(cli.config.check(), Err(ConfigError::Invalid { name: "JWT_SECRET", .. })));
    }
}
