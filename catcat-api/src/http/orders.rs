//! Orders over HTTP: each handler reads the request, calls its workflow in
//! [`crate::app::orders`] and answers in the envelope. Booking runs under the
//! `Idempotency-Key` protocol of [`crate::app::idempotency`].

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::answer::{Answer, ApiResult, Recorded, ok};
use super::error::ApiError;
use super::extract::{ApiJson, ApiQuery, AuthUser, PathId};
use super::views::{ListQuery, OrderMoved, OrderView, Paged, order_page};
use crate::app::booking::{self, Booking};
use crate::app::idempotency::{self, Claim};
use crate::app::orders::{self, OrderDetail};
use crate::domain::OrderStatus;
use crate::domain::order::Transition;
use crate::infra::tokens::hash;
use crate::repos::orders::OrderHistory;
use crate::state::AppState;

routes!(create, mine, detail, cancel, accept, start, complete);

/// A booking.
#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct CreateOrder {
    package_id: i64,
    pet_id: i64,
    /// Between two hours and thirty days from now.
    service_at: DateTime<Utc>,
    /// 1 to 200 characters, no control characters.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    address: String,
    /// At most 200 characters.
    #[schema(
        max_length = 200,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    address_detail: Option<String>,
    /// At most 500 characters.
    #[schema(
        max_length = 500,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    remark: Option<String>,
}

impl From<CreateOrder> for Booking {
    fn from(b: CreateOrder) -> Self {
        Self {
            package_id: b.package_id,
            pet_id: b.pet_id,
            service_at: b.service_at,
            address: b.address,
            address_detail: b.address_detail,
            remark: b.remark,
        }
    }
}

/// What booking answers (202): the order is queued and will be persisted by the consumer.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OrderQueued {
    order_id: i64,
    order_no: String,
    status: OrderStatus,
}

/// The `Idempotency-Key` header: 1 to 255 visible ASCII characters.
fn idempotency_key(headers: &HeaderMap) -> Result<String, ApiError> {
    headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
        .ok_or_else(|| {
            ApiError::BadRequest(
                "an Idempotency-Key header (1 to 255 visible ASCII characters) is required".into(),
            )
        })
}

#[utoipa::path(post, path = "/api/orders", tag = "orders", operation_id = "createOrder", request_body = CreateOrder, params(("Idempotency-Key" = String, Header, description = "required; retries with the same key get the first answer, byte for byte, for 24 hours", min_length = 1, max_length = 255, pattern = "^[!-~]+$")), responses((status = 202, description = "queued", body = OrderQueued), (status = 409, description = "a request with the same Idempotency-Key is still running; retry"), (status = 503, description = "the order queue is unavailable; retry with the same key")), security(("bearer" = [])))]
pub(crate) async fn create(
    State(s): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    ApiJson(b): ApiJson<CreateOrder>,
) -> Result<Recorded<OrderQueued, 202>, ApiError> {
    let key = idempotency_key(&headers)?;
    let request_hash = hash(&serde_json::to_string(&b).map_err(|e| ApiError::Internal(e.into()))?);
    if let Claim::Replay { status, body } =
        idempotency::claim(&s, user.id, &key, &request_hash).await?
    {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
        return Ok(Recorded::new(status, body.into_bytes()));
    }
    // The first request runs to its end even if its client goes away, so its key always gets
    // an answer or is given back.
    let work = tokio::spawn(async move {
        let answer = match booking::book(&s, user, b.into()).await {
            Ok(q) => {
                let data = OrderQueued {
                    order_id: q.order_id,
                    order_no: q.order_no,
                    status: OrderStatus::Queued,
                };
                let answer: Answer<_, 202> = ok("queued", data)?;
                answer.into_bytes().map(|bytes| (Answer::<OrderQueued, 202>::status(), bytes))
            }
            Err(e) => Err(ApiError::from(e)),
        };
        let (status, bytes) = answer.unwrap_or_else(|e| e.envelope());
        let text = String::from_utf8_lossy(&bytes);
        idempotency::record(&s, user.id, &key, status.as_u16(), &text).await?;
        Ok::<_, ApiError>(Recorded::new(status, bytes))
    });
    work.await.map_err(|e| ApiError::Internal(e.into()))?
}

/// An order with what it is for and how it got where it is.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Detail {
    #[serde(flatten)]
    order: OrderView,
    /// Null if the package has since been deleted.
    package: Option<PackageBrief>,
    /// Null if the pet has since been removed.
    pet: Option<PetBrief>,
    /// Empty while the order is queued.
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

