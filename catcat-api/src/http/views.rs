//! Answer shapes shared by several routes, typed so that `/openapi.json` describes each
//! answer's `data` from the very types that produce it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ApiError, ApiResult, ok};
use crate::domain::OrderStatus;
use axum::http::StatusCode;

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
        Ok(crate::app::orders::paging(self.page, self.page_size)?)
    }
}

/// The paged list envelope: `{items, total, page, pageSize, totalPages}`.
pub(crate) fn paged<T: Serialize>(
    page: repo_runtime::Page<T>,
    number: i64,
    size: i64,
) -> ApiResult {
    ok(StatusCode::OK, "ok", Paged::new(page, number, size))
}
