//! Orders: created through the queue with an `Idempotency-Key`, then moved through their
//! states by guarded statements with a history row, in one transaction each.

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use repo_runtime::Crud;
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ApiResult, ok};
use super::extract::{ApiJson, ApiQuery, AuthUser, PathId};
use super::views::{OrderMoved, Paged};
use crate::domain::order::{Actor, Transition, TransitionError, transition};
use crate::domain::validate;
use crate::domain::{OrderStatus, ProviderVerify, UserRole};
use crate::infra::tokens::hash;
use crate::repos::orders::{
    IdempotencyRecord, IdempotencyRepository, Order, OrderHistory, OrderHistoryRepository,
    OrderRepository, PgIdempotencyRepository, PgOrderHistoryRepository, PgOrderRepository,
};
use crate::repos::packages::{PackageRepository, PgPackageRepository};
use crate::repos::pets::{PetRepository, PgPetRepository};
use crate::repos::providers::{PgProviderRepository, ProviderRepository};
use crate::state::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/orders", post(create))
        .route("/api/orders/my", get(mine))
        .route("/api/orders/{id}", get(detail))
        .route("/api/orders/{id}/cancel", post(cancel))
        .route("/api/orders/{id}/accept", post(accept))
        .route("/api/orders/{id}/start", post(start))
        .route("/api/orders/{id}/complete", post(complete))
        .route(
            "/api/orders/{id}/progress",
            get(super::progress::list).post(super::progress::report),
        )
}

#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct CreateOrder {
    package_id: i64,
    pet_id: i64,
    service_at: DateTime<Utc>,
    address: String,
    address_detail: Option<String>,
    remark: Option<String>,
}

/// How long a retry waits for the first request with the same key to answer.
const IDEMPOTENCY_WAIT: Duration = Duration::from_secs(5);

#[utoipa::path(post, path = "/api/orders", tag = "orders", request_body = CreateOrder, params(("Idempotency-Key" = String, Header, description = "required; retries with the same key get the first answer")), responses((status = 202, description = "queued", body = OrderQueued), (status = 409, description = "a request with the same Idempotency-Key is still running; retry"), (status = 503, description = "the order queue is unavailable"), (status = 404, description = "not found or not visible to the caller")), security(("bearer" = [])))]
pub(crate) async fn create(
    State(s): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    ApiJson(b): ApiJson<CreateOrder>,
) -> ApiResult {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 255)
        .ok_or_else(|| {
            ApiError::BadRequest(
                "an Idempotency-Key header (1 to 255 characters) is required".into(),
            )
        })?
        .to_owned();
    let request_hash =
        hash(&serde_json::to_string(&b).map_err(|e| ApiError::Internal(e.to_string()))?);
    let records = PgIdempotencyRepository::new(&s.pool);
    let claimed = records
        .claim(&IdempotencyRecord {
            user_id: user.id,
            key: key.clone(),
            request_hash: request_hash.clone(),
            response_status: None,
            response_body: None,
            created_at: Utc::now(),
        })
        .await?;
    if claimed == 0 {
        return replay(&s, user.id, &key, &request_hash).await;
    }
    let answer = book(&s, user, b).await;
    let (status, body) = match &answer {
        Ok((status, body)) => (*status, body.clone()),
        Err(e) => (
            e.status(),
            serde_json::json!({ "success": false, "code": e.status().as_u16(), "message": e.to_string() }),
        ),
    };
    records.answer(user.id, &key, status.as_u16() as i16, &body).await?;
    let (status, body) = answer?;
    Ok((status, axum::Json(body)).into_response())
}

