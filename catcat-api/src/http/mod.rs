//! The HTTP surface: one router per resource, one error type, extractors for the caller.

pub mod admin;
pub mod auth;
pub mod error;
pub mod extract;
pub mod health;
pub mod openapi;
pub mod orders;
pub mod packages;
pub mod pets;
pub mod progress;
pub mod providers;
pub mod reviews;
pub mod users;
pub(crate) mod views;

use axum::Router;
use axum::extract::DefaultBodyLimit;

use crate::state::AppState;

/// Largest request body accepted.
pub const BODY_LIMIT: usize = 64 * 1024;

/// Every route of the service, flat: each resource router spells its full `/api/...` paths (a
/// nested router would cost a prefix strip and a second dispatch per request), and both layers
/// wrap each route once, as one stack.
pub fn router(state: AppState) -> Router {
    let layers = (
        DefaultBodyLimit::max(BODY_LIMIT),
        axum::middleware::from_fn(crate::telemetry_metrics::track),
    );
    Router::new()
        .merge(health::router())
        .route("/metrics", axum::routing::get(metrics))
        .route("/openapi.json", axum::routing::get(openapi::document))
        .merge(auth::router())
        .merge(users::router())
        .merge(pets::router())
        .merge(packages::router())
        .merge(orders::router())
        .merge(progress::router())
        .merge(providers::router())
        .merge(reviews::router())
        // The admin gate is one layer over every admin route: a route added there without it
        // cannot exist.
        .merge(admin::router().route_layer(axum::middleware::from_extractor_with_state::<
            extract::AdminUser,
            AppState,
        >(state.clone())))
        .method_not_allowed_fallback(|| async { error::ApiError::MethodNotAllowed })
        .fallback(|| async { error::ApiError::NotFound })
        .layer(layers)
        .with_state(state)
}

async fn metrics(axum::extract::State(s): axum::extract::State<AppState>) -> String {
    crate::telemetry_metrics::record_pool(&s.pool);
    s.metrics.render()
}
