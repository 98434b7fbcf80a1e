//! Paying for an order and hearing back from Stripe. An order gets one PaymentIntent (its
//! idempotency key is derived from the order, so asking again, or two replicas asking at once,
//! never makes a second); Stripe's webhooks move the payment and the order, each event once,
//! never backwards; a cancelled order whose payment succeeds is refunded
//! ([`super::orders::cancel`] refunds paid orders it cancels).

use chrono::Utc;
use repo_runtime::Crud;
use serde::Deserialize;

use super::booking::{OrderMessage, queued_key};
use super::orders::{SERVICE_OPERATOR, after_move, history, visible};
use super::{AppError, AppResult, Caller};
use crate::domain::order::{Actor, Transition, transition};
use crate::domain::payment::{may_move, minor_units};
use crate::domain::{OrderStatus, PaymentStatus};
use crate::infra::stripe::verify_signature;
use crate::repos::orders::{Order, OrderRepository, PgOrderHistoryRepository, PgOrderRepository};
use crate::repos::payments::{
    Payment, PaymentRepository, PgPaymentRepository, PgStripeEventRepository, StripeEvent,
    StripeEventRepository,
};
use crate::state::AppState;

/// The idempotency key of order `id`'s PaymentIntent.
fn intent_key(id: i64) -> String {
    format!("order-{id}-intent")
}

/// The idempotency key of order `id`'s refund.
pub(crate) fn refund_key(id: i64) -> String {
    format!("order-{id}-refund")
}

/// The order's payment, its intent created at Stripe the first time: only the order's customer
/// pays, and only a pending order (a queued one is still being saved: retry in a moment).
pub async fn pay(s: &AppState, caller: Caller, id: i64) -> AppResult<Payment> {
    let Some(order) = PgOrderRepository::new(&s.pool).get(id).await? else {
        return Err(match s.kv.get(&queued_key(id)).await? {
            Some(text) if OrderMessage::decode(text.as_bytes())?.customer_id == caller.id => {
                AppError::conflict(
                    "order_not_payable",
                    "the order is still being booked; pay for it in a moment",
                )
            }
            _ => AppError::NotFound,
        });
    };
    if order.customer_id != caller.id {
        return Err(if visible(&order, &caller) {
            AppError::forbidden("not_the_customer", "only the order's customer pays for it")
        } else {
            AppError::NotFound
        });
    }
    super::limits::user_write(s, caller.id).await?;
    let payments = PgPaymentRepository::new(&s.pool);
    if let Some(payment) = payments.by_order(id).await? {
        return Ok(payment);
    }
    if order.status != OrderStatus::Pending {
        return Err(AppError::conflict(
            "order_not_payable",
            format!("an order that is {:?} cannot be paid", order.status),
        ));
    }
    let currency = s.payments.currency.as_str();
    let amount = minor_units(order.price, currency).ok_or_else(|| {
        AppError::internal(
            "pricing an intent",
            format!("{} {currency} has no minor-unit amount", order.price),
        )
    })?;
    let intent = s
        .payments
        .gateway
        .create_payment_intent(amount, currency, id, &intent_key(id))
        .await
        .map_err(AppError::Payment)?;
    let now = Utc::now();
    let payment = Payment {
        id: s.ids.next_id()?,
        order_id: id,
        payment_intent_id: intent.id,
        client_secret: intent.client_secret,
        amount: order.price,
        currency: currency.to_owned(),
        status: PaymentStatus::Pending,
        method: None,
        paid_at: None,
        error: None,
        refund_id: None,
        refunded_at: None,
        created_at: now,
        updated_at: now,
    };
    payments.insert_once(&payment).await?;
    payments
        .by_order(id)
        .await?
        .ok_or_else(|| AppError::internal("reading a payment back", "the payment row is gone"))
}