impl From<OrderDetail> for Detail {
    fn from(d: OrderDetail) -> Self {
        Self {
            package: d.package.map(|p| PackageBrief {
                id: p.id,
                name: p.name,
                price: p.price,
                duration_minutes: p.duration_minutes,
            }),
            pet: d.pet.map(|p| PetBrief {
                id: p.id,
                name: p.name,
                pet_type: p.pet_type,
                avatar: p.avatar,
            }),
            order: d.order.into(),
            history: d.history,
        }
    }
}

#[utoipa::path(get, path = "/api/orders/{id}", tag = "orders", operation_id = "getOrder", params(("id" = i64, Path, description = "object id")), responses((status = 200, description = "order, package, pet, history (a queued order is shown as Queued until the consumer saves it); 404 to anyone but its customer, provider, admins", body = Detail)), security(("bearer" = [])))]
pub(crate) async fn detail(
    State(s): State<AppState>,
    user: AuthUser,
    PathId(id): PathId,
) -> ApiResult<Detail> {
    let detail = orders::detail(&s, user, id).await?;
    ok("ok", Detail::from(detail))
}

#[utoipa::path(get, path = "/api/orders/my", tag = "orders", operation_id = "listMyOrders", params(("status" = Option<OrderStatus>, Query, description = "filter by status value"), ("page" = Option<i64>, Query, description = "1-based, default 1", minimum = 1, maximum = 1000000), ("pageSize" = Option<i64>, Query, description = "1 to 100, default 20", minimum = 1, maximum = 100)), responses((status = 200, description = "a page of the caller's orders", body = Paged<OrderView>)), security(("bearer" = [])))]
pub(crate) async fn mine(
    State(s): State<AppState>,
    user: AuthUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Paged<OrderView>> {
    let status = q.status()?;
    let (page, size, limit, offset) = q.paging()?;
    order_page(orders::mine(&s, user, status, limit, offset).await?, page, size)
}

/// Why the order is cancelled.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct CancelBody {
    /// At most 500 characters.
    #[schema(
        max_length = 500,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    reason: Option<String>,
}

#[utoipa::path(post, path = "/api/orders/{id}/cancel", tag = "orders", operation_id = "cancelOrder", request_body(content = CancelBody, description = "optional"), params(("id" = i64, Path, description = "object id")), responses((status = 200, description = "cancelled", body = OrderMoved), (status = 409, description = "the order can no longer be cancelled (`too_late_to_cancel` within two hours of an accepted visit)")), security(("bearer" = [])))]
pub(crate) async fn cancel(
    State(s): State<AppState>,
    user: AuthUser,
    PathId(id): PathId,
    body: axum::body::Bytes,
) -> ApiResult<OrderMoved> {
    let reason = super::extract::optional_json::<CancelBody>(&body)?.unwrap_or_default().reason;
    let status = orders::cancel(&s, user, id, reason).await?;
    ok("cancelled", OrderMoved { order_id: id, status })
}

#[utoipa::path(post, path = "/api/orders/{id}/accept", tag = "orders", operation_id = "acceptOrder", params(("id" = i64, Path, description = "object id")), responses((status = 200, description = "accepted by an approved provider", body = OrderMoved), (status = 409, description = "the order is no longer waiting, or it is the provider's own")), security(("bearer" = [])))]
pub(crate) async fn accept(
    State(s): State<AppState>,
    user: AuthUser,
    PathId(id): PathId,
) -> ApiResult<OrderMoved> {
    let status = orders::accept(&s, user, id).await?;
    ok("accepted", OrderMoved { order_id: id, status })
}

#[utoipa::path(post, path = "/api/orders/{id}/start", tag = "orders", operation_id = "startOrder", params(("id" = i64, Path, description = "object id")), responses((status = 200, description = "started", body = OrderMoved), (status = 409, description = "the order is not accepted, or it changed meanwhile")), security(("bearer" = [])))]
pub(crate) async fn start(
    State(s): State<AppState>,
    user: AuthUser,
    PathId(id): PathId,
) -> ApiResult<OrderMoved> {
    let status = orders::provider_step(&s, user, id, Transition::Start).await?;
    ok("started", OrderMoved { order_id: id, status })
}

#[utoipa::path(post, path = "/api/orders/{id}/complete", tag = "orders", operation_id = "completeOrder", params(("id" = i64, Path, description = "object id")), responses((status = 200, description = "completed", body = OrderMoved), (status = 409, description = "the order is not in progress, or it changed meanwhile")), security(("bearer" = [])))]
pub(crate) async fn complete(
    State(s): State<AppState>,
    user: AuthUser,
    PathId(id): PathId,
) -> ApiResult<OrderMoved> {
    let status = orders::provider_step(&s, user, id, Transition::Complete).await?;
    ok("completed", OrderMoved { order_id: id, status })
}
