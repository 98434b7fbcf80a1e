//! The admin surface (role Admin): provider decisions, user status and role changes (both end
//! the user's sessions), lists.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use chrono::Utc;
use repo_runtime::Crud;
use serde::Deserialize;

use super::error::{ApiError, ApiResult, ok};
use super::extract::{AdminUser, ApiJson, ApiQuery, PathId, optional_json};
use super::users::UserView;
use super::views::{Empty, Paged};
use super::views::{ListQuery, paged};
use crate::domain::validate;
use crate::domain::{ProviderVerify, UserRole, UserStatus};
use crate::repos::orders::{Order, OrderRepository, PgOrderRepository};
use crate::repos::packages::{PackageRepository, PgPackageRepository, ServicePackage};
use crate::repos::providers::{PgProviderRepository, Provider, ProviderRepository};
use crate::repos::users::{
    PgRefreshTokenRepository, PgUserRepository, RefreshTokenRepository, UserRepository,
};
use crate::state::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/admin/providers/{id}/approve", post(approve))
        .route("/api/admin/providers/{id}/reject", post(reject))
        .route("/api/admin/users/{id}/status", put(set_status))
        .route("/api/admin/users/{id}/role", put(set_role))
        .route("/api/admin/users", get(users))
        .route("/api/admin/orders", get(orders))
        .merge(more_routes())
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Decision {
    remark: Option<String>,
}

async fn decide(s: &AppState, id: i64, to: ProviderVerify, body: &[u8]) -> ApiResult {
    let remark = optional_json::<Decision>(body)?.unwrap_or_default().remark;
    validate::optional_text("remark", remark.as_deref(), 500)?;
    let providers = PgProviderRepository::new(&s.pool);
    let provider = providers.get(id).await?.ok_or(ApiError::NotFound)?;
    let now = Utc::now();
    if providers.decide(id, ProviderVerify::Pending, to, remark.as_deref(), now).await? == 0 {
        return Err(ApiError::conflict("already_decided", "this application was decided already"));
    }
    if to == ProviderVerify::Approved {
        PgUserRepository::new(&s.pool)
            .set_role(provider.user_id, UserRole::ServiceProvider, now)
            .await?;
        PgRefreshTokenRepository::new(&s.pool).revoke_user(provider.user_id, now).await?;
    }
    ok(StatusCode::OK, "decided", providers.get(id).await?)
}

#[utoipa::path(post, path = "/api/admin/providers/{id}/approve", operation_id = "adminApproveProvider", tag = "admin", params(("id" = i64, Path, description = "object id")), responses((status = 200, description = "approved; the user becomes a provider", body = Provider), (status = 409, description = "decided already"), (status = 400, description = "malformed input"), (status = 422, description = "a field breaks a rule; the envelope names it")), security(("bearer" = [])))]
pub(crate) async fn approve(
    State(s): State<AppState>,
    _admin: AdminUser,
    PathId(id): PathId,
    body: axum::body::Bytes,
) -> ApiResult {
    decide(&s, id, ProviderVerify::Approved, &body).await
}

