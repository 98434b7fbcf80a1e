//! `/openapi.json`, generated from the handlers' `#[utoipa::path]` annotations and the request
//! types (`ToSchema`), so it cannot drift from the code.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{admin, auth, health, orders, packages, pets, progress, providers, reviews, users};

/// The API description.
#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "CatCat API", description = "Door-to-door cat sitting. Every answer uses the envelope {success, code, message, data, error?, field?}."),
    paths(
        health::health, health::ready,
        auth::send_code, auth::register, auth::login, auth::login_sms, auth::refresh, auth::logout,
        users::me, users::update_me, users::change_password, users::by_id,
        pets::list, pets::create, pets::one, pets::update, pets::remove,
        packages::list, packages::one,
        orders::create, orders::detail, orders::mine, orders::cancel, orders::accept, orders::start, orders::complete,
        progress::list, progress::report,
        reviews::create, reviews::reply,
        providers::apply, providers::available, providers::mine, providers::reviews,
        admin::statistics, admin::users, admin::set_status, admin::set_role, admin::orders, admin::packages,
        admin::create_package, admin::update_package, admin::delete_package, admin::package_active,
        admin::providers, admin::approve, admin::reject,
    ),
    modifiers(&Bearer)
)]
pub struct ApiDoc;

pub(crate) struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "bearer",
                SecurityScheme::Http(
                    HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build(),
                ),
            );
        }
    }
}

pub(crate) async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
