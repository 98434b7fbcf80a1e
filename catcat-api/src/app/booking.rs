//! Booking: a booking is checked and queued (nothing is written to the database on the
//! request path); the consumer persists it once, however often it is delivered; until then the
//! order reads back as Queued from the store.

use std::time::Duration;

use chrono::{DateTime, Utc};
use repo_runtime::types::Decimal;
use serde::{Deserialize, Serialize};

use super::orders::history;
use super::{AppError, AppResult, Caller};
use crate::domain::OrderStatus;
use crate::domain::order::{Actor, Transition, transition};
use crate::domain::validate;
use repo_runtime::Crud;

use crate::repos::orders::{Order, OrderRepository, PgOrderHistoryRepository, PgOrderRepository};
use crate::repos::packages::{PackageRepository, PgPackageRepository};
use crate::repos::pets::{PetRepository, PgPetRepository};
use crate::state::AppState;

/// How long a queued order can be read back before the consumer has saved it.
const QUEUED_VISIBLE: Duration = Duration::from_secs(3600);

/// What a customer asks for.
#[derive(Debug, Clone)]
pub struct Booking {
    /// The package.
    pub package_id: i64,
    /// The caller's pet.
    pub pet_id: i64,
    /// When, between two hours and thirty days from now.
    pub service_at: DateTime<Utc>,
    /// Where.
    pub address: String,
    /// Flat, floor, door code.
    pub address_detail: Option<String>,
    /// For the provider.
    pub remark: Option<String>,
}

/// A queued order.
#[derive(Debug, Clone)]
pub struct Queued {
    /// Its id.
    pub order_id: i64,
    /// Its number.
    pub order_no: String,
}

/// The queue's wire format for a booked order: versioned, and independent of the table row,
/// so a column can be renamed without breaking messages already in the queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderMessage {
    /// The format's version ([`OrderMessage::VERSION`]).
    pub v: u16,
    /// Order id.
    pub id: i64,
    /// Order number.
    pub order_no: String,
    /// Who booked.
    pub customer_id: i64,
    /// The pet.
    pub pet_id: i64,
    /// The package.
    pub package_id: i64,
    /// When.
    pub service_at: DateTime<Utc>,
    /// Where.
    pub address: String,
    /// Flat, floor, door code.
    pub address_detail: Option<String>,
    /// The package's price when booked, exact (a decimal string).
    pub price: Decimal,
    /// From the customer.
    pub remark: Option<String>,
    /// When booked.
    pub booked_at: DateTime<Utc>,
}

impl OrderMessage {
    /// The version this build writes and reads.
    pub const VERSION: u16 = 1;

    /// Reads a message; a foreign version or shape is refused, never guessed at.
    pub fn decode(payload: &[u8]) -> Result<Self, AppError> {
        let m: Self = serde_json::from_slice(payload)
            .map_err(|e| AppError::internal("reading a queued order", e))?;
        if m.v != Self::VERSION {
            return Err(AppError::internal(
                "reading a queued order",
                format!("message version {} is not {}", m.v, Self::VERSION),
            ));
        }
        Ok(m)
    }

    /// The message as bytes.
    pub fn encode(&self) -> AppResult<Vec<u8>> {
        serde_json::to_vec(self).map_err(|e| AppError::internal("writing a queued order", e))
    }

    /// The order row it becomes, as of `now`.
    pub(crate) fn into_row(self, status: OrderStatus, now: DateTime<Utc>) -> Order {
        Order {
            id: self.id,
            order_no: self.order_no,
            customer_id: self.customer_id,
            provider_id: None,
            pet_id: self.pet_id,
            package_id: self.package_id,
            service_at: self.service_at,
            address: self.address,
            address_detail: self.address_detail,
            price: self.price,
            status,
            customer_remark: self.remark,
            provider_remark: None,
            accepted_at: None,
            started_at: None,
            completed_at: None,
            cancelled_at: None,
            cancel_reason: None,
            paid_at: None,
            created_at: self.booked_at,
            updated_at: now,
        }
    }
}

/// The order's human-readable number: `CC`, the day it was booked, and its id in full (unique
/// as the id is; a shortened id repeats, and an order whose number is taken can never be
/// saved).
pub fn order_number(id: i64, booked: DateTime<Utc>) -> String {
    format!("CC{}{id}", booked.format("%Y%m%d"))
}

