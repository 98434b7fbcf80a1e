//! Answer shapes shared by several routes, typed so that `/openapi.json` describes each
//! answer's `data` from the very types that produce it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::answer::{ApiResult, ok};
use super::error::ApiError;
use crate::domain::OrderStatus;

/// No payload: `data` is `{}`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Empty {}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Paged<T> {
    /// The rows of this page.
    pub(crate) items: Vec<T>,
    /// Rows across all pages.
    pub(crate) total: u64,
    /// This page, from 1.
    pub(crate) page: i64,
    /// Rows per page.
    pub(crate) page_size: i64,
    /// Pages in all.
    pub(crate) total_pages: u64,
}

impl<T> Paged<T> {
    /// Page `number` of `size` rows.
    pub(crate) fn new(page: repo_runtime::Page<T>, number: i64, size: i64) -> Self {
        let total_pages = page.page_count(size.unsigned_abs());
        Self { items: page.items, total: page.total, page: number, page_size: size, total_pages }
    }
}

/// An order after a transition.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OrderMoved {
    pub(crate) order_id: i64,
    pub(crate) status: OrderStatus,
}

/// `?status&page&pageSize`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ListQuery {
    pub status: Option<i64>,
    pub page: Option<i64>,
    pub page_size: Option<i64>,
    pub date: Option<chrono::NaiveDate>,
}

impl ListQuery {
    /// The status filter, checked.
    pub(crate) fn status(&self) -> Result<Option<OrderStatus>, ApiError> {
        self.status
            .map(|v| {
                OrderStatus::from_value(v)
                    .ok_or_else(|| ApiError::invalid("status", "is not an order status"))
            })
            .transpose()
    }

    /// `(page, pageSize, limit, offset)`.
    pub(crate) fn paging(&self) -> Result<(i64, i64, i64, i64), ApiError> {
        paging(self.page, self.page_size)
    }
}

/// `?page&pageSize` checked ([`crate::domain::validate::paging`]): `(page, pageSize, limit,
/// offset)`.
pub(crate) fn paging(
    page: Option<i64>,
    page_size: Option<i64>,
) -> Result<(i64, i64, i64, i64), ApiError> {
    let (page, size) = crate::domain::validate::paging(page, page_size)?;
    Ok((page, size, size, (page - 1) * size))
}

/// The paged list envelope: `{items, total, page, pageSize, totalPages}`.
pub(crate) fn paged<T: Serialize>(
    page: repo_runtime::Page<T>,
    number: i64,
    size: i64,
) -> ApiResult<Paged<T>> {
    ok("ok", Paged::new(page, number, size))
}

/// An order as the API shows it: its own type, so the table can change without changing the
/// API (and the other way round). Described as `Order`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Order)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OrderView {
    /// Snowflake id.
    id: i64,
    /// Human-readable number.
    order_no: String,
    /// Who booked.
    customer_id: i64,
    /// Who took it.
    provider_id: Option<i64>,
    /// The pet.
    pet_id: i64,
    /// The package.
    package_id: i64,
    /// When the visit is.
    service_at: chrono::DateTime<chrono::Utc>,
    /// Where.
    address: String,
    /// Flat, floor, door code.
    address_detail: Option<String>,
    /// Copied from the package when booked.
    #[serde(with = "rust_decimal::serde::float")]
    #[schema(value_type = f64)]
    price: repo_runtime::types::Decimal,
    /// Status.
    status: OrderStatus,
    /// From the customer.
    customer_remark: Option<String>,
    /// From the provider.
    provider_remark: Option<String>,
    /// When accepted.
    accepted_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When started.
    started_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When completed.
    completed_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When cancelled.
    cancelled_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Why cancelled.
    cancel_reason: Option<String>,
    /// When paid; providers are offered an order only once it is.
    paid_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Booked.
    created_at: chrono::DateTime<chrono::Utc>,
    /// Last changed.
    updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<crate::repos::orders::Order> for OrderView {
    fn from(o: crate::repos::orders::Order) -> Self {
        Self {
            id: o.id,
            order_no: o.order_no,
            customer_id: o.customer_id,
            provider_id: o.provider_id,
            pet_id: o.pet_id,
            package_id: o.package_id,
            service_at: o.service_at,
            address: o.address,
            address_detail: o.address_detail,
            price: o.price,
            status: o.status,
            customer_remark: o.customer_remark,
            provider_remark: o.provider_remark,
            accepted_at: o.accepted_at,
            started_at: o.started_at,
            completed_at: o.completed_at,
            cancelled_at: o.cancelled_at,
            cancel_reason: o.cancel_reason,
            paid_at: o.paid_at,
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

/// A page of orders as the API shows them.
pub(crate) fn order_page(
    page: repo_runtime::Page<crate::repos::orders::Order>,
    number: i64,
    size: i64,
) -> ApiResult<Paged<OrderView>> {
    paged(page.map(OrderView::from), number, size)
}

/// Non-empty text without control characters (the rule of [`crate::domain::validate::text`]).
const REQUIRED_TEXT: &str = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$";

/// The schema of text of `min..=max` characters under [`REQUIRED_TEXT`].
fn text_schema(min: usize, max: usize) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .min_length(Some(min))
        .max_length(Some(max))
        .pattern(Some(REQUIRED_TEXT))
        .into()
}

/// A URL (an image): 1 to 500 characters, no control characters.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub(crate) struct Link(pub(crate) String);

impl utoipa::PartialSchema for Link {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        text_schema(1, 500)
    }
}

impl ToSchema for Link {}

/// One line of what a package includes: 1 to 50 characters, no control characters.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub(crate) struct ServiceItem(pub(crate) String);

impl utoipa::PartialSchema for ServiceItem {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        text_schema(1, 50)
    }
}

impl ToSchema for ServiceItem {}
