//! What the order tests share: a customer's cat, a booking, an approved provider.

use std::time::Duration;

use chrono::Utc;
use serde_json::{Value, json};

use super::described::described;
use super::support::{TestApp, login, phone};

pub(crate) async fn add_cat(app: &TestApp, token: &str) -> i64 {
    let (s, b) = app
        .call("POST", "/api/pets", Some(token), Some(json!({ "name": "Mochi", "type": 1 })))
        .await;
    assert_eq!(s, 201, "{b}");
    b["data"]["id"].as_i64().unwrap()
}

pub(crate) fn booking(pet: i64) -> Value {
    json!({ "packageId": 2, "petId": pet, "serviceAt": (Utc::now() + chrono::Duration::days(2)).to_rfc3339(), "address": "1 Cat Street" })
}

pub(crate) async fn book(app: &TestApp, token: &str, pet: i64, key: &str) -> (u16, Value) {
    book_body(app, token, &booking(pet), key).await
}

pub(crate) async fn book_body(app: &TestApp, token: &str, body: &Value, key: &str) -> (u16, Value) {
    let res = app
        .http
        .post(format!("{}/api/orders", app.base))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

/// Waits until the queued order is persisted (no longer shown as Queued); its detail.
pub(crate) async fn persisted(app: &TestApp, token: &str, id: i64) -> Value {
    for _ in 0..200 {
        let (s, b) = app.call("GET", &format!("/api/orders/{id}"), Some(token), None).await;
        assert_eq!(s, 200, "a booked order is visible at once, queued or saved: {b}");
        if b["data"]["status"] != -1 {
            return b["data"].clone();
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("order {id} was never persisted");
}

/// A provider approved by the seeded admin; (access token, user id).
pub(crate) async fn provider(app: &TestApp) -> (String, i64) {
    let p = phone();
    let (t, _, id) = app.register(&p).await;
    let (s, b) = app
        .call(
            "POST",
            "/api/providers/apply",
            Some(&t),
            Some(json!({ "realName": "Sam Sitter", "idCard": "110101199001011234" })),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let (_, doc) = app.call("GET", "/openapi.json", None, None).await;
    described(&doc, "POST", "/api/providers/apply", s, &b);
    let application = b["data"]["id"].as_i64().unwrap();
    let admin = login(app, "+8610000000000", "admin-password-1").await;
    let (s, b) = app
        .call("POST", &format!("/api/admin/providers/{application}/approve"), Some(&admin), None)
        .await;
    assert_eq!(s, 200, "{b}");
    described(&doc, "POST", "/api/admin/providers/{id}/approve", s, &b);
    let (s, _) = app
        .call("POST", &format!("/api/admin/providers/{application}/approve"), Some(&admin), None)
        .await;
    assert_eq!(s, 409, "decided once");
    (login(app, &p, "secret-pass-1").await, id)
}

/// Pays for a persisted order as its customer would: the intent, then Stripe's
/// `payment_intent.succeeded`; the intent's id.
pub(crate) async fn paid(app: &TestApp, token: &str, id: i64) -> String {
    use super::stripe_stand_in::{deliver, event, intent};
    let (s, b) = app.call("POST", &format!("/api/orders/{id}/pay"), Some(token), None).await;
    assert_eq!(s, 200, "{b}");
    let pi = b["data"]["paymentIntentId"].as_str().unwrap().to_owned();
    let (s, b) = deliver(app, &event("payment_intent.succeeded", intent(&pi))).await;
    assert_eq!((s, b["data"]["outcome"].as_str()), (200, Some("applied")), "{b}");
    pi
}

/// A saved, pending (unpaid) order of a new customer; (customer's token, customer id, order id).
pub(crate) async fn saved_order(app: &TestApp) -> (String, i64, i64) {
    let (token, _, id) = app.register(&phone()).await;
    let pet = add_cat(app, &token).await;
    let (s, b) = book(app, &token, pet, &format!("k-{}", phone())).await;
    assert_eq!(s, 202, "{b}");
    let order = b["data"]["orderId"].as_i64().unwrap();
    persisted(app, &token, order).await;
    (token, id, order)
}
