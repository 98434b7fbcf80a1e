//! Orders, their status history and progress reports, and idempotency records.

use chrono::{DateTime, Utc};
use repo_runtime::types::Decimal;
use repo_runtime::{Entity, Page, Result, repository_for};
use serde::Serialize;

use crate::domain::{OrderStatus, ProgressStatus};

/// A row of `service_orders`: neither the API's JSON ([`crate::http`]'s `OrderView`) nor the
/// queue's message ([`crate::app::booking::OrderMessage`]).
#[derive(Debug, Clone, PartialEq, Entity)]
#[entity(table = "service_orders")]
pub struct Order {
    /// Snowflake id.
    #[entity(key)]
    pub id: i64,
    /// Human-readable number.
    pub order_no: String,
    /// Who booked.
    pub customer_id: i64,
    /// Who took it.
    pub provider_id: Option<i64>,
    /// The pet.
    pub pet_id: i64,
    /// The package.
    pub package_id: i64,
    /// When the visit is.
    pub service_at: DateTime<Utc>,
    /// Where.
    pub address: String,
    /// Flat, floor, door code.
    pub address_detail: Option<String>,
    /// Copied from the package when booked.
    pub price: Decimal,
    /// Status.
    pub status: OrderStatus,
    /// From the customer.
    pub customer_remark: Option<String>,
    /// From the provider.
    pub provider_remark: Option<String>,
    /// When accepted.
    pub accepted_at: Option<DateTime<Utc>>,
    /// When started.
    pub started_at: Option<DateTime<Utc>>,
    /// When completed.
    pub completed_at: Option<DateTime<Utc>>,
    /// When cancelled.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Why cancelled.
    pub cancel_reason: Option<String>,
    /// When its payment succeeded (providers are offered paid orders only).
    pub paid_at: Option<DateTime<Utc>>,
    /// Booked.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// Orders. Every status change is one guarded statement: it matches only in the expected
/// state, so 0 rows means the transition is no longer valid.
#[repository_for(Order, crud)]
pub trait OrderRepository {
    /// Persists a queued order once, whatever the number of deliveries.
    #[sql("INSERT INTO <<table>> (<<columns>>) VALUES (<<values>>) ON CONFLICT (id) DO NOTHING")]
    async fn insert_once(&self, order: &Order) -> Result<u64>;

    /// The order, its row locked until the transaction ends.
    #[sql("SELECT <<columns>> FROM <<table>> WHERE <<where:id>> FOR UPDATE")]
    async fn lock(&self, id: i64) -> Result<Option<Order>>;

