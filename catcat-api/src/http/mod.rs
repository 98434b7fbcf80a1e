//! The HTTP surface: one router per resource, one error type, extractors for the caller.

/// Declares a resource's operations once, by handler: each handler's method and path are read
/// from its `#[utoipa::path]`, so the router (`router()`) and the document (`Doc`) are made
/// from one list and cannot disagree.
macro_rules! routes {
    ($($handler:ident),+ $(,)?) => {
        pub(crate) fn router() -> axum::Router<crate::state::AppState> {
            let router = axum::Router::new();
            $(
                let router = pastey::paste! {
                    super::route::<[<__path_ $handler>], _, _>(router, $handler)
                };
            )+
            router
        }

        /// This resource's part of `/openapi.json`.
        #[derive(utoipa::OpenApi)]
        #[openapi(paths($($handler),+))]
        pub(crate) struct Doc;

        /// Each operation's path, methods and the answer its handler's type promises.
        #[cfg(test)]
        pub(crate) fn described() -> Vec<super::Described> {
            vec![$(
                pastey::paste! {
                    (
                        <[<__path_ $handler>] as utoipa::Path>::path(),
                        <[<__path_ $handler>] as utoipa::Path>::methods(),
                        super::answer::described(&$handler),
                    )
                }
            ),+]
        }
    };
}

pub mod admin;
pub(crate) mod answer;
pub mod auth;
pub mod error;
pub mod extract;
pub mod health;
pub mod openapi;
pub mod orders;
pub mod packages;
pub mod payments;
pub mod pets;
pub mod progress;
pub mod providers;
pub mod reviews;
pub mod users;
pub(crate) mod views;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::MethodFilter;
use utoipa::openapi::HttpMethod;

use crate::state::AppState;

/// Largest request body accepted.
pub const BODY_LIMIT: usize = 64 * 1024;

/// Every route of the service, flat: each resource router spells its full `/api/...` paths (a
/// nested router would cost a prefix strip and a second dispatch per request), and the layers
/// wrap each route once, as one stack.
pub fn router(state: AppState) -> Router {
    let layers = (
        DefaultBodyLimit::max(BODY_LIMIT),
        axum::middleware::from_fn_with_state(state.clone(), front),
    );
    Router::new()
        .route("/metrics", axum::routing::get(metrics))
        .route("/openapi.json", axum::routing::get(openapi::document))
        .merge(public_routes())
        // The admin gate is one layer over every admin route: a route added there without it
        // cannot exist.
        .merge(admin_routes().route_layer(axum::middleware::from_extractor_with_state::<
            extract::AdminUser,
            AppState,
        >(state.clone())))
        .method_not_allowed_fallback(|| async { error::ApiError::MethodNotAllowed })
        .fallback(|| async { error::ApiError::NotFound })
        .layer(layers)
        .with_state(state)
}

/// Every request: counted, timed and given an id ([`crate::telemetry_metrics::track`]), then
/// admitted or refused ([`extract::admit`]).
async fn front(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    crate::telemetry_metrics::track(request, |request| extract::admit(&state, request, next)).await
}

/// The resources, once: their routes and their parts of the document come from this list.
macro_rules! resources {
    (public: $($public:ident),+; admin: $($admin:ident),+) => {
        fn public_routes() -> Router<AppState> {
            Router::new()$(.merge($public::router()))+
        }

        fn admin_routes() -> Router<AppState> {
            Router::new()$(.merge($admin::router()))+
        }

        /// Every resource's part of the document.
        pub(crate) fn documents() -> Vec<utoipa::openapi::OpenApi> {
            vec![$(<$public::Doc as utoipa::OpenApi>::openapi(),)+ $(<$admin::Doc as utoipa::OpenApi>::openapi()),+]
        }

        /// Every documented operation with the answer its handler's type promises.
        #[cfg(test)]
        pub(crate) fn described() -> Vec<Described> {
            [$($public::described(),)+ $($admin::described()),+].concat()
        }
    };
}

resources!(
    public: health, auth, users, pets, packages, orders, payments, progress, providers, reviews;
    admin: admin
);

/// A documented operation: path, methods, and the success status and `data` schema its
/// handler's return type promises.
#[cfg(test)]
pub(crate) type Described = (
    String,
    Vec<HttpMethod>,
    Option<(u16, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>,
);

/// Adds `handler` to `router` on the path and methods of its `#[utoipa::path]` (`P`).
fn route<P, H, T>(router: Router<AppState>, handler: H) -> Router<AppState>
where
    P: utoipa::Path,
    H: axum::handler::Handler<T, AppState>,
    T: 'static,
{
    let filter = P::methods()
        .into_iter()
        .map(|m| match m {
            HttpMethod::Get => MethodFilter::GET,
            HttpMethod::Post => MethodFilter::POST,
            HttpMethod::Put => MethodFilter::PUT,
            HttpMethod::Delete => MethodFilter::DELETE,
            HttpMethod::Options => MethodFilter::OPTIONS,
            HttpMethod::Head => MethodFilter::HEAD,
            HttpMethod::Patch => MethodFilter::PATCH,
            HttpMethod::Trace => MethodFilter::TRACE,
        })
        .reduce(MethodFilter::or)
        .expect("a documented operation has a method");
    router.route(&P::path(), axum::routing::on(filter, handler))
}

async fn metrics(axum::extract::State(s): axum::extract::State<AppState>) -> String {
    crate::telemetry_metrics::record_pool(s.pool.pool());
    s.metrics.render()
}