#[utoipa::path(post, path = "/api/admin/providers/{id}/reject", operation_id = "adminRejectProvider", tag = "admin", params(("id" = i64, Path, description = "object id")), responses((status = 200, description = "rejected", body = Provider), (status = 409, description = "decided already"), (status = 400, description = "malformed input"), (status = 422, description = "a field breaks a rule; the envelope names it")), security(("bearer" = [])))]
pub(crate) async fn reject(
    State(s): State<AppState>,
    _admin: AdminUser,
    PathId(id): PathId,
    body: axum::body::Bytes,
) -> ApiResult {
    decide(&s, id, ProviderVerify::Rejected, &body).await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct StatusBody {
    status: UserStatus,
}

#[utoipa::path(put, path = "/api/admin/users/{id}/status", operation_id = "adminSetUserStatus", tag = "admin", request_body = StatusBody, params(("id" = i64, Path, description = "object id")), responses((status = 200, description = "updated; the user's sessions end", body = UserView), (status = 409, description = "admins cannot change their own status")), security(("bearer" = [])))]
pub(crate) async fn set_status(
    State(s): State<AppState>,
    admin: AdminUser,
    PathId(id): PathId,
    ApiJson(b): ApiJson<StatusBody>,
) -> ApiResult {
    if id == admin.0.id {
        return Err(ApiError::conflict("own_account", "admins cannot change their own status"));
    }
    let users = PgUserRepository::new(&s.pool);
    let now = Utc::now();
    if users.set_status(id, b.status, now).await? == 0 {
        return Err(ApiError::NotFound);
    }
    PgRefreshTokenRepository::new(&s.pool).revoke_user(id, now).await?;
    s.cache.forget(&format!("user:{id}")).await;
    let u = users.get(id).await?.ok_or(ApiError::NotFound)?;
    ok(StatusCode::OK, "updated", UserView::full(&u))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RoleBody {
    role: UserRole,
}

#[utoipa::path(put, path = "/api/admin/users/{id}/role", operation_id = "adminSetUserRole", tag = "admin", request_body = RoleBody, params(("id" = i64, Path, description = "object id")), responses((status = 200, description = "updated; the user's sessions end", body = UserView), (status = 409, description = "admins cannot change their own role")), security(("bearer" = [])))]
pub(crate) async fn set_role(
    State(s): State<AppState>,
    admin: AdminUser,
    PathId(id): PathId,
    ApiJson(b): ApiJson<RoleBody>,
) -> ApiResult {
    if id == admin.0.id {
        return Err(ApiError::conflict("own_account", "admins cannot change their own role"));
    }
    let users = PgUserRepository::new(&s.pool);
    let now = Utc::now();
    if users.set_role(id, b.role, now).await? == 0 {
        return Err(ApiError::NotFound);
    }
    PgRefreshTokenRepository::new(&s.pool).revoke_user(id, now).await?;
    s.cache.forget(&format!("user:{id}")).await;
    let u = users.get(id).await?.ok_or(ApiError::NotFound)?;
    ok(StatusCode::OK, "updated", UserView::full(&u))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct UserQuery {
    role: Option<i64>,
    status: Option<i64>,
    page: Option<i64>,
    page_size: Option<i64>,
}

#[utoipa::path(get, path = "/api/admin/users", operation_id = "adminListUsers", tag = "admin", params(("role" = Option<i64>, Query), ("status" = Option<i64>, Query, description = "filter by status value"), ("page" = Option<i64>, Query, description = "1-based, default 1"), ("pageSize" = Option<i64>, Query, description = "1 to 100, default 20")), responses((status = 200, description = "a page of users", body = Paged<UserView>), (status = 404, description = "not found or not visible to the caller")), security(("bearer" = [])))]
pub(crate) async fn users(
    State(s): State<AppState>,
    _admin: AdminUser,
    ApiQuery(q): ApiQuery<UserQuery>,
) -> ApiResult {
    let role = q
        .role
        .map(|r| UserRole::from_value(r).ok_or_else(|| ApiError::invalid("role", "is not a role")))
        .transpose()?;
    let status = q
        .status
        .map(|r| {
            UserStatus::from_value(r).ok_or_else(|| ApiError::invalid("status", "is not a status"))
        })
        .transpose()?;
    let (page, size) = validate::paging(q.page, q.page_size)?;
    let list =
        PgUserRepository::new(&s.pool).filtered(role, status, size, (page - 1) * size).await?;
    paged(list.map(|u| UserView::full(&u)), page, size)
}

#[utoipa::path(get, path = "/api/admin/orders", operation_id = "adminListOrders", tag = "admin", params(("status" = Option<i64>, Query, description = "filter by status value"), ("page" = Option<i64>, Query, description = "1-based, default 1"), ("pageSize" = Option<i64>, Query, description = "1 to 100, default 20")), responses((status = 200, description = "a page of orders", body = Paged<Order>), (status = 404, description = "not found or not visible to the caller")), security(("bearer" = [])))]
pub(crate) async fn orders(
    State(s): State<AppState>,
    _admin: AdminUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult {
    let status = q.status()?;
    let (page, size, limit, offset) = q.paging()?;
    paged(PgOrderRepository::new(&s.pool).all(status, limit, offset).await?, page, size)
}

/// Admin routes for packages, providers and statistics.
pub(crate) fn more_routes() -> Router<AppState> {
    Router::new()
        .route("/api/admin/statistics", get(statistics))
        .route("/api/admin/packages", get(packages).post(create_package))
        .route("/api/admin/packages/{id}", put(update_package).delete(delete_package))
        .route("/api/admin/packages/{id}/active", axum::routing::patch(package_active))
        .route("/api/admin/providers", get(providers))
}

#[utoipa::path(get, path = "/api/admin/statistics", operation_id = "adminStatistics", tag = "admin", responses((status = 200, description = "counts and revenue", body = Statistics), (status = 404, description = "not found or not visible to the caller")), security(("bearer" = [])))]
pub(crate) async fn statistics(State(s): State<AppState>, _admin: AdminUser) -> ApiResult {
    let users = PgUserRepository::new(&s.pool).count_by_role().await?;
    let orders = PgOrderRepository::new(&s.pool);
    let by_status = orders.count_by_status().await?;
    let revenue = orders.revenue(crate::domain::OrderStatus::Completed).await?;
    let pending = PgProviderRepository::new(&s.pool)
        .applications(Some(ProviderVerify::Pending), 1, 0)
        .await?
        .total;
    let answer = Statistics {
        users_by_role: users.into_iter().map(|(r, n)| (r.value().to_string(), n)).collect(),
        orders_by_status: by_status
            .into_iter()
            .map(|(st, n)| (st.value().to_string(), n))
            .collect(),
        revenue,
        pending_provider_applications: pending,
    };
    ok(StatusCode::OK, "ok", answer)
}

/// The platform in numbers.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Statistics {
    /// Users per role value (`"1"`: customers, `"2"`: providers, `"99"`: admins).
    users_by_role: std::collections::BTreeMap<String, i64>,
    /// Orders per status value.
    orders_by_status: std::collections::BTreeMap<String, i64>,
    /// The sum of completed orders' prices.
    #[serde(with = "rust_decimal::serde::float")]
    #[schema(value_type = f64)]
    revenue: repo_runtime::types::Decimal,
    /// Provider applications waiting for a decision.
    pending_provider_applications: u64,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct PackageInput {
    name: String,
    description: Option<String>,
    price: f64,
    duration_minutes: i32,
    icon_url: Option<String>,
    #[serde(default)]
    service_items: Vec<String>,
    #[serde(default = "yes")]
    is_active: bool,
    #[serde(default)]
    sort_order: i32,
}

fn yes() -> bool {
    true
}

/// A price in yuan: 0 to 99999999.99 with at most two decimals (the fen). JSON carries it as
/// a number; its shortest decimal form is taken exactly, never rounded (1.005 is refused, not
/// stored as 1.00).
fn package_price(value: f64) -> Result<repo_runtime::types::Decimal, ApiError> {
    use repo_runtime::types::Decimal;
    let price = Decimal::try_from(value)
        .ok()
        .filter(|p| *p >= Decimal::ZERO && *p < Decimal::new(100_000_000, 0))
        .ok_or_else(|| ApiError::invalid("price", "must be 0 to 99999999.99"))?
        .normalize();
    if price.scale() > 2 {
        return Err(ApiError::invalid("price", "must have at most two decimals (fen)"));
    }
    Ok(price)
}

impl PackageInput {
    fn check(&self) -> Result<repo_runtime::types::Decimal, ApiError> {
        validate::text("name", &self.name, 1, 50)?;
        validate::optional_text("description", self.description.as_deref(), 1000)?;
        validate::optional_text("iconUrl", self.icon_url.as_deref(), 500)?;
        if !(1..=24 * 60).contains(&self.duration_minutes) {
            return Err(ApiError::invalid("durationMinutes", "must be 1 to 1440"));
        }
        if self.service_items.len() > 20
            || self.service_items.iter().any(|i| i.trim().is_empty() || i.chars().count() > 50)
        {
            return Err(ApiError::invalid(
                "serviceItems",
                "must be at most 20 items of 1 to 50 characters",
            ));
        }
        package_price(self.price)
    }

    fn into_package(
        self,
        id: i64,
        price: repo_runtime::types::Decimal,
        created_at: chrono::DateTime<Utc>,
    ) -> ServicePackage {
        ServicePackage {
            id,
            name: self.name.trim().to_owned(),
            description: self.description,
            price,
            duration_minutes: self.duration_minutes,
            icon_url: self.icon_url,
            service_items: serde_json::json!(self.service_items),
            is_active: self.is_active,
            sort_order: self.sort_order,
            deleted_at: None,
            created_at,
            updated_at: Utc::now(),
        }
    }
}

#[utoipa::path(get, path = "/api/admin/packages", operation_id = "adminListPackages", tag = "admin", responses((status = 200, description = "every package not deleted", body = Vec<ServicePackage>), (status = 404, description = "not found or not visible to the caller")), security(("bearer" = [])))]
pub(crate) async fn packages(State(s): State<AppState>, _admin: AdminUser) -> ApiResult {
    ok(StatusCode::OK, "ok", PgPackageRepository::new(&s.pool).all_live().await?)
}

#[utoipa::path(post, path = "/api/admin/packages", operation_id = "adminCreatePackage", tag = "admin", request_body = PackageInput, responses((status = 201, description = "created", body = ServicePackage), (status = 404, description = "not found or not visible to the caller")), security(("bearer" = [])))]
pub(crate) async fn create_package(
    State(s): State<AppState>,
    _admin: AdminUser,
    ApiJson(b): ApiJson<PackageInput>,
) -> ApiResult {
    let price = b.check()?;
    let package = b.into_package(s.ids.next_id(), price, Utc::now());
    PgPackageRepository::new(&s.pool).insert(&package).await?;
    s.cache.forget_package(None).await;
    ok(StatusCode::CREATED, "created", package)
}

#[utoipa::path(put, path = "/api/admin/packages/{id}", operation_id = "adminUpdatePackage", tag = "admin", request_body = PackageInput, params(("id" = i64, Path, description = "object id")), responses((status = 200, description = "updated", body = ServicePackage)), security(("bearer" = [])))]
pub(crate) async fn update_package(
    State(s): State<AppState>,
    _admin: AdminUser,
    PathId(id): PathId,
    ApiJson(b): ApiJson<PackageInput>,
) -> ApiResult {
    let price = b.check()?;
    let packages = PgPackageRepository::new(&s.pool);
    let current = packages.live_by_id(id).await?.ok_or(ApiError::NotFound)?;
    let package = b.into_package(id, price, current.created_at);
    if packages.update_live(&package).await? == 0 {
        return Err(ApiError::NotFound);
    }
    s.cache.forget_package(Some(id)).await;
    ok(StatusCode::OK, "updated", package)
}

#[utoipa::path(delete, path = "/api/admin/packages/{id}", operation_id = "adminDeletePackage", tag = "admin", params(("id" = i64, Path, description = "object id")), responses((status = 200, description = "deleted softly", body = Empty)), security(("bearer" = [])))]
pub(crate) async fn delete_package(
    State(s): State<AppState>,
    _admin: AdminUser,
    PathId(id): PathId,
) -> ApiResult {
    if PgPackageRepository::new(&s.pool).soft_delete(id, Utc::now()).await? == 0 {
        return Err(ApiError::NotFound);
    }
    s.cache.forget_package(Some(id)).await;
    ok(StatusCode::OK, "deleted", Empty {})
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ActiveBody {
    is_active: bool,
}

#[utoipa::path(patch, path = "/api/admin/packages/{id}/active", operation_id = "adminSetPackageActive", tag = "admin", request_body = ActiveBody, params(("id" = i64, Path, description = "object id")), responses((status = 200, description = "updated", body = PackageActive)), security(("bearer" = [])))]
pub(crate) async fn package_active(
    State(s): State<AppState>,
    _admin: AdminUser,
    PathId(id): PathId,
    ApiJson(b): ApiJson<ActiveBody>,
) -> ApiResult {
    if PgPackageRepository::new(&s.pool).set_active(id, b.is_active, Utc::now()).await? == 0 {
        return Err(ApiError::NotFound);
    }
    s.cache.forget_package(Some(id)).await;
    ok(StatusCode::OK, "updated", PackageActive { id, is_active: b.is_active })
}

/// A package's id and whether it is offered.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PackageActive {
    id: i64,
    is_active: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ProviderQuery {
    verify_status: Option<i64>,
    page: Option<i64>,
    page_size: Option<i64>,
}

#[utoipa::path(get, path = "/api/admin/providers", operation_id = "adminListProviderApplications", tag = "admin", params(("verifyStatus" = Option<i64>, Query), ("page" = Option<i64>, Query, description = "1-based, default 1"), ("pageSize" = Option<i64>, Query, description = "1 to 100, default 20")), responses((status = 200, description = "applications", body = Paged<Provider>), (status = 404, description = "not found or not visible to the caller")), security(("bearer" = [])))]
pub(crate) async fn providers(
    State(s): State<AppState>,
    _admin: AdminUser,
    ApiQuery(q): ApiQuery<ProviderQuery>,
) -> ApiResult {
    let status = q
        .verify_status
        .map(|v| {
            ProviderVerify::from_value(v)
                .ok_or_else(|| ApiError::invalid("verifyStatus", "is not a verification status"))
        })
        .transpose()?;
    let (page, size) = validate::paging(q.page, q.page_size)?;
    paged(
        PgProviderRepository::new(&s.pool).applications(status, size, (page - 1) * size).await?,
        page,
        size,
    )
}

#[cfg(test)]
mod tests {
    use super::package_price;

    #[test]
    fn prices_are_exact_or_refused() {
        assert_eq!(package_price(35.5).unwrap().to_string(), "35.5");
        assert_eq!(package_price(0.1).unwrap().to_string(), "0.1");
        assert_eq!(package_price(99_999_999.99).unwrap().to_string(), "99999999.99");
        for refused in [1.005, 0.001, -1.0, 100_000_000.0, f64::NAN] {
            assert!(package_price(refused).is_err(), "{refused} must be refused");
        }
    }
}
