//! The admin surface over HTTP; every route here sits behind the one admin gate (see
//! [`super::router`]); the rules are in [`crate::app::admin`] and [`crate::app::catalog`].

use axum::extract::State;
use chrono::Utc;
use repo_runtime::types::Decimal;
use serde::Deserialize;

use super::answer::{ApiResult, ok};
use super::error::ApiError;
use super::extract::{AdminUser, ApiJson, ApiQuery, PathId, optional_json};
use super::users::UserView;
use super::views::{Empty, ListQuery, OrderView, Paged, order_page, paged, paging};
use crate::app::admin::{self, UserChange};
use crate::app::catalog;
use crate::domain::{ProviderVerify, UserRole, UserStatus};
use crate::repos::packages::ServicePackage;
use crate::repos::providers::Provider;
use crate::state::AppState;

routes!(
    approve,
    reject,
    set_status,
    set_role,
    users,
    orders,
    statistics,
    packages,
    create_package,
    update_package,
    delete_package,
    package_active,
    providers,
);

/// Why (optional; the body may be empty).
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Decision {
    #[schema(
        max_length = 500,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    remark: Option<String>,
}

async fn decide(s: &AppState, id: i64, to: ProviderVerify, body: &[u8]) -> ApiResult<Provider> {
    let remark = optional_json::<Decision>(body)?.unwrap_or_default().remark;
    ok("decided", admin::decide(s, id, to, remark).await?)
}

#[utoipa::path(post, path = "/api/admin/providers/{id}/approve", operation_id = "adminApproveProvider", tag = "admin", request_body(content = Decision, description = "optional"), params(("id" = i64, Path, description = "object id")), responses((status = 200, description = "approved; the user becomes a provider", body = Provider), (status = 409, description = "decided already") ), security(("bearer" = [])))]
pub(crate) async fn approve(
    State(s): State<AppState>,
    PathId(id): PathId,
    body: axum::body::Bytes,
) -> ApiResult<Provider> {
    decide(&s, id, ProviderVerify::Approved, &body).await
}