/// The answer to an earlier request with the same key (waiting for it if it is in flight).
async fn replay(s: &AppState, user_id: i64, key: &str, request_hash: &str) -> ApiResult {
    let records = PgIdempotencyRepository::new(&s.pool);
    let deadline = tokio::time::Instant::now() + IDEMPOTENCY_WAIT;
    loop {
        let record = records
            .get((user_id, key.to_owned()))
            .await?
            .ok_or(ApiError::Internal("claimed key vanished".into()))?;
        if record.request_hash != request_hash {
            return Err(ApiError::invalid(
                "Idempotency-Key",
                "was already used for a different request",
            ));
        }
        if let (Some(status), Some(body)) = (record.response_status, record.response_body) {
            let status = StatusCode::from_u16(status as u16).unwrap_or(StatusCode::OK);
            return Ok((status, axum::Json(body)).into_response());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(ApiError::conflict(
                "request_in_progress",
                "the first request with this key is still running; retry",
            ));
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Checks the booking and queues it; the 202 body.
async fn book(
    s: &AppState,
    user: AuthUser,
    b: CreateOrder,
) -> Result<(StatusCode, serde_json::Value), ApiError> {
    let now = Utc::now();
    if b.service_at < now + chrono::Duration::hours(2)
        || b.service_at > now + chrono::Duration::days(30)
    {
        return Err(ApiError::invalid(
            "serviceAt",
            "must be between two hours and thirty days from now",
        ));
    }
    validate::text("address", &b.address, 1, 200)?;
    validate::optional_text("addressDetail", b.address_detail.as_deref(), 200)?;
    validate::optional_text("remark", b.remark.as_deref(), 500)?;
    PgPetRepository::new(&s.pool)
        .owned(b.pet_id, user.id)
        .await?
        .ok_or_else(|| ApiError::invalid("petId", "is not one of your pets"))?;
    let package = PgPackageRepository::new(&s.pool)
        .active_by_id(b.package_id)
        .await?
        .ok_or_else(|| ApiError::invalid("packageId", "is not a bookable package"))?;
    let id = s.ids.next_id();
    let order = Order {
        id,
        order_no: format!("CC{}{:06}", now.format("%Y%m%d"), id.rem_euclid(1_000_000)),
        customer_id: user.id,
        provider_id: None,
        pet_id: b.pet_id,
        package_id: package.id,
        service_at: b.service_at,
        address: b.address.trim().to_owned(),
        address_detail: b.address_detail,
        price: package.price,
        status: OrderStatus::Queued,
        customer_remark: b.remark,
        provider_remark: None,
        accepted_at: None,
        started_at: None,
        completed_at: None,
        cancelled_at: None,
        cancel_reason: None,
        created_at: now,
        updated_at: now,
    };
    let payload = serde_json::to_vec(&order).map_err(|e| ApiError::Internal(e.to_string()))?;
    s.queue.publish(id, payload).await.map_err(|e| ApiError::Unavailable(e.to_string()))?;
    metrics::counter!("orders_queued_total").increment(1);
    let data = OrderQueued { order_id: id, order_no: order.order_no, status: OrderStatus::Queued };
    let body =
        serde_json::json!({ "success": true, "code": 202, "message": "queued", "data": data });
    Ok((StatusCode::ACCEPTED, body))
}

/// Persists queued orders (the queue consumer): once per order id, however often delivered.
#[derive(Debug, Clone)]
pub struct Persister {
    state: AppState,
}

impl Persister {
    /// A persister on the service's pool.
    pub fn new(state: &AppState) -> Self {
        Self { state: state.clone() }
    }
}

impl crate::infra::queue::Handler for Persister {
    async fn handle(&self, payload: &[u8]) -> Result<(), String> {
        let mut order: Order =
            serde_json::from_slice(payload).map_err(|e| format!("unreadable order: {e}"))?;
        let s = &self.state;
        let now = Utc::now();
        order.status =
            transition(order.status, Transition::Persist, Actor::System, now, order.service_at)
                .map_err(|e| e.to_string())?;
        order.updated_at = now;
        let mut client = s.pool.get().await.map_err(|e| e.to_string())?;
        let tx = client.transaction().await.map_err(|e| e.to_string())?;
        let inserted =
            PgOrderRepository::new(&tx).insert_once(&order).await.map_err(|e| e.to_string())?;
        if inserted == 1 {
            PgOrderHistoryRepository::new(&tx)
                .insert(&history(
                    s,
                    order.id,
                    Some(OrderStatus::Queued),
                    OrderStatus::Pending,
                    order.customer_id,
                    None,
                ))
                .await
                .map_err(|e| e.to_string())?;
        }
        tx.commit().await.map_err(|e| e.to_string())?;
        if inserted == 1 {
            s.events
                .publish(
                    "order.created",
                    order.id,
                    &serde_json::json!({ "orderId": order.id, "customerId": order.customer_id }),
                )
                .await;
        }
        Ok(())
    }
}

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

/// Whether `user` may see `order`: its customer, its provider, an admin.
pub(crate) fn visible(order: &Order, user: &AuthUser) -> bool {
    order.customer_id == user.id
        || order.provider_id == Some(user.id)
        || user.role == UserRole::Admin
}

/// The order if `user` is its assigned provider, else 404.
pub(crate) async fn assigned(s: &AppState, id: i64, user: &AuthUser) -> Result<Order, ApiError> {
    PgOrderRepository::new(&s.pool)
        .get(id)
        .await?
        .filter(|o| o.provider_id == Some(user.id))
        .ok_or(ApiError::NotFound)
}

/// The order if `user` may see it, else 404.
pub(crate) async fn load_visible(
    s: &AppState,
    id: i64,
    user: &AuthUser,
) -> Result<Order, ApiError> {
    PgOrderRepository::new(&s.pool)
        .get(id)
        .await?
        .filter(|o| visible(o, user))
        .ok_or(ApiError::NotFound)
}

/// An order with what it is for and how it got where it is.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Detail {
    #[serde(flatten)]
    order: Order,
    /// Null if the package has since been deleted.
    package: Option<PackageBrief>,
    /// Null if the pet has since been removed.
    pet: Option<PetBrief>,
    history: Vec<OrderHistory>,
}

/// The package of an order, in brief.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PackageBrief {
    id: i64,
    name: String,
    #[serde(with = "rust_decimal::serde::float")]
    #[schema(value_type = f64)]
    price: repo_runtime::types::Decimal,
    duration_minutes: i32,
}

/// The pet of an order, in brief.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PetBrief {
    id: i64,
    name: String,
    #[serde(rename = "type")]
    pet_type: crate::domain::PetType,
    avatar: Option<String>,
}

