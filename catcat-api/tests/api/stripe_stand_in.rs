//! A local HTTP server speaking Stripe's protocol (form-encoded bodies, bearer key,
//! `Idempotency-Key`, Stripe's answer and error JSON) for PaymentIntents and Refunds, and the
//! other half of Stripe: signed webhook deliveries to the service.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::support::{TestApp, unique};

/// The secret key the stand-in accepts.
pub(crate) const KEY: &str = "sk_test_123";
/// The webhook secret test apps are configured with.
pub(crate) const WEBHOOK_SECRET: &str = "whsec_test_secret";

/// What the stand-in holds and was asked.
#[derive(Default)]
pub(crate) struct StandIn {
    /// Intents by idempotency key.
    pub(crate) intents: HashMap<String, Value>,
    /// Refunds by idempotency key.
    pub(crate) refunds: HashMap<String, Value>,
    /// Calls received.
    pub(crate) calls: usize,
    /// Answer this many of the next calls with a 500.
    pub(crate) fail_next: usize,
}

/// The stand-in's state, shared with the test.
pub(crate) type Shared = Arc<Mutex<StandIn>>;

/// `application/x-www-form-urlencoded` fields.
fn form_fields(body: &str) -> HashMap<String, String> {
    fn decode(s: &str) -> String {
        let bytes = s.replace('+', " ").into_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' && i + 2 < bytes.len() + 1 {
                out.push(
                    u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap(), 16)
                        .unwrap(),
                );
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    }
    body.split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

fn error(status: StatusCode, kind: &str, code: Option<&str>, message: &str) -> Answer {
    (status, Json(json!({ "error": { "type": kind, "code": code, "message": message } })))
}

/// A Stripe answer.
type Answer = (StatusCode, Json<Value>);

/// The checks every call gets: form body, bearer key, the injected failures; the form and the
/// idempotency key.
fn admit(
    s: &mut StandIn,
    headers: &HeaderMap,
    body: &str,
) -> Result<(HashMap<String, String>, String), Answer> {
    assert_eq!(headers["content-type"], "application/x-www-form-urlencoded");
    s.calls += 1;
    let bearer = format!("Bearer {KEY}");
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(bearer.as_str()) {
        let e = error(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            None,
            "Invalid API Key provided",
        );
        return Err(e);
    }
    if s.fail_next > 0 {
        s.fail_next -= 1;
        return Err(error(StatusCode::INTERNAL_SERVER_ERROR, "api_error", None, "try again"));
    }
    let key = headers["idempotency-key"].to_str().unwrap().to_owned();
    Ok((form_fields(body), key))
}

async fn payment_intents(State(s): State<Shared>, headers: HeaderMap, body: String) -> Answer {
    let mut s = s.lock().unwrap();
    let (form, key) = match admit(&mut s, &headers, &body) {
        Ok(admitted) => admitted,
        Err(e) => return e,
    };
    let amount: i64 = form["amount"].parse().unwrap();
    if amount < 50 {
        let message = "Amount must be at least 50 cents";
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            Some("amount_too_small"),
            message,
        );
    }
    let n = s.intents.len() + 1;
    let intent = s.intents.entry(key).or_insert_with(|| {
        json!({
            "id": format!("pi_{n}"), "object": "payment_intent", "client_secret": format!("pi_{n}_secret_x"),
            "amount": amount, "currency": form["currency"], "status": "requires_payment_method",
            "metadata": { "order_id": form["metadata[order_id]"] },
        })
    });
    (StatusCode::OK, Json(intent.clone()))
}

async fn refunds(State(s): State<Shared>, headers: HeaderMap, body: String) -> Answer {
    let mut s = s.lock().unwrap();
    let (form, key) = match admit(&mut s, &headers, &body) {
        Ok(admitted) => admitted,
        Err(e) => return e,
    };
    let intent = form["payment_intent"].clone();
    if !s.intents.values().any(|i| i["id"] == intent.as_str()) {
        let message = format!("No such payment_intent: '{intent}'");
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            Some("resource_missing"),
            &message,
        );
    }
    let n = s.refunds.len() + 1;
    let refund = s.refunds.entry(key).or_insert_with(|| {
        json!({ "id": format!("re_{n}"), "object": "refund", "payment_intent": intent, "status": "succeeded" })
    });
    (StatusCode::OK, Json(refund.clone()))
}

/// Starts a stand-in; its base URL and state.
pub(crate) async fn stand_in() -> (String, Shared) {
    let shared = Shared::default();
    let app = Router::new()
        .route("/v1/payment_intents", post(payment_intents))
        .route("/v1/refunds", post(refunds))
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, shared)
}

/// A Stripe event's body, with a fresh id.
pub(crate) fn event(kind: &str, object: Value) -> String {
    json!({
        "id": unique("evt"), "object": "event", "type": kind, "created": chrono::Utc::now().timestamp(),
        "data": { "object": object },
    })
    .to_string()
}

/// The object of a PaymentIntent event.
pub(crate) fn intent(id: &str) -> Value {
    json!({ "id": id, "object": "payment_intent", "status": "succeeded", "payment_method_types": ["card"] })
}

/// The object of a `charge.refunded` event.
pub(crate) fn refunded_charge(intent: &str) -> Value {
    json!({ "id": unique("ch"), "object": "charge", "payment_intent": intent, "refunded": true })
}

/// Posts `body` to the webhook with `signature` as `Stripe-Signature` (none: no header);
/// (status, answer).
pub(crate) async fn deliver_signed(
    app: &TestApp,
    body: &str,
    signature: Option<&str>,
) -> (u16, Value) {
    let headers: Vec<(&str, &str)> =
        signature.map(|s| ("Stripe-Signature", s)).into_iter().collect();
    let (status, _, bytes) = app
        .raw("POST", "/api/webhooks/stripe", None, &headers, Some(body.as_bytes().to_vec()))
        .await;
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// Delivers `body` as Stripe would: signed now with the app's webhook secret.
pub(crate) async fn deliver(app: &TestApp, body: &str) -> (u16, Value) {
    let signature = catcat_api::infra::stripe::sign(
        body.as_bytes(),
        WEBHOOK_SECRET,
        chrono::Utc::now().timestamp(),
    );
    deliver_signed(app, body, Some(&signature)).await
}
