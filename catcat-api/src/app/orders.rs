//! Orders once booked ([`super::booking`]): they move through their states by guarded
//! statements, each with its history row in the same transaction. Who may see an order is
//! decided here, once.

use chrono::{DateTime, Utc};
use repo_runtime::{Crud, Page};

use super::booking::{OrderMessage, queued_key};
use super::{AppError, AppResult, Caller};
use crate::domain::order::{Actor, Transition, transition};
use crate::domain::validate;
use crate::domain::{OrderStatus, PaymentStatus, ProviderVerify};
use crate::repos::orders::{
    Order, OrderHistory, OrderHistoryRepository, OrderRepository, PgOrderHistoryRepository,
    PgOrderRepository,
};
use crate::repos::packages::{PgPackageRepository, ServicePackage};
use crate::repos::payments::{PaymentRepository, PgPaymentRepository};
use crate::repos::pets::{Pet, PgPetRepository};
use crate::repos::providers::{PgProviderRepository, ProviderRepository};
use crate::state::AppState;

/// The operator of the moves the service makes itself (a confirmed refund).
pub const SERVICE_OPERATOR: i64 = 0;

/// A history row for a move of order `order_id` by `operator`.
pub(crate) fn history(
    s: &AppState,
    order_id: i64,
    from: Option<OrderStatus>,
    to: OrderStatus,
    operator: i64,
    remark: Option<String>,
) -> Result<OrderHistory, crate::infra::ids::IdError> {
    Ok(OrderHistory {
        id: s.ids.next_id()?,
        order_id,
        from_status: from,
        to_status: to,
        operator_id: operator,
        remark,
        created_at: Utc::now(),
    })
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
    let row = history(s, id, Some(from), to, caller.id, remark)?;
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
    s.events.publish("order.status_changed", s.ids.next_id()?, &event).await;
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
    let row = history(s, id, Some(from), to, caller.id, reason.clone())?;
    // Under the order's row lock (which a payment's webhook takes first too), a paid order is
    // refunded before it is cancelled: if Stripe fails, nothing is cancelled and a retry is
    // safe (the refund's idempotency key is the order's). The order becomes Refunded when
    // Stripe confirms the refund.
    repo_runtime::transaction(&s.pool, async |tx| {
        let orders = PgOrderRepository::new(tx);
        if orders.lock(id).await?.is_none_or(|o| o.status != from) {
            return Err(AppError::conflict(
                "order_not_cancellable",
                "the order changed meanwhile; reload it",
            ));
        }
        let payments = PgPaymentRepository::new(tx);
        if let Some(paid) =
            payments.lock_by_order(id).await?.filter(|p| p.status == PaymentStatus::Succeeded)
        {
            let refund = s
                .payments
                .gateway
                .create_refund(&paid.payment_intent_id, &super::payments::refund_key(id))
                .await
                .map_err(AppError::Payment)?;
            payments.refund_asked(paid.id, &refund.id, Utc::now()).await?;
        }
        orders.cancel(id, from, to, reason.as_deref(), Utc::now()).await?;
        PgOrderHistoryRepository::new(tx).insert(&row).await?;
        Ok(())
    })
    .await?;
    after_move(s, id, caller.id, from, to).await?;
    Ok(to)
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
    if order.status == OrderStatus::Pending && order.paid_at.is_none() {
        return Err(AppError::conflict("order_not_paid", "the order is not paid yet"));
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