/// What booking answers (202): the order is queued and will be persisted by the consumer.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OrderQueued {
    order_id: i64,
    order_no: String,
    status: OrderStatus,
}

#[utoipa::path(get, path = "/api/orders/{id}", tag = "orders", params(("id" = i64, Path, description = "object id")), responses((status = 200, description = "order, package, pet, history; 404 to anyone but its customer, provider, admins", body = Detail)), security(("bearer" = [])))]
pub(crate) async fn detail(
    State(s): State<AppState>,
    user: AuthUser,
    PathId(id): PathId,
) -> ApiResult {
    let order = load_visible(&s, id, &user).await?;
    let package = PgPackageRepository::new(&s.pool).get(order.package_id).await?;
    let pet = PgPetRepository::new(&s.pool).get(order.pet_id).await?;
    let history = PgOrderHistoryRepository::new(&s.pool).for_order(id).await?;
    let detail = Detail {
        package: package.map(|p| PackageBrief {
            id: p.id,
            name: p.name,
            price: p.price,
            duration_minutes: p.duration_minutes,
        }),
        pet: pet.map(|p| PetBrief {
            id: p.id,
            name: p.name,
            pet_type: p.pet_type,
            avatar: p.avatar,
        }),
        order,
        history,
    };
    ok(StatusCode::OK, "ok", detail)
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
        let (page, size) = validate::paging(self.page, self.page_size)?;
        Ok((page, size, size, (page - 1) * size))
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

#[utoipa::path(get, path = "/api/orders/my", tag = "orders", params(("status" = Option<i64>, Query, description = "filter by status value"), ("page" = Option<i64>, Query, description = "1-based, default 1"), ("pageSize" = Option<i64>, Query, description = "1 to 100, default 20")), responses((status = 200, description = "a page of the caller's orders", body = Paged<Order>), (status = 404, description = "not found or not visible to the caller")), security(("bearer" = [])))]
pub(crate) async fn mine(
    State(s): State<AppState>,
    user: AuthUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult {
    let status = q.status()?;
    let (page, size, limit, offset) = q.paging()?;
    let orders =
        PgOrderRepository::new(&s.pool).for_customer(user.id, status, limit, offset).await?;
    paged(orders, page, size)
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct CancelBody {
    reason: Option<String>,
}

fn refused(e: TransitionError, code: &'static str) -> ApiError {
    match e {
        TransitionError::NotAllowed { .. } => ApiError::NotFound,
        TransitionError::TooLateToCancel => ApiError::conflict("too_late_to_cancel", e.to_string()),
        TransitionError::InvalidState { .. } => ApiError::conflict(code, e.to_string()),
    }
}

/// Applies a guarded update and its history row in one transaction; 409 when the order moved.
macro_rules! guarded {
    ($s:expr, $order:expr, $user:expr, $from:expr, $to:expr, $remark:expr, $code:literal, |$repo:ident, $now:ident| $update:expr) => {{
        let mut client = $s.pool.get().await.map_err(repo_runtime::Error::from)?;
        let tx = client.transaction().await.map_err(repo_runtime::Error::from)?;
        let $now = Utc::now();
        let $repo = PgOrderRepository::new(&tx);
        if $update.await? == 0 {
            return Err(ApiError::conflict($code, "the order changed meanwhile; reload it"));
        }
        PgOrderHistoryRepository::new(&tx)
            .insert(&history(&$s, $order.id, Some($from), $to, $user.id, $remark))
            .await?;
        tx.commit().await.map_err(repo_runtime::Error::from)?;
        after_move(&$s, $order.id, $user.id, $from, $to).await?;
    }};
}

/// Moves an order its assigned provider works on (Accepted → InProgress, InProgress →
/// Completed) inside `tx`, with its history row; 409 `code` when the order moved meanwhile.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn provider_move(
    s: &AppState,
    tx: &deadpool_postgres::Transaction<'_>,
    id: i64,
    provider: i64,
    from: OrderStatus,
    to: OrderStatus,
    now: DateTime<Utc>,
    code: &'static str,
) -> Result<(), ApiError> {
    let orders = PgOrderRepository::new(tx);
    let changed = if to == OrderStatus::InProgress {
        orders.start(id, provider, from, to, now).await?
    } else {
        orders.complete(id, provider, from, to, now).await?
    };
    if changed == 0 {
        return Err(ApiError::conflict(code, "the order changed meanwhile; reload it"));
    }
    PgOrderHistoryRepository::new(tx)
        .insert(&history(s, id, Some(from), to, provider, None))
        .await?;
    Ok(())
}

/// What follows a committed status change: the counter, the provider's visit count when the
/// order is completed, and the `order.status_changed` event.
pub(crate) async fn after_move(
    s: &AppState,
    id: i64,
    operator: i64,
    from: OrderStatus,
    to: OrderStatus,
) -> Result<(), ApiError> {
    metrics::counter!("order_transitions_total", "to" => format!("{to:?}")).increment(1);
    if to == OrderStatus::Completed {
        PgProviderRepository::new(&s.pool).count_visit(operator, Utc::now()).await?;
    }
    let event =
        serde_json::json!({ "orderId": id, "from": from, "to": to, "operatorId": operator });
    s.events.publish("order.status_changed", s.ids.next_id(), &event).await;
    Ok(())
}

/// Start or complete: the assigned provider moves the order one step.
async fn provider_step(
    s: &AppState,
    user: AuthUser,
    id: i64,
    t: Transition,
    code: &'static str,
    message: &str,
) -> ApiResult {
    let order = assigned(s, id, &user).await?;
    let from = order.status;
    let now = Utc::now();
    let to = transition(from, t, Actor::Provider, now, order.service_at)
        .map_err(|e| refused(e, code))?;
    let mut client = s.pool.get().await.map_err(repo_runtime::Error::from)?;
    let tx = client.transaction().await.map_err(repo_runtime::Error::from)?;
    provider_move(s, &tx, id, user.id, from, to, now, code).await?;
    tx.commit().await.map_err(repo_runtime::Error::from)?;
    after_move(s, id, user.id, from, to).await?;
    ok(StatusCode::OK, message, OrderMoved { order_id: id, status: to })
}

#[utoipa::path(post, path = "/api/orders/{id}/cancel", tag = "orders", params(("id" = i64, Path, description = "object id")), responses((status = 200, description = "cancelled; 409 when no longer cancellable", body = OrderMoved), (status = 409, description = "the order can no longer be cancelled"), (status = 400, description = "malformed input"), (status = 422, description = "a field breaks a rule; the envelope names it")), security(("bearer" = [])))]
pub(crate) async fn cancel(
    State(s): State<AppState>,
    user: AuthUser,
    PathId(id): PathId,
    body: axum::body::Bytes,
) -> ApiResult {
    let reason = super::extract::optional_json::<CancelBody>(&body)?.unwrap_or_default().reason;
    validate::optional_text("reason", reason.as_deref(), 500)?;
    let order = load_visible(&s, id, &user).await?;
    let actor = if user.role == UserRole::Admin && order.customer_id != user.id {
        Actor::Admin
    } else if order.customer_id == user.id {
        Actor::Customer
    } else {
        return Err(ApiError::NotFound);
    };
    let from = order.status;
    let to = transition(from, Transition::Cancel, actor, Utc::now(), order.service_at)
        .map_err(|e| refused(e, "order_not_cancellable"))?;
    guarded!(s, order, user, from, to, reason.clone(), "order_not_cancellable", |orders, now| {
        orders.cancel(id, from, to, reason.as_deref(), now)
    });
    ok(StatusCode::OK, "cancelled", OrderMoved { order_id: id, status: to })
}

/// The caller as an approved provider, or 404 (they cannot see other people's orders).
pub(crate) async fn approved_provider(s: &AppState, user: &AuthUser) -> Result<(), ApiError> {
    match PgProviderRepository::new(&s.pool).by_user(user.id).await? {
        Some(p) if p.verify_status == ProviderVerify::Approved => Ok(()),
        _ => Err(ApiError::NotFound),
    }
}

#[utoipa::path(post, path = "/api/orders/{id}/accept", tag = "orders", params(("id" = i64, Path, description = "object id")), responses((status = 200, description = "accepted by an approved provider; 409 when taken", body = OrderMoved), (status = 409, description = "the order is no longer waiting, or it is the provider's own")), security(("bearer" = [])))]
pub(crate) async fn accept(
    State(s): State<AppState>,
    user: AuthUser,
    PathId(id): PathId,
) -> ApiResult {
    approved_provider(&s, &user).await?;
    let order = PgOrderRepository::new(&s.pool).get(id).await?.ok_or(ApiError::NotFound)?;
    if order.customer_id == user.id {
        return Err(ApiError::conflict("own_order", "providers cannot take their own orders"));
    }
    if order.provider_id.is_some_and(|p| p != user.id) {
        return Err(ApiError::NotFound);
    }
    let from = order.status;
    let to = transition(from, Transition::Accept, Actor::Provider, Utc::now(), order.service_at)
        .map_err(|e| refused(e, "order_not_acceptable"))?;
    guarded!(s, order, user, from, to, None, "order_not_acceptable", |orders, now| orders
        .accept(id, user.id, from, to, now));
    ok(StatusCode::OK, "accepted", OrderMoved { order_id: id, status: to })
}

#[utoipa::path(post, path = "/api/orders/{id}/start", tag = "orders", params(("id" = i64, Path, description = "object id")), responses((status = 200, description = "started", body = OrderMoved), (status = 409, description = "the order is not accepted, or it changed meanwhile")), security(("bearer" = [])))]
pub(crate) async fn start(
    State(s): State<AppState>,
    user: AuthUser,
    PathId(id): PathId,
) -> ApiResult {
    provider_step(&s, user, id, Transition::Start, "order_not_startable", "started").await
}

#[utoipa::path(post, path = "/api/orders/{id}/complete", tag = "orders", params(("id" = i64, Path, description = "object id")), responses((status = 200, description = "completed", body = OrderMoved), (status = 409, description = "the order is not in progress, or it changed meanwhile")), security(("bearer" = [])))]
pub(crate) async fn complete(
    State(s): State<AppState>,
    user: AuthUser,
    PathId(id): PathId,
) -> ApiResult {
    provider_step(&s, user, id, Transition::Complete, "order_not_completable", "completed").await
}