/// What became of a webhook's event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Applied now.
    Applied,
    /// Applied before (Stripe delivers at least once).
    Duplicate,
    /// Older news than the payment's state (events arrive out of order): recorded, no change.
    Stale,
    /// Not about a payment of this service, or a type it does not act on.
    Ignored,
}

impl Outcome {
    /// The outcome's name in metrics and logs (as serialized).
    pub fn as_str(self) -> &'static str {
        const NAMES: [&str; 4] = ["applied", "duplicate", "stale", "ignored"];
        NAMES[self as usize]
    }
}

#[derive(Deserialize)]
struct Event {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: EventData,
}

#[derive(Deserialize)]
struct EventData {
    object: serde_json::Value,
}

/// A PaymentIntent in an event.
#[derive(Deserialize)]
struct IntentObject {
    id: String,
    #[serde(default)]
    payment_method_types: Vec<String>,
    last_payment_error: Option<LastError>,
}

#[derive(Deserialize)]
struct LastError {
    message: Option<String>,
}

/// A Charge in an event.
#[derive(Deserialize)]
struct ChargeObject {
    payment_intent: Option<String>,
    refunded: bool,
}

/// What an event asks of a payment.
struct Change {
    intent: String,
    to: PaymentStatus,
    method: Option<String>,
    error: Option<String>,
}

/// The change `event` asks for; `None` for what the service does not act on.
fn change(event: &Event) -> AppResult<Option<Change>> {
    let object = || event.data.object.clone();
    let bad = |e: serde_json::Error| {
        AppError::BadRequest(format!("the {} event's object does not parse: {e}", event.kind))
    };
    let intent = |to| -> AppResult<Option<Change>> {
        let i: IntentObject = serde_json::from_value(object()).map_err(bad)?;
        Ok(Some(Change {
            intent: i.id,
            to,
            method: i.payment_method_types.into_iter().next(),
            error: i.last_payment_error.and_then(|e| e.message),
        }))
    };
    match event.kind.as_str() {
        "payment_intent.succeeded" => intent(PaymentStatus::Succeeded),
        "payment_intent.payment_failed" => intent(PaymentStatus::Failed),
        "payment_intent.canceled" => intent(PaymentStatus::Cancelled),
        "charge.refunded" => {
            let c: ChargeObject = serde_json::from_value(object()).map_err(bad)?;
            // A partial refund leaves the payment as it is; this service refunds in full.
            Ok(c.payment_intent.filter(|_| c.refunded).map(|intent| Change {
                intent,
                to: PaymentStatus::Refunded,
                method: None,
                error: None,
            }))
        }
        _ => Ok(None),
    }
}

/// `POST /api/webhooks/stripe`: the signature is checked on the raw bytes before anything is
/// parsed; the event is applied once, in one transaction with the order and its history.
pub async fn webhook(s: &AppState, body: &[u8], signature: Option<&str>) -> AppResult<Outcome> {
    let secret = secrecy::ExposeSecret::expose_secret(&s.payments.webhook_secret);
    verify_signature(body, signature, secret, Utc::now().timestamp())
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    let event: Event = serde_json::from_slice(body)
        .map_err(|e| AppError::BadRequest(format!("the event does not parse: {e}")))?;
    let Some(change) = change(&event)? else {
        tracing::debug!(event = %event.id, kind = %event.kind, "Stripe event ignored");
        return Ok(Outcome::Ignored);
    };
    let now = Utc::now();
    let record = StripeEvent { id: event.id.clone(), kind: event.kind.clone(), received_at: now };
    let (outcome, moved) = repo_runtime::transaction(&s.pool, async |tx| {
        if PgStripeEventRepository::new(tx).first_time(&record).await? == 0 {
            return Ok((Outcome::Duplicate, None));
        }
        let payments = PgPaymentRepository::new(tx);
        let Some(order_id) = payments.order_of(&change.intent).await? else {
            return Ok((Outcome::Ignored, None));
        };
        // The order's row first, then the payment's: the order in which cancelling locks them.
        let orders = PgOrderRepository::new(tx);
        let order = orders.lock(order_id).await?.ok_or(AppError::NotFound)?;
        let payment = payments.lock_by_order(order_id).await?.ok_or(AppError::NotFound)?;
        if !may_move(payment.status, change.to) {
            return Ok((Outcome::Stale, None));
        }
        let paid_at = (change.to == PaymentStatus::Succeeded).then_some(now);
        let refunded_at = (change.to == PaymentStatus::Refunded).then_some(now);
        let error = if change.to == PaymentStatus::Failed { change.error.as_deref() } else { None };
        let method = change.method.as_deref();
        payments.moved(payment.id, change.to, method, error, paid_at, refunded_at, now).await?;
        let moved = apply(s, tx, &order, &payment, change.to).await?;
        Ok::<_, AppError>((Outcome::Applied, moved))
    })
    .await?;
    metrics::counter!("stripe_events_total", "outcome" => outcome.as_str()).increment(1);
    if let Some((order_id, from, to)) = moved {
        after_move(s, order_id, SERVICE_OPERATOR, from, to).await?;
    }
    tracing::info!(event = %event.id, kind = %event.kind, outcome = outcome.as_str(), "Stripe event");
    Ok(outcome)
}

