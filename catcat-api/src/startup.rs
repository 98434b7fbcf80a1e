//! Building and running the service: pools, migrations under the advisory lock, seeds,
//! `verify()` of every repository, the router, and graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime, Timeouts};
use repo_runtime::SheddingPool;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_postgres::NoTls;

use crate::config::{Config, Env, ExposeSecret};
use crate::infra::cache::Cache;
use crate::infra::kv::Kv;
use crate::infra::local_cache::LocalTier;
use crate::infra::passwords::Passwords;
use crate::infra::queue::{Events, Inbox, Queue};
use crate::infra::sms::SmsSender;
use crate::infra::tokens::Tokens;
use crate::state::AppState;

/// How often histogram samples are folded into their buckets.
const METRICS_UPKEEP: Duration = Duration::from_secs(5);

/// Why the service did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The database URL or pool is wrong.
    #[error("database: {0}")]
    Database(String),
    /// Migrations failed.
    #[error(transparent)]
    Migrate(#[from] crate::migrate::MigrateError),
    /// Seeding failed.
    #[error("seeding: {0}")]
    Seed(repo_runtime::Error),
    /// Redis is configured but unreachable.
    #[error(transparent)]
    Kv(#[from] crate::infra::kv::KvError),
    /// NATS is configured but unreachable.
    #[error(transparent)]
    Queue(crate::infra::queue::QueueError),
    /// No worker id could be leased.
    #[error(transparent)]
    Lease(#[from] crate::infra::lease::LeaseError),
    /// The Stripe client could not be built.
    #[error("stripe: {0}")]
    Stripe(#[from] crate::infra::stripe::StripeError),
    /// The port could not be bound.
    #[error("listen: {0}")]
    Listen(#[from] std::io::Error),
}

/// Asks a running [`Application`] to stop, as SIGTERM does.
#[derive(Debug, Clone)]
pub struct Shutdown(watch::Sender<bool>);

impl Shutdown {
    /// Starts the graceful shutdown.
    pub fn trigger(&self) {
        let _ = self.0.send(true);
    }
}

/// A built service, bound to its port.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    state: AppState,
    inbox: Inbox,
    shutdown: watch::Sender<bool>,
    /// Stops the worker id lease keeper, which then releases the lease.
    lease: Option<crate::infra::lease::Keeper>,
    /// What answers on the port until the service takes it over.
    early: Early,
}

/// Answers on the port while the service starts ([`crate::http::health::starting`]), on a
/// second handle to the same socket: liveness answers from the moment the port is bound,
/// however long the dependencies take. Dropping it stops that server's accepting at once (and
/// closes its handle); the connections it accepted are answered (each answer closes its
/// connection), and the service accepts on the socket from then on.
#[derive(Debug)]
struct Early {
    _stop: watch::Sender<()>,
}

/// How long the startup server lives on after it stops accepting, for the connections it took.
const EARLY_LINGER: Duration = Duration::from_secs(10);

impl Early {
    /// Binds `addr` and serves [`crate::http::health::starting`] on it; the listener is the
    /// service's, for when it is ready.
    async fn bind(addr: &str) -> std::io::Result<(TcpListener, Self)> {
        let listener = TcpListener::bind(addr).await?.into_std()?;
        let early = TcpListener::from_std(listener.try_clone()?)?;
        let (stop, stopped) = watch::channel(());
        let mut ended = stopped.clone();
        tokio::spawn(async move {
            let accepting = UntilStopped { listener: Some(early), stopped };
            // Ending the server at once would close a connection accepted in its last moment
            // before its request is read: it ends once those have had time to be answered.
            tokio::select! {
                served = axum::serve(accepting, crate::http::health::starting()).into_future() => {
                    if let Err(e) = served {
                        tracing::warn!(error = %e, "the startup server stopped");
                    }
                }
                () = async {
                    while ended.changed().await.is_ok() {}
                    tokio::time::sleep(EARLY_LINGER).await;
                } => {}
            }
        });
        Ok((TcpListener::from_std(listener)?, Self { _stop: stop }))
    }
}

/// A listener that accepts until its [`Early`] is dropped, then closes its handle and accepts
/// nothing more.
struct UntilStopped {
    listener: Option<TcpListener>,
    stopped: watch::Receiver<()>,
}

impl axum::serve::Listener for UntilStopped {
    type Io = tokio::net::TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Some(listener) = &self.listener else {
                return std::future::pending().await;
            };
            tokio::select! {
                biased;
                _ = self.stopped.changed() => self.listener = None,
                accepted = listener.accept() => match accepted {
                    Ok(connection) => return connection,
                    // Out of file descriptors, say: wait and try again, as axum does.
                    Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                },
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.listener.as_ref().map_or_else(
            || Err(std::io::Error::other("the startup server has stopped")),
            TcpListener::local_addr,
        )
    }
}

/// A deadpool pool for `url` that sheds load: waiting for a connection is bounded.
///
/// Every statement on its connections is cancelled by PostgreSQL after `statement_timeout`
/// (zero: never), so a stuck query frees its connection instead of holding it; this sets the
/// connections' `options`, replacing any given in `url`.
pub fn database_pool(
    url: &str,
    size: usize,
    statement_timeout: Duration,
) -> Result<Pool, StartupError> {
    let mut config: tokio_postgres::Config =
        url.parse().map_err(|e: tokio_postgres::Error| StartupError::Database(e.to_string()))?;
    config.options(format!("-c statement_timeout={}", statement_timeout.as_millis()));
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig { recycling_method: RecyclingMethod::Fast },
    );
    Pool::builder(manager)
        .max_size(size)
        .runtime(Runtime::Tokio1)
        .timeouts(Timeouts {
            wait: Some(Duration::from_secs(2)),
            create: Some(Duration::from_secs(5)),
            recycle: Some(Duration::from_secs(5)),
        })
        .build()
        .map_err(|e| StartupError::Database(e.to_string()))
}

/// Migrations only (the `migrate` subcommand).
pub async fn migrate_only(config: &Config) -> Result<usize, StartupError> {
    let pool = database_pool(config.database_url.expose_secret(), 2, Duration::ZERO)?;
    Ok(crate::migrate::run(&pool).await?)
}

async fn connect_store(config: &Config) -> Result<Kv, StartupError> {
    match &config.redis_url {
        Some(url) => Ok(Kv::redis(url.expose_secret(), &config.redis_prefix).await?),
        None => {
            tracing::warn!(
                "REDIS_URL is not set: codes, throttles and caches live in this process (single node only)"
            );
            Ok(Kv::memory())
        }
    }
}

type Queues = (Queue, Inbox, Events, Option<async_nats::Client>);

/// NATS (JetStream for orders and events, core NATS for cache invalidations) or the in-process
/// queue. A reconnect clears `tier`, since invalidations may have been missed meanwhile.
async fn connect_queue(config: &Config, tier: &Arc<LocalTier>) -> Result<Queues, StartupError> {
    match &config.nats_url {
        Some(url) => {
            let events_tier = tier.clone();
            let client = async_nats::ConnectOptions::new()
                .event_callback(move |event| {
                    let tier = events_tier.clone();
                    async move { crate::infra::cache::on_nats_event(&tier, &event) }
                })
                .connect(url.as_str())
                .await
                .map_err(|e| StartupError::Queue(crate::infra::queue::err(e)))?;
            let names = crate::infra::queue::Names::new(&config.nats_prefix);
            // Boxed: three stream set-ups joined make a large future, built once.
            let (queue, inbox, events) = Box::pin(crate::infra::queue::nats(client.clone(), names))
                .await
                .map_err(StartupError::Queue)?;
            Ok((queue, inbox, events, Some(client)))
        }
        None => {
            tracing::warn!(
                "NATS_URL is not set: orders are queued in this process (single node only)"
            );
            let (queue, inbox, events) = crate::infra::queue::local();
            Ok((queue, inbox, events, None))
        }
    }
}

/// The cache tiers: see [`crate::infra::cache`] for when the in-process tier is on.
async fn cache_tiers(
    config: &Config,
    kv: Kv,
    tier: Arc<LocalTier>,
    nats: Option<async_nats::Client>,
) -> Result<Cache, StartupError> {
    match (nats, &config.redis_url) {
        (Some(client), _) => {
            let subject =
                crate::infra::queue::Names::new(&config.nats_prefix).subject("cache.invalidate");
            Cache::coherent(kv, tier, client, subject)
                .await
                .map_err(|e| StartupError::Queue(crate::infra::queue::err(e)))
        }
        (None, None) => Ok(Cache::single_node(kv, tier)),
        (None, Some(_)) => {
            tracing::warn!(
                "REDIS_URL without NATS_URL: no channel to tell other replicas about writes, so the in-process cache tier is off"
            );
            Ok(Cache::shared_only(kv))
        }
    }
}

/// Stripe as configured, or in dev mode without a key the in-process stand-in.
fn payments(config: &Config) -> Result<crate::infra::stripe::Payments, StartupError> {
    use crate::infra::stripe::{DevStripe, Gateway, Payments, Stripe};
    let currency = config.stripe_currency.clone();
    Ok(match (&config.stripe_secret_key, &config.stripe_webhook_secret) {
        (Some(key), Some(hook)) => Payments {
            gateway: Gateway::Stripe(Stripe::new(&config.stripe_api_base, key.clone())?),
            webhook_secret: hook.clone(),
            currency,
        },
        _ => {
            tracing::warn!(
                "STRIPE_SECRET_KEY is not set: an in-process stand-in plays Stripe (dev mode only); every payment succeeds"
            );
            let dev = DevStripe::new();
            Payments { webhook_secret: dev.webhook_secret(), gateway: Gateway::Dev(dev), currency }
        }
    })
}

impl Application {
    /// Binds (liveness answers from then on), connects, migrates and seeds; `run_until_stopped`
    /// verifies and serves.
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        let addr = format!("{}:{}", config.host, config.port);
        let (listener, early) = Early::bind(&addr).await?;
        let pool = database_pool(
            config.database_url.expose_secret(),
            config.database_pool_size,
            Duration::from_millis(config.database_statement_timeout_ms),
        )?;
        let t = std::time::Instant::now();
        // Building the Stripe client loads the system's root certificates (3.7 ms of CPU
        // measured): done on the blocking pool while the connections below wait on the network.
        let payments = tokio::task::spawn_blocking({
            let config = config.clone();
            move || payments(&config)
        });
        // The database, the store and the queue are independent: connect to all three at once.
        let tier = Arc::new(LocalTier::new(crate::infra::cache::LOCAL_ENTRIES));
        let ((), kv, (queue, inbox, events, nats)) = tokio::try_join!(
            async { crate::migrate::run(&pool).await.map(drop).map_err(StartupError::from) },
            connect_store(&config),
            connect_queue(&config, &tier),
        )?;
        let cache = cache_tiers(&config, kv.clone(), tier, nats).await?;
        let (ids, lease) = crate::infra::lease::generator(&kv, config.worker_id).await?;
        let limiter = Arc::new(crate::infra::limiter::Limiter::new(kv.clone()).await?);
        tracing::info!(
            elapsed_ms = t.elapsed().as_millis() as u64,
            "startup: migrations checked, store and queue connected"
        );
        let sms = match (&config.sms_url, config.env) {
            (Some(url), _) => SmsSender::Http { url: url.clone() },
            (None, Env::Dev) => SmsSender::Log,
            (None, Env::Prod) => unreachable!("Config::check refuses prod without SMS_URL"),
        };
        // A panic while building it is the startup's own panic.
        let payments =
            payments.await.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))?;
        let state = AppState::new(crate::state::Shared {
            pool: SheddingPool::new(pool, config.database_max_queued as usize),
            kv,
            cache,
            tokens: Tokens::new(
                config.jwt_secret.expose_secret().as_bytes(),
                &config.jwt_issuer,
                &config.jwt_audience,
            ),
            passwords: Passwords::new(std::thread::available_parallelism().map_or(2, usize::from)),
            ids,
            limiter,
            in_flight: Arc::new(tokio::sync::Semaphore::new(config.max_in_flight as usize)),
            limits: crate::app::limits::Limits::new(&config),
            sms,
            payments,
            queue,
            events,
            config: Arc::new(config),
            metrics: crate::telemetry_metrics::install(),
            verified: Arc::new(AtomicBool::new(false)),
            migrated: Arc::new(AtomicBool::new(false)),
            accepting: Arc::new(AtomicBool::new(true)),
        });
        let t = std::time::Instant::now();
        crate::seed::run(&state).await.map_err(StartupError::Seed)?;
        tracing::info!(elapsed_ms = t.elapsed().as_millis() as u64, "startup: seeds");
        if let crate::infra::stripe::Gateway::Dev(dev) = &state.payments.gateway {
            let mut own = listener.local_addr()?;
            if own.ip().is_unspecified() {
                own.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
            }
            dev.deliver_to(format!("http://{own}/api/webhooks/stripe"));
        }
        let (shutdown, _) = watch::channel(false);
        Ok(Self { listener, state, inbox, shutdown, lease, early })
    }

    /// The bound port (useful with `PORT=0`).
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map_or(0, |a| a.port())
    }

    /// The bound address.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// A handle that stops the service as SIGTERM would.
    pub fn shutdown_handle(&self) -> Shutdown {
        Shutdown(self.shutdown.clone())
    }

    /// The shared state (for tests and tools).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGTERM, ctrl-c or the shutdown handle; then readiness turns 503, new
    /// connections stop, and in-flight requests get `SHUTDOWN_GRACE_SECS` to finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Self { listener, state, inbox, shutdown, lease, early } = self;
        // Every statement is checked against the live schema while the port already answers
        // liveness; readiness waits for the result, so a mismatch never takes traffic.
        let verifying = state.clone();
        tokio::spawn(async move {
            let t = std::time::Instant::now();
            match crate::repos::verify_all(verifying.pool.pool()).await {
                Ok(report) if report.is_ok() => {
                    verifying.verified.store(true, Ordering::SeqCst);
                    tracing::info!(
                        statements = report.checked,
                        elapsed_ms = t.elapsed().as_millis() as u64,
                        "repositories verified"
                    );
                }
                Ok(report) => {
                    tracing::error!(%report, "repositories do not match the database; staying unready");
                }
                Err(e) => {
                    tracing::error!(error = %e, "could not verify the repositories; staying unready");
                }
            }
        });
        // The consumer stops when draining starts, after acking the message in hand.
        let (stop_consumer, consumer_stop) = watch::channel(false);
        let persister = crate::worker::OrderPersister::new(&state);
        let consumer = tokio::spawn(crate::infra::queue::consume(inbox, persister, consumer_stop));
        // Histogram samples pile up in the recorder until they are drained; without a scrape
        // that is a leak proportional to the request count, so drain them on a timer too.
        let metrics = state.metrics.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(METRICS_UPKEEP);
            loop {
                every.tick().await;
                metrics.run_upkeep();
            }
        });
        // Expired idempotency records go hourly (any replica may do it; deleting twice is harmless).
        let purging = state.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(3600));
            loop {
                every.tick().await;
                match crate::app::idempotency::purge(&purging).await {
                    Ok(n) => tracing::debug!(purged = n, "expired idempotency records purged"),
                    Err(e) => tracing::warn!(error = %e, "expired idempotency records not purged"),
                }
            }
        });
        let grace = Duration::from_secs(state.config.shutdown_grace_secs);
        let delay = Duration::from_millis(state.config.shutdown_delay_ms);
        let accepting = state.accepting.clone();
        let pool = state.pool.clone();
        let mut stop = shutdown.subscribe();
        let (drain_started, mut drain_rx) = watch::channel(false);
        let signal = async move {
            tokio::select! {
                () = os_signal() => {}
                _ = stop.wait_for(|s| *s) => {}
            }
            accepting.store(false, Ordering::SeqCst);
            tracing::info!(delay_ms = delay.as_millis() as u64, "shutting down: readiness is 503");
            // Still serving, so requests routed here before the balancer noticed succeed.
            tokio::time::sleep(delay).await;
            tracing::info!("closing the listener; draining in-flight requests");
            let _ = drain_started.send(true);
        };
        let app = crate::http::router(state);
        let app = app.into_make_service_with_connect_info::<SocketAddr>();
        drop(early);
        let server = axum::serve(listener, app).with_graceful_shutdown(signal);
        let server = async move { server.await };
        tokio::pin!(server);
        let result = tokio::select! {
            r = &mut server => r,
            () = async {
                let _ = drain_rx.wait_for(|s| *s).await;
                tokio::time::sleep(grace).await;
            } => {
                tracing::warn!("grace period over; dropping the requests still running");
                Ok(())
            }
        };
        let _ = stop_consumer.send(true);
        let _ = tokio::time::timeout(grace, consumer).await;
        if let Some((stop, keeper)) = lease {
            let _ = stop.send(true);
            let _ = keeper.await;
        }
        pool.pool().close();
        result
    }
}

async fn os_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

/// Asks the service this configuration describes for `/health` (on loopback when it listens on
/// every address); `Ok` when it answers 200 within two seconds.
pub async fn healthcheck(config: &Config) -> Result<(), String> {
    let host = match config.host.as_str() {
        "0.0.0.0" | "::" | "" => "127.0.0.1",
        other => other,
    };
    let url = format!("http://{host}:{}/health", config.port);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .map_err(|e| e.to_string())?;
    match client.get(&url).send().await {
        Ok(answer) if answer.status() == reqwest::StatusCode::OK => Ok(()),
        Ok(answer) => Err(format!("{url} answered {}", answer.status())),
        Err(e) => Err(format!("{url}: {e}")),
    }
}