    /// A customer's orders, newest first.
    #[sql(
        "SELECT <<columns>>, <<total>> FROM <<table>> WHERE customer_id = @customer_id <<if some(status)>>AND status = @status<</if>> ORDER BY created_at DESC, id DESC <<paginate>>"
    )]
    async fn for_customer(
        &self,
        customer_id: i64,
        status: Option<OrderStatus>,
        limit: i64,
        offset: i64,
    ) -> Result<Page<Order>>;

    /// A provider's orders, newest first.
    #[sql(
        "SELECT <<columns>>, <<total>> FROM <<table>> WHERE provider_id = @provider_id <<if some(status)>>AND status = @status<</if>> ORDER BY service_at DESC, id DESC <<paginate>>"
    )]
    async fn for_provider(
        &self,
        provider_id: i64,
        status: Option<OrderStatus>,
        limit: i64,
        offset: i64,
    ) -> Result<Page<Order>>;

    /// Paid pending orders nobody has taken, soonest first; optionally on one day.
    #[sql(
        "SELECT <<columns>>, <<total>> FROM <<table>> WHERE status = @pending AND provider_id IS NULL AND paid_at IS NOT NULL AND service_at > @now <<if some(day)>>AND service_at >= @day AND service_at < @day + interval '1 day'<</if>> ORDER BY service_at, id <<paginate>>"
    )]
    async fn available(
        &self,
        pending: OrderStatus,
        now: DateTime<Utc>,
        day: Option<DateTime<Utc>>,
        limit: i64,
        offset: i64,
    ) -> Result<Page<Order>>;

    /// Every order, newest first (admin).
    #[sql(
        "SELECT <<columns>>, <<total>> FROM <<table>> <<if some(status)>>WHERE status = @status<</if>> ORDER BY created_at DESC, id DESC <<paginate>>"
    )]
    async fn all(
        &self,
        status: Option<OrderStatus>,
        limit: i64,
        offset: i64,
    ) -> Result<Page<Order>>;

    /// How many orders are in each status.
    #[sql("SELECT status, COUNT(*) FROM <<table>> GROUP BY status ORDER BY status")]
    async fn count_by_status(&self) -> Result<Vec<(OrderStatus, i64)>>;

    /// Revenue of completed orders.
    #[sql("SELECT COALESCE(SUM(price), 0) FROM <<table>> WHERE status = @completed")]
    async fn revenue(&self, completed: OrderStatus) -> Result<Decimal>;

    /// Pending → Accepted by a provider, once paid.
    #[sql(
        "UPDATE <<table>> SET status = @to, provider_id = @provider_id, accepted_at = @now, updated_at = @now WHERE id = @id AND status = @from AND provider_id IS NULL AND paid_at IS NOT NULL"
    )]
    async fn accept(
        &self,
        id: i64,
        provider_id: i64,
        from: OrderStatus,
        to: OrderStatus,
        now: DateTime<Utc>,
    ) -> Result<u64>;

    /// Accepted → InProgress by the assigned provider.
    #[sql(
        "UPDATE <<table>> SET status = @to, started_at = @now, updated_at = @now WHERE id = @id AND status = @from AND provider_id = @provider_id"
    )]
    async fn start(
        &self,
        id: i64,
        provider_id: i64,
        from: OrderStatus,
        to: OrderStatus,
        now: DateTime<Utc>,
    ) -> Result<u64>;

    /// InProgress → Completed by the assigned provider.
    #[sql(
        "UPDATE <<table>> SET status = @to, completed_at = @now, updated_at = @now WHERE id = @id AND status = @from AND provider_id = @provider_id"
    )]
    async fn complete(
        &self,
        id: i64,
        provider_id: i64,
        from: OrderStatus,
        to: OrderStatus,
        now: DateTime<Utc>,
    ) -> Result<u64>;

    /// To Cancelled from `from`.
    #[sql(
        "UPDATE <<table>> SET status = @to, cancelled_at = @now, cancel_reason = @reason, updated_at = @now WHERE id = @id AND status = @from"
    )]
    async fn cancel(
        &self,
        id: i64,
        from: OrderStatus,
        to: OrderStatus,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<u64>;

    /// Marks the order paid (`paid_at` now) or, with `None`, unpaid again (its payment was
    /// refunded while the order goes on).
    #[sql("UPDATE <<table>> SET paid_at = @paid_at, updated_at = @now WHERE id = @id")]
    async fn set_paid(
        &self,
        id: i64,
        paid_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<u64>;

    /// Cancelled → Refunded, when the refund is confirmed.
    #[sql("UPDATE <<table>> SET status = @to, updated_at = @now WHERE id = @id AND status = @from")]
    async fn refunded(
        &self,
        id: i64,
        from: OrderStatus,
        to: OrderStatus,
        now: DateTime<Utc>,
    ) -> Result<u64>;
}

/// A row of `order_status_history`.
#[derive(Debug, Clone, PartialEq, Entity, Serialize, utoipa::ToSchema)]
#[entity(table = "order_status_history")]
#[serde(rename_all = "camelCase")]
pub struct OrderHistory {
    /// Snowflake id.
    #[entity(key)]
    pub id: i64,
    /// The order.
    pub order_id: i64,
    /// Before (none for creation).
    pub from_status: Option<OrderStatus>,
    /// After.
    pub to_status: OrderStatus,
    /// Who did it.
    pub operator_id: i64,
    /// Why.
    pub remark: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// Status history.
#[repository_for(OrderHistory, crud, name = PgOrderHistoryRepository)]
pub trait OrderHistoryRepository {
    /// An order's history, oldest first.
    #[sql("SELECT <<columns>> FROM <<table>> WHERE order_id = @order_id <<orderby:created_at,id>>")]
    async fn for_order(&self, order_id: i64) -> Result<Vec<OrderHistory>>;
}

/// A row of `service_progress`.
#[derive(Debug, Clone, PartialEq, Entity, Serialize, utoipa::ToSchema)]
#[entity(table = "service_progress")]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    /// Snowflake id.
    #[entity(key)]
    pub id: i64,
    /// The order.
    pub order_id: i64,
    /// The reporting provider.
    pub provider_id: i64,
    /// The step.
    pub status: ProgressStatus,
    /// Notes.
    pub description: Option<String>,
    /// Where (latitude).
    pub latitude: Option<f64>,
    /// Where (longitude).
    pub longitude: Option<f64>,
    /// Where (text).
    pub address: Option<String>,
    /// Photos (a JSON array of URLs).
    #[schema(value_type = Vec<String>)]
    pub image_urls: serde_json::Value,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// Progress reports.
#[repository_for(Progress, crud, name = PgProgressRepository)]
pub trait ProgressRepository {
    /// An order's reports, oldest first.
    #[sql("SELECT <<columns>> FROM <<table>> WHERE order_id = @order_id <<orderby:created_at,id>>")]
    async fn for_order(&self, order_id: i64) -> Result<Vec<Progress>>;

    /// The latest step of an order.
    #[sql(
        "SELECT status FROM <<table>> WHERE order_id = @order_id ORDER BY created_at DESC, id DESC LIMIT 1"
    )]
    async fn last_step(&self, order_id: i64) -> Result<Option<ProgressStatus>>;
}