/// Where a queued order waits to be read back.
pub fn queued_key(id: i64) -> String {
    format!("order:queued:{id}")
}

/// Checks a booking and queues it. Nothing is written to the database here: the consumer does
/// that; until it has, [`super::orders::detail`] reads the order back from the store as `Queued`.
pub async fn book(s: &AppState, caller: Caller, b: Booking) -> AppResult<Queued> {
    super::limits::user_write(s, caller.id).await?;
    let now = Utc::now();
    if b.service_at < now + chrono::Duration::hours(2)
        || b.service_at > now + chrono::Duration::days(30)
    {
        return Err(AppError::invalid(
            "serviceAt",
            "must be between two hours and thirty days from now",
        ));
    }
    validate::text("address", &b.address, 1, 200)?;
    validate::optional_text("addressDetail", b.address_detail.as_deref(), 200)?;
    validate::optional_text("remark", b.remark.as_deref(), 500)?;
    PgPetRepository::new(&s.pool)
        .owned(b.pet_id, caller.id)
        .await?
        .ok_or_else(|| AppError::invalid("petId", "is not one of your pets"))?;
    let package = PgPackageRepository::new(&s.pool)
        .active_by_id(b.package_id)
        .await?
        .ok_or_else(|| AppError::invalid("packageId", "is not a bookable package"))?;
    let id = s.ids.next_id()?;
    let message = OrderMessage {
        v: OrderMessage::VERSION,
        id,
        order_no: order_number(id, now),
        customer_id: caller.id,
        pet_id: b.pet_id,
        package_id: package.id,
        service_at: b.service_at,
        address: b.address.trim().to_owned(),
        address_detail: b.address_detail,
        price: package.price,
        remark: b.remark,
        booked_at: now,
    };
    let text = serde_json::to_string(&message)
        .map_err(|e| AppError::internal("writing a queued order", e))?;
    // Readable as Queued before it is queued, so no consumer can save it before it is readable;
    // and unreadable again when it could not be queued, so no one sees an order that is not.
    s.kv.set(&queued_key(id), &text, QUEUED_VISIBLE).await?;
    if let Err(e) = s.queue.publish(id, text.into_bytes()).await {
        if let Err(gone) = s.kv.del(&queued_key(id)).await {
            tracing::warn!(error = %gone, order = id, "an unqueued order stays readable until it expires");
        }
        return Err(AppError::Queue(e));
    }
    metrics::counter!("orders_queued_total").increment(1);
    Ok(Queued { order_id: id, order_no: message.order_no })
}

/// Persists a queued order as Pending with its first history row, in one transaction; a
/// second delivery of the same message changes nothing. True when this call saved it.
pub async fn persist(s: &AppState, message: OrderMessage) -> AppResult<bool> {
    let now = Utc::now();
    let status = transition(
        OrderStatus::Queued,
        Transition::Persist,
        Actor::System,
        now,
        message.service_at,
    )
    .map_err(|e| AppError::internal("persisting a queued order", e))?;
    let order = message.into_row(status, now);
    let history = history(s, order.id, Some(OrderStatus::Queued), status, order.customer_id, None)?;
    let inserted = repo_runtime::transaction(&s.pool, async |tx| {
        let inserted = PgOrderRepository::new(tx).insert_once(&order).await?;
        if inserted == 1 {
            PgOrderHistoryRepository::new(tx).insert(&history).await?;
        }
        Ok::<_, AppError>(inserted == 1)
    })
    .await?;
    if inserted {
        let event = serde_json::json!({ "orderId": order.id, "customerId": order.customer_id });
        s.events.publish("order.created", order.id, &event).await;
    }
    Ok(inserted)
}

#[cfg(test)]
mod order_number_tests {
    use super::*;

    #[test]
    fn order_numbers_are_as_unique_as_ids_and_fit_their_column() {
        let day = Utc::now();
        // Ids a million apart (the old numbers kept the last six digits only).
        let id = 377_923_637_608_448;
        assert_ne!(order_number(id, day), order_number(id + 1_000_000, day));
        let numbers: std::collections::HashSet<String> =
            (0..10_000).map(|i| order_number(id + i * 1_000_000, day)).collect();
        assert_eq!(numbers.len(), 10_000);
        // VARCHAR(32), even for the largest id the generator mints (below 2^53).
        assert!(order_number((1 << 53) - 1, day).len() <= 32);
    }
}
