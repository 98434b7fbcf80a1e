//! Payments (one per order) and the Stripe events already applied.

use chrono::{DateTime, Utc};
use repo_runtime::types::Decimal;
use repo_runtime::{Entity, Result, repository_for};

use crate::domain::PaymentStatus;

/// A row of `payments`: an order's PaymentIntent and what became of it.
#[derive(Debug, Clone, PartialEq, Entity)]
#[entity(table = "payments")]
pub struct Payment {
    /// Snowflake id.
    #[entity(key)]
    pub id: i64,
    /// The order (one payment per order).
    pub order_id: i64,
    /// Stripe's `pi_…`.
    pub payment_intent_id: String,
    /// The intent's client secret, handed to the customer only.
    pub client_secret: String,
    /// The order's price when the intent was made.
    pub amount: Decimal,
    /// Lower-case ISO code.
    pub currency: String,
    /// Where the payment is.
    pub status: PaymentStatus,
    /// How it was paid (`card`, …), once known.
    pub method: Option<String>,
    /// When it succeeded.
    pub paid_at: Option<DateTime<Utc>>,
    /// Why the last attempt failed.
    pub error: Option<String>,
    /// Stripe's `re_…`, once a refund was asked for.
    pub refund_id: Option<String>,
    /// When the refund was confirmed.
    pub refunded_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// Payments.
#[repository_for(Payment, crud, name = PgPaymentRepository)]
pub trait PaymentRepository {
    /// Records an order's intent unless the order has one already (another replica's, made
    /// with the same idempotency key, so the same intent): 1 if this one was kept.
    #[sql(
        "INSERT INTO <<table>> (<<columns>>) VALUES (<<values>>) ON CONFLICT (order_id) DO NOTHING"
    )]
    async fn insert_once(&self, payment: &Payment) -> Result<u64>;

    /// An order's payment.
    #[sql("SELECT <<columns>> FROM <<table>> WHERE order_id = @order_id")]
    async fn by_order(&self, order_id: i64) -> Result<Option<Payment>>;

    /// An order's payment, its row locked until the transaction ends.
    #[sql("SELECT <<columns>> FROM <<table>> WHERE order_id = @order_id FOR UPDATE")]
    async fn lock_by_order(&self, order_id: i64) -> Result<Option<Payment>>;

    /// The order an intent pays for.
    #[sql("SELECT order_id FROM <<table>> WHERE payment_intent_id = @intent")]
    async fn order_of(&self, intent: &str) -> Result<Option<i64>>;

    /// Moves the payment to `to` (the caller checked the move under the row lock).
    #[sql(
        "UPDATE <<table>> SET status = @to, method = COALESCE(@method, method), error = @error, paid_at = COALESCE(paid_at, @paid_at), refunded_at = COALESCE(refunded_at, @refunded_at), updated_at = @now WHERE id = @id"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn moved(
        &self,
        id: i64,
        to: PaymentStatus,
        method: Option<&str>,
        error: Option<&str>,
        paid_at: Option<DateTime<Utc>>,
        refunded_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<u64>;

    /// Keeps the id of the refund asked for.
    #[sql("UPDATE <<table>> SET refund_id = @refund_id, updated_at = @now WHERE id = @id")]
    async fn refund_asked(&self, id: i64, refund_id: &str, now: DateTime<Utc>) -> Result<u64>;
}

/// A row of `stripe_events`: an event applied once.
#[derive(Debug, Clone, PartialEq, Entity)]
#[entity(table = "stripe_events")]
pub struct StripeEvent {
    /// Stripe's `evt_…`.
    #[entity(key)]
    pub id: String,
    /// `payment_intent.succeeded`, ….
    #[entity(rename = "type")]
    pub kind: String,
    /// When it was applied.
    pub received_at: DateTime<Utc>,
}

/// Applied Stripe events.
#[repository_for(StripeEvent, crud, name = PgStripeEventRepository)]
pub trait StripeEventRepository {
    /// Records the event unless it was applied already: 1 the first time, 0 for a replay.
    #[sql("INSERT INTO <<table>> (<<columns>>) VALUES (<<values>>) ON CONFLICT (id) DO NOTHING")]
    async fn first_time(&self, event: &StripeEvent) -> Result<u64>;
}
