//! Prometheus metrics: requests by route and status with latency histograms, database pool
//! and query timings (from the generated repositories' observer), business counters.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{OnceLock, PoisonError, RwLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::Response;
use metrics::{Counter, Histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use repo_runtime::{QueryEvent, QueryObserver};
use tracing::Instrument;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process-wide recorder and query observer (once); the handle renders them.
pub fn install() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let buckets =
                [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];
            let handle = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &buckets)
                .expect("the buckets are valid")
                .install_recorder()
                .expect("one recorder per process");
            static OBSERVER: QueryMetrics = QueryMetrics;
            repo_runtime::set_query_observer(&OBSERVER);
            handle
        })
        .clone()
}

/// Records every generated repository call.
struct QueryMetrics;

impl QueryObserver for QueryMetrics {
    fn on_query(&self, e: &QueryEvent<'_>) {
        query_histogram(e.method, e.error.is_some()).record(e.elapsed.as_secs_f64());
        if e.elapsed.as_millis() >= 200 {
            tracing::warn!(
                method = e.method,
                elapsed_ms = e.elapsed.as_millis() as u64,
                "slow query"
            );
        }
    }
}

/// The latency histogram of a repository method and outcome, looked up once and then reused.
fn query_histogram(method: &'static str, failed: bool) -> Histogram {
    static HANDLES: Handles<(&'static str, bool), Histogram> = OnceLock::new();
    handle(&HANDLES, (method, failed), || {
        let outcome = if failed { "error" } else { "ok" };
        metrics::histogram!("db_query_duration_seconds", "method" => method, "outcome" => outcome)
    })
}

/// Metric handles by their labels, registered once each.
type Handles<K, V> = OnceLock<RwLock<HashMap<K, V>>>;

/// The handle for `key`, made by `make` the first time: after that a read lock and a small
/// hash, no label strings or allocations.
fn handle<K: std::hash::Hash + Eq, V: Clone>(
    handles: &Handles<K, V>,
    key: K,
    make: impl FnOnce() -> V,
) -> V {
    let handles = handles.get_or_init(RwLock::default);
    if let Some(found) = handles.read().unwrap_or_else(PoisonError::into_inner).get(&key) {
        return found.clone();
    }
    let made = make();
    handles.write().unwrap_or_else(PoisonError::into_inner).entry(key).or_insert(made).clone()
}

/// The header that carries a request's id, in and out.
pub const REQUEST_ID: &str = "x-request-id";

/// Counts and times every request by its route template (never the raw path), and gives it
/// an id: the caller's `X-Request-Id` when it is a sane one, else a new one. The id is sent
/// back on every answer and carried by every log line written while `answer` runs.
pub async fn track<F: Future<Output = Response>>(
    req: Request,
    answer: impl FnOnce(Request) -> F,
) -> Response {
    let route = req.extensions().get::<MatchedPath>().map(|p| intern(p.as_str()));
    let method = req.method().clone();
    let start = Instant::now();
    let id = match req.headers().get(REQUEST_ID) {
        Some(v) if v.len() <= 64 && v.as_bytes().iter().all(u8::is_ascii_graphic) => v.clone(),
        _ => new_request_id(),
    };
    let span = tracing::info_span!(
        "request",
        id = id.to_str().unwrap_or_default(),
        method = method.as_str(),
        route = route.unwrap_or("unmatched")
    );
    let mut response = answer(req).instrument(span).await;
    let status = response.status();
    let (requests, duration) = request_metrics(route.unwrap_or("unmatched"), &method, status);
    requests.increment(1);
    let elapsed = start.elapsed();
    duration.record(elapsed.as_secs_f64());
    tracing::debug!(
        id = id.to_str().unwrap_or_default(),
        status = status.as_u16(),
        elapsed_us = elapsed.as_micros() as u64,
        "answered"
    );
    response.headers_mut().insert(REQUEST_ID, id);
    response
}

/// A process-unique id with a random prefix (unique across replicas): 24 hex digits, written
/// without the formatting machinery (this runs on every request).
fn new_request_id() -> HeaderValue {
    static PREFIX: OnceLock<[u8; 16]> = OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(0);
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let prefix = PREFIX.get_or_init(|| {
        let random = rand::random::<u64>();
        std::array::from_fn(|i| HEX[((random >> (60 - 4 * i)) & 0xf) as usize])
    });
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let mut id = [0u8; 24];
    id[..16].copy_from_slice(prefix);
    for (i, digit) in id[16..].iter_mut().enumerate() {
        *digit = HEX[((n >> (28 - 4 * i)) & 0xf) as usize];
    }
    HeaderValue::from_bytes(&id).unwrap_or_else(|_| HeaderValue::from_static("unknown"))
}

type RequestKey = (&'static str, Method, StatusCode);

/// The request counter and latency histogram of a route, method and status ([`handle`]).
fn request_metrics(
    route: &'static str,
    method: &Method,
    status: StatusCode,
) -> (Counter, Histogram) {
    static HANDLES: Handles<RequestKey, (Counter, Histogram)> = OnceLock::new();
    handle(&HANDLES, (route, method.clone(), status), || {
        let method_label = intern(method.as_str());
        let status_label = intern(status.as_str());
        (
            metrics::counter!("http_requests_total", "route" => route, "method" => method_label, "status" => status_label),
            metrics::histogram!("http_request_duration_seconds", "route" => route, "method" => method_label),
        )
    })
}

/// One `'static` copy of each distinct label value: route templates, methods and status codes
/// are a small fixed set (unmatched paths are labelled "unmatched", never by their text).
fn intern(value: &str) -> &'static str {
    static SEEN: OnceLock<RwLock<HashSet<&'static str>>> = OnceLock::new();
    let seen = SEEN.get_or_init(RwLock::default);
    if let Some(found) = seen.read().unwrap_or_else(PoisonError::into_inner).get(value) {
        return found;
    }
    let mut seen = seen.write().unwrap_or_else(PoisonError::into_inner);
    match seen.get(value) {
        Some(found) => found,
        None => {
            let leaked: &'static str = Box::leak(value.to_owned().into_boxed_str());
            seen.insert(leaked);
            leaked
        }
    }
}

/// Pool gauges, read when metrics are scraped.
pub fn record_pool(pool: &deadpool_postgres::Pool) {
    let status = pool.status();
    metrics::gauge!("db_pool_size").set(status.size as f64);
    metrics::gauge!("db_pool_available").set(status.available as f64);
    metrics::gauge!("db_pool_waiting").set(status.waiting as f64);
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex, PoisonError};

    use axum::body::Body;
    use axum::http::Request;

    use crate::http::error::ApiError;

    /// Log output, kept.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap_or_else(PoisonError::into_inner).extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_failed_request_logs_the_request_id_it_answers_with() {
        let logs = Captured::default();
        let writer = logs.clone();
        let subscriber =
            tracing_subscriber::fmt().json().with_writer(move || writer.clone()).finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let app = axum::Router::new()
            .route(
                "/boom",
                axum::routing::get(|| async { ApiError::Internal("the disk is on fire".into()) }),
            )
            .layer(axum::middleware::from_fn(|req, next: axum::middleware::Next| {
                super::track(req, |r| next.run(r))
            }));
        let answer = tower::ServiceExt::oneshot(
            app,
            Request::get("/boom").body(Body::empty()).expect("a request"),
        )
        .await
        .expect("an answer");
        assert_eq!(answer.status(), 500);
        let id = answer.headers()[super::REQUEST_ID].to_str().expect("text").to_owned();
        let bytes = axum::body::to_bytes(answer.into_body(), 1 << 16).await.expect("a body");
        assert!(!String::from_utf8_lossy(&bytes).contains("disk"), "the cause is not sent");
        let text = String::from_utf8(logs.0.lock().expect("logs").clone()).expect("UTF-8");
        let line = text.lines().find(|l| l.contains("the disk is on fire")).expect("logged");
        assert!(line.contains(&format!("\"id\":\"{id}\"")), "{line} lacks {id}");
    }
}
