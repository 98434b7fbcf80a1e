//! Prometheus metrics: requests by route and status with latency histograms, database pool
//! and query timings (from the generated repositories' observer), business counters.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
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
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let start = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    let labels = [("route", route), ("method", method), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels[..2])
        .record(start.elapsed().as_secs_f64());
    response
}

/// Pool gauges, read when metrics are scraped.
pub fn record_pool(pool: &deadpool_postgres::Pool) {
    let status = pool.status();
    metrics::gauge!("db_pool_size").set(status.size as f64);
    metrics::gauge!("db_pool_available").set(status.available as f64);
    metrics::gauge!("db_pool_waiting").set(status.waiting as f64);
}
