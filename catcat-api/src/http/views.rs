//! Answer shapes shared by several routes, typed so that `/openapi.json` describes each
//! answer's `data` from the very types that produce it.

use serde::Serialize;
use utoipa::ToSchema;

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
