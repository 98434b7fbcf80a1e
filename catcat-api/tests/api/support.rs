//! A service per test: its own database, its own Redis key space, a local SMS stand-in, port 0.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::routing::post;
use catcat_api::config::{Config, Env, SecretString};
use catcat_api::startup::{Application, Shutdown};
use catcat_api::state::AppState;
use serde_json::{Value, json};
use tokio_postgres::NoTls;

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// The server the tests use.
pub(crate) fn server_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:5432/postgres".to_owned())
}

/// Redis for the tests, if any (`TEST_REDIS_URL`, default local).
pub(crate) fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// NATS for the tests (`TEST_NATS_URL`, default local).
pub(crate) fn nats_url() -> String {
    std::env::var("TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned())
}

/// A unique name for this test's database and key space.
pub(crate) fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    )
}

/// Creates an empty database; returns its URL.
pub(crate) async fn create_database(name: &str) -> String {
    let admin: tokio_postgres::Config = server_url().parse().unwrap();
    let (client, conn) = admin.connect(NoTls).await.unwrap();
    tokio::spawn(conn);
    client.batch_execute(&format!("CREATE DATABASE {name}")).await.unwrap();
    let mut cfg = admin;
    cfg.dbname(name);
    let url = server_url();
    let base = url.rsplit_once('/').map_or(url.as_str(), |(b, _)| b);
    format!("{base}/{name}")
}

/// Drops a database, whatever holds it.
pub(crate) async fn drop_database(name: &str) {
    let admin: tokio_postgres::Config = server_url().parse().unwrap();
    if let Ok((client, conn)) = admin.connect(NoTls).await {
        tokio::spawn(conn);
        let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
    }
}

/// Messages the SMS stand-in received: (phone, message).
pub(crate) type Outbox = Arc<Mutex<Vec<(String, String)>>>;