/// What a payment's move does to its order, under both row locks; the order's status change,
/// if it made one.
async fn apply(
    s: &AppState,
    tx: &deadpool_postgres::Transaction<'_>,
    order: &Order,
    payment: &Payment,
    to: PaymentStatus,
) -> AppResult<Option<(i64, OrderStatus, OrderStatus)>> {
    let orders = PgOrderRepository::new(tx);
    let moves = PgOrderHistoryRepository::new(tx);
    let now = Utc::now();
    let note = |from, to, operator, remark: &str| {
        history(s, order.id, Some(from), to, operator, Some(remark.to_owned()))
    };
    match to {
        PaymentStatus::Succeeded if order.status == OrderStatus::Cancelled => {
            // Paid after it was cancelled: the money goes back (if Stripe cannot be reached,
            // the transaction is undone and Stripe delivers the event again later).
            let refund = s
                .payments
                .gateway
                .create_refund(&payment.payment_intent_id, &refund_key(order.id))
                .await
                .map_err(AppError::Payment)?;
            PgPaymentRepository::new(tx).refund_asked(payment.id, &refund.id, now).await?;
            moves
                .insert(&note(
                    order.status,
                    order.status,
                    SERVICE_OPERATOR,
                    "paid after cancellation; refunding",
                )?)
                .await?;
            Ok(None)
        }
        PaymentStatus::Succeeded => {
            orders.set_paid(order.id, Some(now), now).await?;
            moves.insert(&note(order.status, order.status, order.customer_id, "paid")?).await?;
            Ok(None)
        }
        PaymentStatus::Refunded if order.status == OrderStatus::Cancelled => {
            let (from, to) = (OrderStatus::Cancelled, OrderStatus::Refunded);
            transition(from, Transition::Refund, Actor::System, now, order.service_at)
                .map_err(|e| AppError::internal("confirming a refund", e))?;
            if orders.refunded(order.id, from, to, now).await? == 0 {
                return Err(AppError::internal("confirming a refund", "the locked order moved"));
            }
            moves.insert(&note(from, to, SERVICE_OPERATOR, "refund confirmed")?).await?;
            Ok(Some((order.id, from, to)))
        }
        PaymentStatus::Refunded => {
            // Refunded at Stripe while the order goes on: unpaid again, offered to nobody.
            orders.set_paid(order.id, None, now).await?;
            moves
                .insert(&note(
                    order.status,
                    order.status,
                    SERVICE_OPERATOR,
                    "refunded at Stripe; unpaid",
                )?)
                .await?;
            Ok(None)
        }
        PaymentStatus::Pending
        | PaymentStatus::Processing
        | PaymentStatus::Failed
        | PaymentStatus::Cancelled => Ok(None),
    }
}