/// A row of `idempotency_keys`: the first final answer to a key, replayed to every retry.
#[derive(Debug, Clone, PartialEq, Entity)]
#[entity(table = "idempotency_keys")]
pub struct IdempotencyRecord {
    /// The caller.
    #[entity(key)]
    pub user_id: i64,
    /// The `Idempotency-Key` header.
    #[entity(key)]
    pub key: String,
    /// SHA-256 of the request body.
    pub request_hash: String,
    /// The answer's status, once there is one.
    pub response_status: Option<i16>,
    /// The answer's exact bytes, once there is one.
    pub response_body: Option<String>,
    /// First seen (or taken over after expiry).
    pub created_at: DateTime<Utc>,
}

/// Idempotency records.
#[repository_for(IdempotencyRecord, crud, name = PgIdempotencyRepository)]
pub trait IdempotencyRepository {
    /// Claims a key: 1 for the first request (or the first after the old record expired, which
    /// it replaces), 0 for every other.
    #[sql(
        "INSERT INTO <<table>> (<<columns>>) VALUES (<<values>>) ON CONFLICT (user_id, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, response_status = NULL, response_body = NULL, created_at = EXCLUDED.created_at WHERE <<table>>.created_at < @expired_before"
    )]
    async fn claim(&self, record: &IdempotencyRecord, expired_before: DateTime<Utc>)
    -> Result<u64>;

    /// A live record (not expired).
    #[sql(
        "SELECT <<columns>> FROM <<table>> WHERE user_id = @user_id AND key = @key AND created_at >= @expired_before"
    )]
    async fn live(
        &self,
        user_id: i64,
        key: &str,
        expired_before: DateTime<Utc>,
    ) -> Result<Option<IdempotencyRecord>>;

    /// Stores the answer.
    #[sql(
        "UPDATE <<table>> SET response_status = @status, response_body = @body WHERE user_id = @user_id AND key = @key"
    )]
    async fn answer(&self, user_id: i64, key: &str, status: i16, body: &str) -> Result<u64>;

    /// Gives a claim up (its request ended without a final answer), so a retry runs again.
    #[sql(
        "DELETE FROM <<table>> WHERE user_id = @user_id AND key = @key AND response_status IS NULL"
    )]
    async fn release(&self, user_id: i64, key: &str) -> Result<u64>;

    /// Deletes the records older than `expired_before`.
    #[sql("DELETE FROM <<table>> WHERE created_at < @expired_before")]
    async fn purge(&self, expired_before: DateTime<Utc>) -> Result<u64>;
}