/// A local HTTP server speaking the SMS gateway protocol; returns its URL and outbox.
pub(crate) async fn sms_stand_in() -> (String, Outbox) {
    let outbox: Outbox = Arc::default();
    let store = outbox.clone();
    let app = axum::Router::new().route(
        "/send",
        post(move |Json(body): Json<Value>| {
            let store = store.clone();
            async move {
                let phone = body["phone"].as_str().unwrap_or_default().to_owned();
                let message = body["message"].as_str().unwrap_or_default().to_owned();
                store.lock().unwrap().push((phone, message));
                Json(json!({ "ok": true }))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/send", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, outbox)
}

/// A running service.
pub(crate) struct TestApp {
    pub(crate) base: String,
    pub(crate) http: reqwest::Client,
    pub(crate) outbox: Outbox,
    /// The Stripe stand-in the app calls (shared by its replicas).
    pub(crate) stripe: super::stripe_stand_in::Shared,
    pub(crate) db: String,
    pub(crate) nats_prefix: String,
    pub(crate) shutdown: Shutdown,
    /// What it was started with (a replica shares all of it).
    pub(crate) config: Config,
    /// Its shared state, for calling the workflows directly.
    pub(crate) state: AppState,
    /// False for replicas: the first app drops the database and streams.
    owner: bool,
}

/// The configuration a test app runs with.
pub(crate) fn config(db_url: &str, sms_url: &str, stripe_url: &str) -> Config {
    Config {
        env: Env::Dev,
        host: "127.0.0.1".into(),
        port: 0,
        database_url: SecretString::from(db_url),
        database_pool_size: 8,
        database_max_queued: 256,
        database_statement_timeout_ms: 5000,
        redis_url: Some(SecretString::from(redis_url())),
        redis_prefix: format!("{}:", unique("catcat_test")),
        nats_url: Some(nats_url()),
        nats_prefix: format!("{}.", unique("t")),
        jwt_secret: SecretString::from("a-test-secret-that-is-long-enough-0123456789"),
        jwt_issuer: "catcat".into(),
        jwt_audience: "catcat-api".into(),
        worker_id: 1,
        sms_url: Some(sms_url.into()),
        stripe_api_base: stripe_url.into(),
        stripe_secret_key: Some(SecretString::from(super::stripe_stand_in::KEY)),
        stripe_webhook_secret: Some(SecretString::from(super::stripe_stand_in::WEBHOOK_SECRET)),
        stripe_currency: "cny".into(),
        admin_phone: Some("+8610000000000".into()),
        admin_password: Some(SecretString::from("admin-password-1")),
        rate_limit_ip: "100000/60".parse().unwrap(),
        rate_limit_auth_phone: "1000/60".parse().unwrap(),
        rate_limit_auth_ip: "100000/60".parse().unwrap(),
        rate_limit_user_writes: "100000/60".parse().unwrap(),
        trusted_proxies: Vec::new(),
        max_in_flight: 1024,
        shutdown_grace_secs: 5,
        shutdown_delay_ms: 400,
    }
}

impl TestApp {
    /// Builds and starts the service on a fresh database.
    pub(crate) async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// [`TestApp::spawn`] with the configuration changed by `change`.
    pub(crate) async fn spawn_with(change: impl FnOnce(&mut Config)) -> Self {
        let db = unique("catcat_test");
        let db_url = create_database(&db).await;
        let (sms_url, outbox) = sms_stand_in().await;
        let (stripe_url, stripe) = super::stripe_stand_in::stand_in().await;
        let mut cfg = config(&db_url, &sms_url, &stripe_url);
        change(&mut cfg);
        Self::start(cfg, db, (outbox, stripe), true).await
    }

    async fn start(
        config: Config,
        db: String,
        (outbox, stripe): (Outbox, super::stripe_stand_in::Shared),
        owner: bool,
    ) -> Self {
        let nats_prefix = config.nats_prefix.clone();
        let app = Application::build(config.clone()).await.expect("the service starts");
        let base = format!("http://127.0.0.1:{}", app.port());
        let shutdown = app.shutdown_handle();
        let state = app.state().clone();
        tokio::spawn(app.run_until_stopped());
        Self {
            state,
            base,
            http: reqwest::Client::new(),
            outbox,
            stripe,
            db,
            nats_prefix,
            shutdown,
            config,
            owner,
        }
    }

    /// Another replica of this service: same database, Redis key space, NATS names, secrets
    /// and SMS stand-in, its own port and process state.
    pub(crate) async fn replica(&self) -> Self {
        let stand_ins = (self.outbox.clone(), self.stripe.clone());
        Self::start(self.config.clone(), self.db.clone(), stand_ins, false).await
    }

    /// `METHOD path` with an optional bearer token and JSON body; (status, body).
    pub(crate) async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    /// `METHOD path` with extra headers and a raw body; (status, headers, exact body bytes).
    pub(crate) async fn raw(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.header("content-type", "application/json").body(b);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        (status, headers, res.bytes().await.unwrap().to_vec())
    }

    /// A connection to this app's database, for looking behind the API.
    pub(crate) async fn sql(&self) -> tokio_postgres::Client {
        let (client, conn) =
            db_url(self).parse::<tokio_postgres::Config>().unwrap().connect(NoTls).await.unwrap();
        tokio::spawn(conn);
        client
    }

    /// The last code sent to `phone`.
    pub(crate) fn last_code(&self, phone: &str) -> String {
        let outbox = self.outbox.lock().unwrap();
        let (_, message) = outbox.iter().rev().find(|(p, _)| p == phone).expect("a code was sent");
        message
            .split_whitespace()
            .find(|w| w.len() == 7 && w.ends_with('.'))
            .map(|w| w.trim_end_matches('.').to_owned())
            .expect("the message holds a code")
    }

    /// Registers `phone` with a code; returns (access token, refresh token, user id).
    pub(crate) async fn register(&self, phone: &str) -> (String, String, i64) {
        let (s, b) =
            self.call("POST", "/api/auth/send-code", None, Some(json!({ "phone": phone }))).await;
        assert_eq!(s, 200, "{b}");
        let code = self.last_code(phone);
        let (s, b) = self
            .call("POST", "/api/auth/register", None, Some(json!({ "phone": phone, "code": code, "password": "secret-pass-1", "nickName": "Tester" })))
            .await;
        assert_eq!(s, 201, "{b}");
        let d = &b["data"];
        (
            d["accessToken"].as_str().unwrap().to_owned(),
            d["refreshToken"].as_str().unwrap().to_owned(),
            d["user"]["id"].as_i64().unwrap(),
        )
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.trigger();
        if !self.owner {
            return;
        }
        let db = self.db.clone();
        let prefix = self.nats_prefix.clone();
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
                rt.block_on(async {
                    drop_database(&db).await;
                    delete_streams(&prefix).await;
                });
            }
        })
        .join();
    }
}

/// A phone number no other test uses.
pub(crate) fn phone() -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed) as u64;
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0);
    format!("+86{:011}", (t * 31 + n) % 100_000_000_000)
}

