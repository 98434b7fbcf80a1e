//! Liveness (`/health`: the process answers) and readiness (`/health/ready`: the database,
//! the store and the migrations are there, and we are not draining).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;

use axum::response::IntoResponse;

use super::answer::{ApiResult, ok};
use super::error::Envelope;
use crate::state::AppState;

routes!(health, ready);

/// What answers on the port while the service is still connecting to its dependencies:
/// liveness is 200 (the process is alive), readiness and everything else 503 `starting` with
/// `Retry-After: 1`. Each answer closes its connection, so a client's next request reaches
/// the service once it has taken over the port.
pub(crate) fn starting() -> axum::Router {
    axum::Router::new()
        .route("/health", axum::routing::get(health))
        .fallback(|| async { super::error::ApiError::Starting })
        .layer(axum::middleware::map_response(|mut response: Response| async move {
            response.headers_mut().insert(
                axum::http::header::CONNECTION,
                axum::http::HeaderValue::from_static("close"),
            );
            response
        }))
}

#[utoipa::path(get, path = "/health", operation_id = "health", tag = "health", responses((status = 200, description = "the process is alive", body = Alive)))]
pub(crate) async fn health() -> ApiResult<Alive> {
    ok("alive", Alive { status: "alive" })
}

/// What liveness answers.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Alive {
    /// Always `alive`.
    status: &'static str,
}

/// What readiness answers (with 503 and `success: false` when any check fails).
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Readiness {
    accepting: bool,
    verified: bool,
    database: bool,
    cache: bool,
    migrations: bool,
}

#[utoipa::path(get, path = "/health/ready", operation_id = "ready", tag = "health", responses((status = 200, description = "database, migrations and verified repositories; `cache: false` means degraded (Redis is down: reads go to PostgreSQL)", body = Readiness), (status = 503, description = "a required check failed or the replica is draining; `data` says which", body = Readiness)))]
pub(crate) async fn ready(State(state): State<AppState>) -> Response {
    // Every connection at work means the database answers: a saturated pool is load, not a
    // reason to leave the balancer (which would only move the load onto the other replicas).
    let pool = state.pool.pool();
    let status = pool.status();
    let database = (status.size > 0 && status.available == 0) || pool.get().await.is_ok();
    let migrations = database
        && (state.migrated.load(std::sync::atomic::Ordering::Relaxed)
            || crate::migrate::is_current(pool).await);
    if migrations {
        state.migrated.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    let r = Readiness {
        accepting: state.is_accepting(),
        verified: state.verified.load(std::sync::atomic::Ordering::SeqCst),
        database,
        cache: state.kv.ping().await,
        migrations,
    };
    // The cache (Redis) is not required: without it reads go to PostgreSQL, writes go on and
    // only code sending stops, so a Redis outage must not take every replica out of the
    // balancer. `cache: false` says the replica is degraded.
    let up = r.accepting && r.verified && r.database && r.migrations;
    let status = if up { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body = Envelope {
        success: up,
        code: status.as_u16(),
        message: if up { "ready" } else { "not ready" }.to_owned(),
        data: Some(r),
        error: (!up).then_some("not_ready"),
        field: None,
    };
    (status, axum::Json(body)).into_response()
}
