//! The Stripe client against a local stand-in that speaks Stripe's protocol: form-encoded
//! bodies, bearer key, `Idempotency-Key`, Stripe's error JSON. A 500 is retried with the same
//! key and makes one intent, not two; a card error is reported as Stripe worded it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use catcat_api::config::SecretString;
use catcat_api::infra::stripe::{Stripe, StripeError};
use serde_json::{Value, json};

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

#[derive(Default)]
struct StandIn {
    /// Intents by idempotency key.
    intents: HashMap<String, Value>,
    /// Calls received.
    calls: usize,
    /// Answer the next call with a 500.
    fail_next: bool,
}

type Shared = Arc<Mutex<StandIn>>;

async fn payment_intents(
    State(s): State<Shared>,
    headers: HeaderMap,
    body: String,
) -> (StatusCode, Json<Value>) {
    assert_eq!(headers["content-type"], "application/x-www-form-urlencoded");
    let form = form_fields(&body);
    let mut s = s.lock().unwrap();
    s.calls += 1;
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer sk_test_123") {
        let error = json!({ "error": { "type": "invalid_request_error", "message": "Invalid API Key provided" } });
        return (StatusCode::UNAUTHORIZED, Json(error));
    }
    if std::mem::take(&mut s.fail_next) {
        let error = json!({ "error": { "type": "api_error", "message": "try again" } });
        return (StatusCode::INTERNAL_SERVER_ERROR, Json(error));
    }
    let amount: i64 = form["amount"].parse().unwrap();
    if amount < 50 {
        let error = json!({ "error": { "type": "invalid_request_error", "code": "amount_too_small", "message": "Amount must be at least 50 cents" } });
        return (StatusCode::BAD_REQUEST, Json(error));
    }
    let key = headers["idempotency-key"].to_str().unwrap().to_owned();
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

async fn stand_in() -> (String, Shared) {
    let shared = Shared::default();
    let app = Router::new()
        .route("/v1/payment_intents", post(payment_intents))
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, shared)
}

#[tokio::test]
async fn a_failed_call_is_retried_with_its_key_and_makes_one_intent() {
    let (base, s) = stand_in().await;
    let stripe = Stripe::new(&base, SecretString::from("sk_test_123")).unwrap();
    s.lock().unwrap().fail_next = true;
    let first = stripe.create_payment_intent(12_900, "cny", 42, "order-42-pay").await.unwrap();
    assert_eq!((first.amount, first.currency.as_str()), (12_900, "cny"));
    assert_eq!(first.status, "requires_payment_method");
    assert!(first.client_secret.starts_with(&first.id));
    // Asked again (a client retry): the same intent.
    let again = stripe.create_payment_intent(12_900, "cny", 42, "order-42-pay").await.unwrap();
    assert_eq!(again, first);
    let s = s.lock().unwrap();
    assert_eq!(
        (s.calls, s.intents.len()),
        (3, 1),
        "a 500, its retry, the client's retry: one intent"
    );
    assert_eq!(s.intents["order-42-pay"]["metadata"]["order_id"], "42");
}

#[tokio::test]
async fn stripe_errors_are_reported_as_stripe_worded_them_and_not_retried() {
    let (base, s) = stand_in().await;
    let stripe = Stripe::new(&base, SecretString::from("sk_test_123")).unwrap();
    match stripe.create_payment_intent(10, "cny", 7, "order-7-pay").await {
        Err(StripeError::Api { status: 400, kind, code, message }) => {
            assert_eq!(kind, "invalid_request_error");
            assert_eq!(code.as_deref(), Some("amount_too_small"));
            assert_eq!(message, "Amount must be at least 50 cents");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.lock().unwrap().calls, 1, "a 4xx is not retried");
    let wrong_key = Stripe::new(&base, SecretString::from("sk_test_wrong")).unwrap();
    let err = wrong_key.create_payment_intent(1000, "cny", 7, "order-7-pay").await.unwrap_err();
    assert!(matches!(err, StripeError::Api { status: 401, .. }), "{err:?}");
    // Nothing listens: unavailable, after the bounded retries.
    let gone = Stripe::new("http://127.0.0.1:9", SecretString::from("sk_test_123")).unwrap();
    let err = gone.create_payment_intent(1000, "cny", 7, "order-7-pay").await.unwrap_err();
    assert!(matches!(err, StripeError::Unavailable(_)), "{err:?}");
}