/// Removes a test's JetStream streams.
pub(crate) async fn delete_streams(prefix: &str) {
    let Ok(client) = async_nats::connect(nats_url()).await else { return };
    let js = async_nats::jetstream::new(client);
    let p: String = prefix
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' })
        .collect();
    for name in ["ORDERS", "EVENTS", "DEAD"] {
        let _ = js.delete_stream(format!("{p}CATCAT_{name}")).await;
    }
}

/// Signs in with a password; the access token.
pub(crate) async fn login(app: &TestApp, phone: &str, password: &str) -> String {
    let (s, b) = app
        .call(
            "POST",
            "/api/auth/login",
            None,
            Some(json!({ "phone": phone, "password": password })),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    b["data"]["accessToken"].as_str().unwrap().to_owned()
}

/// The URL of a test app's database.
pub(crate) fn db_url(app: &TestApp) -> String {
    let url = server_url();
    let base = url.rsplit_once('/').map_or(url.as_str(), |(b, _)| b);
    format!("{base}/{}", app.db)
}

/// A queued order of `customer` for `pet`, as the queue carries it.
pub(crate) fn order_message(
    id: i64,
    customer: i64,
    pet: i64,
) -> catcat_api::app::booking::OrderMessage {
    let now = chrono::Utc::now();
    catcat_api::app::booking::OrderMessage {
        v: catcat_api::app::booking::OrderMessage::VERSION,
        id,
        order_no: format!("CCT{id}"),
        customer_id: customer,
        pet_id: pet,
        package_id: 1,
        service_at: now + chrono::Duration::days(3),
        address: "1 Queue Lane".into(),
        address_detail: None,
        price: repo_runtime::types::Decimal::new(3000, 2),
        remark: None,
        booked_at: now,
    }
}

/// A TCP proxy to `target` that a test can cut: every open connection is dropped and new
/// ones are closed on arrival, as when a network partition separates a replica from a
/// dependency.
pub(crate) struct Cuttable {
    /// `127.0.0.1:port` to connect to instead of the target.
    pub(crate) addr: std::net::SocketAddr,
    cut: Arc<std::sync::atomic::AtomicBool>,
    links: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Cuttable {
    /// A proxy to `target` (`host:port`).
    pub(crate) async fn to(target: &str) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let cut = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let links = Arc::new(Mutex::new(Vec::new()));
        let (target, flag, open) = (target.to_owned(), cut.clone(), links.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if flag.load(Ordering::SeqCst) {
                    continue;
                }
                let target = target.clone();
                let link = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                open.lock().unwrap().push(link.abort_handle());
            }
        });
        Self { addr, cut, links }
    }

    /// Drops every connection through the proxy and refuses new ones.
    pub(crate) fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }
}