#[utoipa::path(post, path = "/api/admin/providers/{id}/reject", operation_id = "adminRejectProvider", tag = "admin", request_body(content = Decision, description = "optional"), params(("id" = i64, Path, description = "object id")), responses((status = 200, description = "rejected", body = Provider), (status = 409, description = "decided already"), (status = 400, description = "malformed input"), (status = 422, description = "a field breaks a rule; the envelope names it")), security(("bearer" = [])))]
pub(crate) async fn reject(
    State(s): State<AppState>,
    PathId(id): PathId,
    body: axum::body::Bytes,
) -> ApiResult<Provider> {
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
    AdminUser(caller): AdminUser,
    PathId(id): PathId,
    ApiJson(b): ApiJson<StatusBody>,
) -> ApiResult<UserView> {
    let u = admin::change_user(&s, caller, id, UserChange::Status(b.status)).await?;
    ok("updated", UserView::full(&u))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RoleBody {
    role: UserRole,
}

#[utoipa::path(put, path = "/api/admin/users/{id}/role", operation_id = "adminSetUserRole", tag = "admin", request_body = RoleBody, params(("id" = i64, Path, description = "object id")), responses((status = 200, description = "updated; the user's sessions end", body = UserView), (status = 409, description = "admins cannot change their own role")), security(("bearer" = [])))]
pub(crate) async fn set_role(
    State(s): State<AppState>,
    AdminUser(caller): AdminUser,
    PathId(id): PathId,
    ApiJson(b): ApiJson<RoleBody>,
) -> ApiResult<UserView> {
    let u = admin::change_user(&s, caller, id, UserChange::Role(b.role)).await?;
    ok("updated", UserView::full(&u))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct UserQuery {
    role: Option<i64>,
    status: Option<i64>,
    page: Option<i64>,
    page_size: Option<i64>,
}

#[utoipa::path(get, path = "/api/admin/users", operation_id = "adminListUsers", tag = "admin", params(("role" = Option<UserRole>, Query, description = "filter by role value"), ("status" = Option<UserStatus>, Query, description = "filter by user status value"), ("page" = Option<i64>, Query, description = "1-based, default 1", minimum = 1, maximum = 1000000), ("pageSize" = Option<i64>, Query, description = "1 to 100, default 20", minimum = 1, maximum = 100)), responses((status = 200, description = "a page of users", body = Paged<UserView>), (status = 404, description = "not found or not visible to the caller")), security(("bearer" = [])))]
pub(crate) async fn users(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<UserQuery>,
) -> ApiResult<Paged<UserView>> {
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
    let (page, size, limit, offset) = paging(q.page, q.page_size)?;
    let list = admin::users(&s, role, status, limit, offset).await?;
    paged(list.map(|u| UserView::full(&u)), page, size)
}

#[utoipa::path(get, path = "/api/admin/orders", operation_id = "adminListOrders", tag = "admin", params(("status" = Option<crate::domain::OrderStatus>, Query, description = "filter by status value"), ("page" = Option<i64>, Query, description = "1-based, default 1", minimum = 1, maximum = 1000000), ("pageSize" = Option<i64>, Query, description = "1 to 100, default 20", minimum = 1, maximum = 100)), responses((status = 200, description = "a page of orders", body = Paged<OrderView>), (status = 404, description = "not found or not visible to the caller")), security(("bearer" = [])))]
pub(crate) async fn orders(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Paged<OrderView>> {
    let status = q.status()?;
    let (page, size, limit, offset) = q.paging()?;
    order_page(admin::orders(&s, status, limit, offset).await?, page, size)
}

#[utoipa::path(get, path = "/api/admin/statistics", operation_id = "adminStatistics", tag = "admin", responses((status = 200, description = "counts and revenue", body = Statistics), (status = 404, description = "not found or not visible to the caller")), security(("bearer" = [])))]
pub(crate) async fn statistics(State(s): State<AppState>) -> ApiResult<Statistics> {
    let n = admin::statistics(&s).await?;
    let answer = Statistics {
        users_by_role: n.users_by_role,
        orders_by_status: n.orders_by_status,
        revenue: n.revenue,
        pending_provider_applications: n.pending_provider_applications,
    };
    ok("ok", answer)
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
    revenue: Decimal,
    /// Provider applications waiting for a decision.
    pending_provider_applications: u64,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct PackageInput {
    #[schema(
        min_length = 1,
        max_length = 50,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    name: String,
    #[schema(
        max_length = 1000,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    description: Option<String>,
    #[schema(minimum = 0, maximum = 99999999.99, multiple_of = 0.01)]
    price: f64,
    #[schema(minimum = 1, maximum = 1440)]
    duration_minutes: i32,
    #[schema(
        max_length = 500,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    icon_url: Option<String>,
    #[serde(default)]
    #[schema(max_items = 20)]
    service_items: Vec<super::views::ServiceItem>,
    #[serde(default = "yes")]
    is_active: bool,
    #[serde(default)]
    sort_order: i32,
}

fn yes() -> bool {
    true
}

impl PackageInput {
    /// The package as written; the workflow checks it and sets its id and times. The price
    /// is the JSON number's shortest decimal form, exactly (1.005 stays 1.005 and is refused).
    fn into_draft(self) -> Result<ServicePackage, ApiError> {
        let price = Decimal::try_from(self.price)
            .map_err(|_| ApiError::invalid("price", "must be 0 to 99999999.99"))?;
        let now = Utc::now();
        Ok(ServicePackage {
            id: 0,
            name: self.name,
            description: self.description,
            price,
            duration_minutes: self.duration_minutes,
            icon_url: self.icon_url,
            service_items: serde_json::json!(
                self.service_items.into_iter().map(|i| i.0).collect::<Vec<_>>()
            ),
            is_active: self.is_active,
            sort_order: self.sort_order,
            deleted_at: None,
            created_at: now,
            updated_at: now,
        })
    }
}

#[utoipa::path(get, path = "/api/admin/packages", operation_id = "adminListPackages", tag = "admin", responses((status = 200, description = "every package not deleted", body = Vec<ServicePackage>), (status = 404, description = "not found or not visible to the caller")), security(("bearer" = [])))]
pub(crate) async fn packages(State(s): State<AppState>) -> ApiResult<Vec<ServicePackage>> {
    ok("ok", catalog::all(&s).await?)
}

#[utoipa::path(post, path = "/api/admin/packages", operation_id = "adminCreatePackage", tag = "admin", request_body = PackageInput, responses((status = 201, description = "created", body = ServicePackage), (status = 404, description = "not found or not visible to the caller")), security(("bearer" = [])))]
pub(crate) async fn create_package(
    State(s): State<AppState>,
    ApiJson(b): ApiJson<PackageInput>,
) -> ApiResult<ServicePackage, 201> {
    ok("created", catalog::create(&s, b.into_draft()?).await?)
}

#[utoipa::path(put, path = "/api/admin/packages/{id}", operation_id = "adminUpdatePackage", tag = "admin", request_body = PackageInput, params(("id" = i64, Path, description = "object id")), responses((status = 200, description = "updated", body = ServicePackage)), security(("bearer" = [])))]
pub(crate) async fn update_package(
    State(s): State<AppState>,
    PathId(id): PathId,
    ApiJson(b): ApiJson<PackageInput>,
) -> ApiResult<ServicePackage> {
    ok("updated", catalog::update(&s, id, b.into_draft()?).await?)
}

#[utoipa::path(delete, path = "/api/admin/packages/{id}", operation_id = "adminDeletePackage", tag = "admin", params(("id" = i64, Path, description = "object id")), responses((status = 200, description = "deleted softly", body = Empty)), security(("bearer" = [])))]
pub(crate) async fn delete_package(
    State(s): State<AppState>,
    PathId(id): PathId,
) -> ApiResult<Empty> {
    catalog::delete(&s, id).await?;
    ok("deleted", Empty {})
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ActiveBody {
    is_active: bool,
}

#[utoipa::path(patch, path = "/api/admin/packages/{id}/active", operation_id = "adminSetPackageActive", tag = "admin", request_body = ActiveBody, params(("id" = i64, Path, description = "object id")), responses((status = 200, description = "updated", body = PackageActive)), security(("bearer" = [])))]
pub(crate) async fn package_active(
    State(s): State<AppState>,
    PathId(id): PathId,
    ApiJson(b): ApiJson<ActiveBody>,
) -> ApiResult<PackageActive> {
    catalog::set_active(&s, id, b.is_active).await?;
    ok("updated", PackageActive { id, is_active: b.is_active })
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

#[utoipa::path(get, path = "/api/admin/providers", operation_id = "adminListProviderApplications", tag = "admin", params(("verifyStatus" = Option<ProviderVerify>, Query, description = "filter by verification status value"), ("page" = Option<i64>, Query, description = "1-based, default 1", minimum = 1, maximum = 1000000), ("pageSize" = Option<i64>, Query, description = "1 to 100, default 20", minimum = 1, maximum = 100)), responses((status = 200, description = "applications", body = Paged<Provider>), (status = 404, description = "not found or not visible to the caller")), security(("bearer" = [])))]
pub(crate) async fn providers(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<ProviderQuery>,
) -> ApiResult<Paged<Provider>> {
    let status = q
        .verify_status
        .map(|v| {
            ProviderVerify::from_value(v)
                .ok_or_else(|| ApiError::invalid("verifyStatus", "is not a verification status"))
        })
        .transpose()?;
    let (page, size, limit, offset) = paging(q.page, q.page_size)?;
    paged(admin::applications(&s, status, limit, offset).await?, page, size)
}
