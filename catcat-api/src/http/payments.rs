//! Payments over HTTP: the customer asks for the order's PaymentIntent; Stripe tells the
//! service what became of it ([`crate::app::payments`]).

use axum::extract::State;
use axum::http::HeaderMap;
use serde::Serialize;

use super::answer::{ApiResult, ok};
use super::extract::{AuthUser, PathId, RawBody};
use crate::app::payments;
use crate::domain::PaymentStatus;
use crate::repos::payments::Payment;
use crate::state::AppState;

routes!(pay, stripe_webhook);

/// An order's PaymentIntent: confirm it with Stripe.js and the client secret.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PaymentView {
    /// Stripe's `pi_…`.
    payment_intent_id: String,
    /// For Stripe.js on the customer's device; never logged.
    client_secret: String,
    /// The order's price.
    #[serde(with = "rust_decimal::serde::float")]
    #[schema(value_type = f64)]
    amount: repo_runtime::types::Decimal,
    /// Lower-case ISO code.
    currency: String,
    /// Where the payment is.
    status: PaymentStatus,
}

impl From<Payment> for PaymentView {
    fn from(p: Payment) -> Self {
        Self {
            payment_intent_id: p.payment_intent_id,
            client_secret: p.client_secret,
            amount: p.amount,
            currency: p.currency,
            status: p.status,
        }
    }
}

#[utoipa::path(post, path = "/api/orders/{id}/pay", tag = "payments", operation_id = "payOrder", params(("id" = i64, Path, description = "object id")), responses((status = 200, description = "the order's PaymentIntent, created once: asking again answers the same one; providers are offered the order once Stripe reports it paid", body = PaymentView), (status = 403, description = "`not_the_customer`: only the order's customer pays"), (status = 409, description = "`order_not_payable`: the order is still being booked, or no longer pending"), (status = 502, description = "`payment_provider_error`: Stripe refused; nothing was changed"), (status = 503, description = "`payment_provider_unavailable`: Stripe is unreachable; nothing was changed, retry")), security(("bearer" = [])))]
pub(crate) async fn pay(
    State(s): State<AppState>,
    user: AuthUser,
    PathId(id): PathId,
) -> ApiResult<PaymentView> {
    ok("ok", PaymentView::from(payments::pay(&s, user, id).await?))
}

/// What became of a delivered event.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct EventReceived {
    /// `applied`, `duplicate` (applied before), `stale` (older than the payment's state) or
    /// `ignored` (not an event or a payment this service acts on).
    outcome: payments::Outcome,
}

/// A Stripe event as Stripe signs it; the service reads these fields (the body is verified
/// byte for byte before it is parsed).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub(crate) struct StripeEvent {
    /// `evt_…`.
    #[schema(pattern = "^\\S+$")]
    id: String,
    /// `payment_intent.succeeded`, `payment_intent.payment_failed`, `payment_intent.canceled`,
    /// `charge.refunded`; other types are acknowledged and ignored.
    #[schema(rename = "type", pattern = "^[a-z_.]+$")]
    kind: String,
    /// `{ "object": … }`: the PaymentIntent or Charge.
    data: serde_json::Value,
}

#[utoipa::path(post, path = "/api/webhooks/stripe", tag = "payments", operation_id = "stripeWebhook", request_body(content = StripeEvent, description = "a Stripe event, exactly as Stripe signed it"), params(("Stripe-Signature" = String, Header, description = "t=…,v1=…")), responses((status = 200, description = "received: applied once, with the order and its history", body = EventReceived), (status = 400, description = "the signature is missing, malformed, stale or does not match, or the event does not parse; nothing was written"), (status = 503, description = "the event could not be applied now (Stripe delivers it again)")))]
pub(crate) async fn stripe_webhook(
    State(s): State<AppState>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<EventReceived> {
    let signature = headers.get("stripe-signature").and_then(|v| v.to_str().ok());
    let outcome = payments::webhook(&s, &body, signature).await?;
    ok("received", EventReceived { outcome })
}
