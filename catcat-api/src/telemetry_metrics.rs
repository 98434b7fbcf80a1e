//! Prometheus metrics: requests by route and status with latency histograms, database pool
//! and query timings (from the generated repositories' observer), business counters.

use std::collections::{HashMap, HashSet};
use std::sync::{OnceLock, PoisonError, RwLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use metrics::{Counter, Histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use repo_runtime::{QueryEvent, QueryObserver};

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
        let outcome = if e.error.is_some() { "error" } else { "ok" };
        metrics::histogram!("db_query_duration_seconds", "method" => e.method, "outcome" => outcome).record(e.elapsed.as_secs_f64());
        if e.elapsed.as_millis() >= 200 {
            tracing::warn!(
                method = e.method,
                elapsed_ms = e.elapsed.as_millis() as u64,
                "slow query"
            );
        }
    }
}

/// Counts and times every request by its route template (never the raw path).
pub async fn track(req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map(|p| intern(p.as_str()));
    let method = req.method().clone();
    let start = Instant::now();
    let response = next.run(req).await;
    let (requests, duration) =
        request_metrics(route.unwrap_or("unmatched"), &method, response.status());
    requests.increment(1);
    duration.record(start.elapsed().as_secs_f64());
    response
}

type RequestKey = (&'static str, Method, StatusCode);

/// The request counter and latency histogram of a route, method and status, looked up once and
/// then reused: a request costs a read lock and a small hash, no label strings or allocations.
fn request_metrics(
    route: &'static str,
    method: &Method,
    status: StatusCode,
) -> (Counter, Histogram) {
    static HANDLES: OnceLock<RwLock<HashMap<RequestKey, (Counter, Histogram)>>> = OnceLock::new();
    let handles = HANDLES.get_or_init(RwLock::default);
    let key = (route, method.clone(), status);
    if let Some(found) = handles.read().unwrap_or_else(PoisonError::into_inner).get(&key) {
        return found.clone();
    }
    let method_label = intern(method.as_str());
    let status_label = intern(status.as_str());
    let made = (
        metrics::counter!("http_requests_total", "route" => route, "method" => method_label, "status" => status_label),
        metrics::histogram!("http_request_duration_seconds", "route" => route, "method" => method_label),
    );
    handles.write().unwrap_or_else(PoisonError::into_inner).entry(key).or_insert(made).clone()
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
