//! Orders: a booking is checked and queued; the consumer persists it (once, however often it is
//! delivered); then it moves through its states by guarded statements, each with its history
//! row in the same transaction. Who may see an order is decided here, once.

use std::time::Duration;

use chrono::{DateTime, Utc};
use repo_runtime::types::Decimal;
use repo_runtime::{Crud, Page};
use serde::{Deserialize, Serialize};

use super::{AppError, AppResult, Caller};
use crate::domain::order::{Actor, Transition, transition};
use crate::domain::validate;
use crate::domain::{OrderStatus, ProviderVerify};
use crate::repos::orders::{
    Order, OrderHistory, OrderHistoryRepository, OrderRepository, PgOrderHistoryRepository,
    PgOrderRepository,
};
use crate::repos::packages::{PackageRepository, PgPackageRepository, ServicePackage};
use crate::repos::pets::{Pet, PetRepository, PgPetRepository};
use crate::repos::providers::{PgProviderRepository, ProviderRepository};
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
    fn into_row(self, status: OrderStatus, now: DateTime<Utc>) -> Order {
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
            created_at: self.booked_at,
            updated_at: now,
        }
    }
}

fn queued_key(id: i64) -> String {
    format!("order:queued:{id}")
}

/// Checks a booking and queues it. Nothing is written to the database here: the consumer does
/// that; until it has, [`detail`] reads the order back from the store as `Queued`.
pub async fn book(s: &AppState, caller: Caller, b: Booking) -> AppResult<Queued> {
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
    let id = s.ids.next_id();
    let message = OrderMessage {
        v: OrderMessage::VERSION,
        id,
        order_no: format!("CC{}{:06}", now.format("%Y%m%d"), id.rem_euclid(1_000_000)),
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
    let payload = message.encode()?;
    // Readable as Queued before it is queued, so no consumer can save it before it is readable.
    let text = String::from_utf8(payload.clone())
        .map_err(|e| AppError::internal("writing a queued order", e))?;
    s.kv.set(&queued_key(id), &text, QUEUED_VISIBLE).await?;
    s.queue.publish(id, payload).await.map_err(AppError::Queue)?;
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
    let history = history(s, order.id, Some(OrderStatus::Queued), status, order.customer_id, None);
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

/// A history row for a move of order `order_id` by `operator`.
pub(crate) fn history(
    s: &AppState,
    order_id: i64,
    from: Option<OrderStatus>,
    to: OrderStatus,
    operator: i64,
    remark: Option<String>,
) -> OrderHistory {
    OrderHistory {
        id: s.ids.next_id(),
        order_id,
        from_status: from,
        to_status: to,
        operator_id: operator,
        remark,
        created_at: Utc::now(),
    }
}

/// Whether `caller` may see `order`: its customer, its provider, an admin.
pub fn visible(order: &Order, caller: &Caller) -> bool {
    order.customer_id == caller.id || order.provider_id == Some(caller.id) || caller.is_admin()
}

/// The order if `caller` may see it, else [`AppError::NotFound`].
pub async fn load_visible(s: &AppState, id: i64, caller: &Caller) -> AppResult<Order> {
    PgOrderRepository::new(&s.pool)
        .get(id)
        .await?
        .filter(|o| visible(o, caller))
        .ok_or(AppError::NotFound)
}

/// An order with what it is for and how it got where it is.
#[derive(Debug)]
pub struct OrderDetail {
    /// The order.
    pub order: Order,
    /// Its package, unless since deleted.
    pub package: Option<ServicePackage>,
    /// Its pet, unless since removed.
    pub pet: Option<Pet>,
    /// Its moves, oldest first (none while queued).
    pub history: Vec<OrderHistory>,
}

/// The order, saved or still queued, if `caller` may see it.
pub async fn detail(s: &AppState, caller: Caller, id: i64) -> AppResult<OrderDetail> {
    let orders = PgOrderRepository::new(&s.pool);
    let (order, saved) = match orders.get(id).await? {
        Some(order) => (order, true),
        None => match s.kv.get(&queued_key(id)).await? {
            Some(text) => {
                let message = OrderMessage::decode(text.as_bytes())?;
                (message.into_row(OrderStatus::Queued, Utc::now()), false)
            }
            None => return Err(AppError::NotFound),
        },
    };
    if !visible(&order, &caller) {
        return Err(AppError::NotFound);
    }
    let package = PgPackageRepository::new(&s.pool).get(order.package_id).await?;
    let pet = PgPetRepository::new(&s.pool).get(order.pet_id).await?;
    let history =
        if saved { PgOrderHistoryRepository::new(&s.pool).for_order(id).await? } else { vec![] };
    Ok(OrderDetail { order, package, pet, history })
}

/// Paging as asked ([`validate::paging`]): `(page, pageSize, limit, offset)`.
pub fn paging(page: Option<i64>, page_size: Option<i64>) -> AppResult<(i64, i64, i64, i64)> {
    let (page, size) = validate::paging(page, page_size)?;
    Ok((page, size, size, (page - 1) * size))
}

/// The caller's orders, newest first.
pub async fn mine(
    s: &AppState,
    caller: Caller,
    status: Option<OrderStatus>,
    limit: i64,
    offset: i64,
) -> AppResult<Page<Order>> {
    Ok(PgOrderRepository::new(&s.pool).for_customer(caller.id, status, limit, offset).await?)
}

/// Applies the guarded `update` and its history row in one transaction; 409 `code` when the
/// order moved meanwhile (the update matched no row).
async fn guarded<F>(
    s: &AppState,
    id: i64,
    caller: Caller,
    (from, to): (OrderStatus, OrderStatus),
    remark: Option<String>,
    code: &'static str,
    update: F,
) -> AppResult<OrderStatus>
where
    F: for<'t, 'c> AsyncFnOnce(
        PgOrderRepository<&'t deadpool_postgres::Transaction<'c>>,
        DateTime<Utc>,
    ) -> repo_runtime::Result<u64>,
{
    let row = history(s, id, Some(from), to, caller.id, remark);
    repo_runtime::transaction(&s.pool, async |tx| {
        if update(PgOrderRepository::new(tx), Utc::now()).await? == 0 {
            return Err(AppError::conflict(code, "the order changed meanwhile; reload it"));
        }
        PgOrderHistoryRepository::new(tx).insert(&row).await?;
        Ok(())
    })
    .await?;
    after_move(s, id, caller.id, from, to).await?;
    Ok(to)
}

/// What follows a committed status change: the counter, the provider's visit count when the
/// order is completed, and the `order.status_changed` event.
pub(crate) async fn after_move(
    s: &AppState,
    id: i64,
    operator: i64,
    from: OrderStatus,
    to: OrderStatus,
) -> AppResult<()> {
    metrics::counter!("order_transitions_total", "to" => format!("{to:?}")).increment(1);
    if to == OrderStatus::Completed {
        PgProviderRepository::new(&s.pool).count_visit(operator, Utc::now()).await?;
    }
    let event =
        serde_json::json!({ "orderId": id, "from": from, "to": to, "operatorId": operator });
    s.events.publish("order.status_changed", s.ids.next_id(), &event).await;
    Ok(())
}

/// Cancels an order: its customer within the rules, an admin any non-terminal one.
pub async fn cancel(
    s: &AppState,
    caller: Caller,
    id: i64,
    reason: Option<String>,
) -> AppResult<OrderStatus> {
    validate::optional_text("reason", reason.as_deref(), 500)?;
    let order = load_visible(s, id, &caller).await?;
    let actor = if order.customer_id == caller.id {
        Actor::Customer
    } else if caller.is_admin() {
        Actor::Admin
    } else {
        return Err(AppError::NotFound);
    };
    let from = order.status;
    let to = transition(from, Transition::Cancel, actor, Utc::now(), order.service_at)
        .map_err(|e| AppError::refused(e, "order_not_cancellable"))?;
    let code = "order_not_cancellable";
    guarded(s, id, caller, (from, to), reason.clone(), code, async |orders, now| {
        orders.cancel(id, from, to, reason.as_deref(), now).await
    })
    .await
}

/// The caller as an approved provider, or 404 (they cannot see other people's orders).
pub async fn approved_provider(s: &AppState, caller: &Caller) -> AppResult<()> {
    match PgProviderRepository::new(&s.pool).by_user(caller.id).await? {
        Some(p) if p.verify_status == ProviderVerify::Approved => Ok(()),
        _ => Err(AppError::NotFound),
    }
}

/// An approved provider takes a pending order nobody has taken.
pub async fn accept(s: &AppState, caller: Caller, id: i64) -> AppResult<OrderStatus> {
    approved_provider(s, &caller).await?;
    let order = PgOrderRepository::new(&s.pool).get(id).await?.ok_or(AppError::NotFound)?;
    if order.customer_id == caller.id {
        return Err(AppError::conflict("own_order", "providers cannot take their own orders"));
    }
    if order.provider_id.is_some_and(|p| p != caller.id) {
        return Err(AppError::NotFound);
    }
    let from = order.status;
    let to = transition(from, Transition::Accept, Actor::Provider, Utc::now(), order.service_at)
        .map_err(|e| AppError::refused(e, "order_not_acceptable"))?;
    guarded(s, id, caller, (from, to), None, "order_not_acceptable", async |orders, now| {
        orders.accept(id, caller.id, from, to, now).await
    })
    .await
}

/// The assigned provider starts (Accepted → InProgress) or completes (InProgress → Completed)
/// the order; anyone else gets 404.
pub async fn provider_step(
    s: &AppState,
    caller: Caller,
    id: i64,
    step: Transition,
) -> AppResult<OrderStatus> {
    let code = match step {
        Transition::Start => "order_not_startable",
        _ => "order_not_completable",
    };
    let order = PgOrderRepository::new(&s.pool)
        .get(id)
        .await?
        .filter(|o| o.provider_id == Some(caller.id))
        .ok_or(AppError::NotFound)?;
    let from = order.status;
    let to = transition(from, step, Actor::Provider, Utc::now(), order.service_at)
        .map_err(|e| AppError::refused(e, code))?;
    guarded(s, id, caller, (from, to), None, code, async |orders, now| {
        provider_update(&orders, id, caller.id, (from, to), now).await
    })
    .await
}

/// The guarded statement of a provider's move.
pub(crate) async fn provider_update(
    orders: &PgOrderRepository<&deadpool_postgres::Transaction<'_>>,
    id: i64,
    provider: i64,
    (from, to): (OrderStatus, OrderStatus),
    now: DateTime<Utc>,
) -> repo_runtime::Result<u64> {
    if to == OrderStatus::InProgress {
        orders.start(id, provider, from, to, now).await
    } else {
        orders.complete(id, provider, from, to, now).await
    }
}
