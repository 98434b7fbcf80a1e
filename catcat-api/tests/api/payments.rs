//! Payments end to end against the local Stripe stand-in: pay → webhook → the provider sees the
//! order → cancel → refund → Refunded; the webhook's signature matrix over HTTP, replays and
//! out-of-order events; Stripe failing (one intent after a 500, nothing changed when it is
//! down); the dev-mode stand-in inside the service; who may pay.

use std::time::Duration;

use catcat_api::infra::stripe::sign;
use serde_json::{Value, json};

use super::fixtures::{paid, provider, saved_order};
use super::stripe_stand_in::{
    WEBHOOK_SECRET, deliver, deliver_signed, event, intent, refunded_charge,
};
use super::support::{TestApp, login, phone};

/// A saved, pending order of a new customer; (customer's token, order id).
async fn pending(app: &TestApp) -> (String, i64) {
    let (token, _, order) = saved_order(app).await;
    (token, order)
}

async fn order(app: &TestApp, token: &str, id: i64) -> Value {
    let (s, b) = app.call("GET", &format!("/api/orders/{id}"), Some(token), None).await;
    assert_eq!(s, 200, "{b}");
    b["data"].clone()
}

/// The payment row's status and the number of Stripe events recorded.
async fn behind(app: &TestApp, order: i64) -> (Option<i16>, i64) {
    let db = app.sql().await;
    let status = db
        .query_opt("SELECT status FROM payments WHERE order_id = $1", &[&order])
        .await
        .unwrap()
        .map(|r| r.get(0));
    let events = db.query_one("SELECT count(*) FROM stripe_events", &[]).await.unwrap().get(0);
    (status, events)
}

fn outcome(answer: &(u16, Value)) -> (u16, Option<&str>) {
    (answer.0, answer.1["data"]["outcome"].as_str())
}

#[tokio::test]
async fn pay_webhook_offer_cancel_refund() {
    let app = TestApp::spawn().await;
    let (customer, id) = pending(&app).await;
    let path = format!("/api/orders/{id}/pay");
    let (s, first) = app.call("POST", &path, Some(&customer), None).await;
    assert_eq!(s, 200, "{first}");
    let data = &first["data"];
    assert_eq!((data["amount"].as_f64(), data["currency"].as_str()), (Some(50.0), Some("cny")));
    assert_eq!(data["status"], 0, "pending until Stripe says otherwise");
    let pi = data["paymentIntentId"].as_str().unwrap().to_owned();
    assert!(data["clientSecret"].as_str().unwrap().starts_with(&pi));
    // Asking again answers the same intent, and Stripe was asked once.
    let (s, again) = app.call("POST", &path, Some(&customer), None).await;
    assert_eq!((s, &again["data"]), (200, data));
    {
        let stripe = app.stripe.lock().unwrap();
        assert_eq!(stripe.calls, 1);
        let made = &stripe.intents[&format!("order-{id}-intent")];
        assert_eq!(made["amount"], 5000, "in the currency's minor unit");
        assert_eq!(made["metadata"]["order_id"], id.to_string());
    }

    let (sitter, _) = provider(&app).await;
    let accept = format!("/api/orders/{id}/accept");
    let (s, b) = app.call("POST", &accept, Some(&sitter), None).await;
    assert_eq!((s, b["error"].as_str()), (409, Some("order_not_paid")), "{b}");
    let succeeded = event("payment_intent.succeeded", intent(&pi));
    assert_eq!(outcome(&deliver(&app, &succeeded).await), (200, Some("applied")));
    assert_eq!(outcome(&deliver(&app, &succeeded).await), (200, Some("duplicate")));
    assert!(order(&app, &customer, id).await["paidAt"].is_string());
    let (_, b) = app.call("POST", &path, Some(&customer), None).await;
    assert_eq!(b["data"]["status"], 2, "the payment reads back as succeeded: {b}");
    let (s, b) = app.call("POST", &accept, Some(&sitter), None).await;
    assert_eq!(s, 200, "accepted once paid: {b}");

    // Cancelling the paid order refunds it; it is Refunded when Stripe confirms.
    let (s, b) = app.call("POST", &format!("/api/orders/{id}/cancel"), Some(&customer), None).await;
    assert_eq!((s, b["data"]["status"].as_i64()), (200, Some(4)), "{b}");
    {
        let stripe = app.stripe.lock().unwrap();
        assert_eq!(stripe.refunds.len(), 1);
        assert_eq!(stripe.refunds[&format!("order-{id}-refund")]["payment_intent"], pi.as_str());
    }
    assert_eq!(order(&app, &customer, id).await["status"], 4, "cancelled, not yet refunded");
    let confirmed = event("charge.refunded", refunded_charge(&pi));
    assert_eq!(outcome(&deliver(&app, &confirmed).await), (200, Some("applied")));
    let detail = order(&app, &customer, id).await;
    assert_eq!(detail["status"], 5, "{detail}");
    let last = detail["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["fromStatus"].as_i64(), last["toStatus"].as_i64()), (Some(4), Some(5)));
    assert_eq!(behind(&app, id).await.0, Some(5), "the payment is Refunded");
    // A late success of the same intent never moves it back.
    let late = event("payment_intent.succeeded", intent(&pi));
    assert_eq!(outcome(&deliver(&app, &late).await), (200, Some("stale")));
    assert_eq!(
        (behind(&app, id).await.0, order(&app, &customer, id).await["status"].as_i64()),
        (Some(5), Some(5))
    );
}

#[tokio::test]
async fn the_webhook_signature_matrix_writes_nothing_it_refuses() {
    let app = TestApp::spawn().await;
    let (customer, id) = pending(&app).await;
    let (_, b) = app.call("POST", &format!("/api/orders/{id}/pay"), Some(&customer), None).await;
    let pi = b["data"]["paymentIntentId"].as_str().unwrap().to_owned();
    let body = event("payment_intent.succeeded", intent(&pi));
    let now = chrono::Utc::now().timestamp();
    let good = sign(body.as_bytes(), WEBHOOK_SECRET, now);
    let v1 = good.split_once(",v1=").unwrap().1.to_owned();
    let tampered = body.replace("succeeded\"", "succeeded \"");
    let refused: Vec<(&str, Option<String>, &str)> = vec![
        ("missing", None, &body),
        ("malformed", Some("garbage".into()), &body),
        ("no v1", Some(format!("t={now}")), &body),
        ("wrong secret", Some(sign(body.as_bytes(), "whsec_other", now)), &body),
        ("stale", Some(sign(body.as_bytes(), WEBHOOK_SECRET, now - 330)), &body),
        ("future", Some(sign(body.as_bytes(), WEBHOOK_SECRET, now + 330)), &body),
        ("tampered body", Some(good.clone()), &tampered),
    ];
    for (case, header, body) in refused {
        let (s, b) = deliver_signed(&app, body, header.as_deref()).await;
        assert_eq!((s, b["error"].as_str()), (400, Some("bad_request")), "{case}: {b}");
        assert_eq!(behind(&app, id).await, (Some(0), 0), "{case}: nothing written");
    }
    // Valid JSON signed right but not an event: 400 too, nothing written.
    let not_event = r#"{"hello":"world"}"#;
    let signed = sign(not_event.as_bytes(), WEBHOOK_SECRET, now);
    let (s, _) = deliver_signed(&app, not_event, Some(&signed)).await;
    assert_eq!((s, behind(&app, id).await), (400, (Some(0), 0)));
    // A good v1 among bad ones (Stripe sends several while a secret rolls over) is accepted.
    let among = format!("t={now},v1=00ff,v1=not-hex,v1={v1},v0=abc");
    let answer = deliver_signed(&app, &body, Some(&among)).await;
    assert_eq!(outcome(&answer), (200, Some("applied")));
    assert_eq!(behind(&app, id).await, (Some(2), 1));
    // The replay of a processed event id is acknowledged and does nothing.
    assert_eq!(outcome(&deliver(&app, &body).await), (200, Some("duplicate")));
    assert_eq!(behind(&app, id).await, (Some(2), 1));
    // Types the service does not act on: 200, ignored.
    let other = event("customer.created", json!({ "id": "cus_1", "object": "customer" }));
    assert_eq!(outcome(&deliver(&app, &other).await), (200, Some("ignored")));
    // Bodies of any size or shape: a clean 400 or 413, never a crash.
    for junk in [String::new(), "[".into(), "\u{0}".repeat(10), "x".repeat(70_000)] {
        let signed = sign(junk.as_bytes(), WEBHOOK_SECRET, now);
        let (s, _) = deliver_signed(&app, &junk, Some(&signed)).await;
        assert!(s == 400 || s == 413, "{s} for {} bytes", junk.len());
    }
    assert_eq!(behind(&app, id).await, (Some(2), 1));
}

#[tokio::test]
async fn events_twice_or_out_of_order_never_move_a_payment_backwards() {
    let app = TestApp::spawn().await;
    let (customer, id) = pending(&app).await;
    let (_, b) = app.call("POST", &format!("/api/orders/{id}/pay"), Some(&customer), None).await;
    let pi = b["data"]["paymentIntentId"].as_str().unwrap().to_owned();
    // A declined card, then a good one: Failed, then Succeeded.
    let mut declined = intent(&pi);
    declined["last_payment_error"] = json!({ "message": "Your card was declined." });
    let failed = event("payment_intent.payment_failed", declined);
    assert_eq!(outcome(&deliver(&app, &failed).await), (200, Some("applied")));
    let db = app.sql().await;
    let error: Option<String> = db
        .query_one("SELECT error FROM payments WHERE order_id = $1", &[&id])
        .await
        .unwrap()
        .get(0);
    assert_eq!(error.as_deref(), Some("Your card was declined."));
    assert!(order(&app, &customer, id).await["paidAt"].is_null(), "a failure pays nothing");
    assert_eq!(
        outcome(&deliver(&app, &event("payment_intent.succeeded", intent(&pi))).await),
        (200, Some("applied"))
    );
    // The failure delivered again late, and a cancellation of the intent: both stale.
    let late_failure = event("payment_intent.payment_failed", intent(&pi));
    assert_eq!(outcome(&deliver(&app, &late_failure).await), (200, Some("stale")));
    let canceled = event("payment_intent.canceled", intent(&pi));
    assert_eq!(outcome(&deliver(&app, &canceled).await), (200, Some("stale")));
    assert_eq!(behind(&app, id).await.0, Some(2));
    assert!(order(&app, &customer, id).await["paidAt"].is_string());
    // An intent this service never made: acknowledged, ignored.
    let foreign = event("payment_intent.succeeded", intent("pi_someone_else"));
    assert_eq!(outcome(&deliver(&app, &foreign).await), (200, Some("ignored")));
}

#[tokio::test]
async fn a_payment_after_cancellation_is_refunded() {
    let app = TestApp::spawn().await;
    let (customer, id) = pending(&app).await;
    let (_, b) = app.call("POST", &format!("/api/orders/{id}/pay"), Some(&customer), None).await;
    let pi = b["data"]["paymentIntentId"].as_str().unwrap().to_owned();
    let (s, _) = app.call("POST", &format!("/api/orders/{id}/cancel"), Some(&customer), None).await;
    assert_eq!(s, 200);
    assert!(app.stripe.lock().unwrap().refunds.is_empty(), "nothing was paid yet");
    // The customer's payment went through anyway: the money goes back.
    let succeeded = event("payment_intent.succeeded", intent(&pi));
    assert_eq!(outcome(&deliver(&app, &succeeded).await), (200, Some("applied")));
    assert_eq!(app.stripe.lock().unwrap().refunds.len(), 1);
    let confirmed = event("charge.refunded", refunded_charge(&pi));
    assert_eq!(outcome(&deliver(&app, &confirmed).await), (200, Some("applied")));
    assert_eq!(order(&app, &customer, id).await["status"], 5);
}

#[tokio::test]
async fn stripe_failing_changes_nothing_and_a_retry_makes_one_intent() {
    let app = TestApp::spawn().await;
    let (customer, id) = pending(&app).await;
    let path = format!("/api/orders/{id}/pay");
    // One 500: the client's own retry gets the intent.
    app.stripe.lock().unwrap().fail_next = 1;
    let (s, b) = app.call("POST", &path, Some(&customer), None).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(app.stripe.lock().unwrap().intents.len(), 1);

    let (other, second) = pending(&app).await;
    let path = format!("/api/orders/{second}/pay");
    // Down through every retry: 503, nothing kept; then one intent.
    app.stripe.lock().unwrap().fail_next = 3;
    let (s, b) = app.call("POST", &path, Some(&other), None).await;
    assert_eq!((s, b["error"].as_str()), (503, Some("payment_provider_unavailable")), "{b}");
    assert_eq!(behind(&app, second).await.0, None, "no payment row");
    let (s, b) = app.call("POST", &path, Some(&other), None).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(app.stripe.lock().unwrap().intents.len(), 2, "one intent per order");

    // A paid order is not cancelled while Stripe cannot refund it.
    let pi = b["data"]["paymentIntentId"].as_str().unwrap();
    assert_eq!(
        outcome(&deliver(&app, &event("payment_intent.succeeded", intent(pi))).await).0,
        200
    );
    app.stripe.lock().unwrap().fail_next = 3;
    let cancel = format!("/api/orders/{second}/cancel");
    let (s, b) = app.call("POST", &cancel, Some(&other), None).await;
    assert_eq!((s, b["error"].as_str()), (503, Some("payment_provider_unavailable")), "{b}");
    assert_eq!(order(&app, &other, second).await["status"], 0, "the order is as it was");
    assert!(app.stripe.lock().unwrap().refunds.is_empty());
    let (s, _) = app.call("POST", &cancel, Some(&other), None).await;
    assert_eq!(s, 200, "the retry cancels and refunds");
    assert_eq!(app.stripe.lock().unwrap().refunds.len(), 1);
}

#[tokio::test]
async fn stripe_refusing_answers_502_and_keeps_nothing() {
    let app = TestApp::spawn_with(|c| {
        c.stripe_secret_key = Some(catcat_api::config::SecretString::from("sk_test_wrong"));
    })
    .await;
    let (customer, id) = pending(&app).await;
    let (s, b) = app.call("POST", &format!("/api/orders/{id}/pay"), Some(&customer), None).await;
    assert_eq!((s, b["error"].as_str()), (502, Some("payment_provider_error")), "{b}");
    assert!(!b.to_string().contains("Invalid API Key"), "Stripe's words are logged, not sent");
    assert_eq!(behind(&app, id).await.0, None);
}

#[tokio::test]
async fn only_the_customer_pays_and_only_a_pending_order() {
    let app = TestApp::spawn().await;
    let (customer, id) = pending(&app).await;
    let (stranger, _, _) = app.register(&phone()).await;
    let path = format!("/api/orders/{id}/pay");
    let (s, _) = app.call("POST", &path, Some(&stranger), None).await;
    assert_eq!(s, 404, "a stranger cannot see it");
    let admin = login(&app, "+8610000000000", "admin-password-1").await;
    let (s, b) = app.call("POST", &path, Some(&admin), None).await;
    assert_eq!((s, b["error"].as_str()), (403, Some("not_the_customer")), "{b}");
    let (s, _) = app.call("POST", &path, None, None).await;
    assert_eq!(s, 401);
    let (s, _) = app.call("POST", "/api/orders/123456789/pay", Some(&customer), None).await;
    assert_eq!(s, 404);
    let (s, _) = app.call("POST", "/api/orders/abc/pay", Some(&customer), None).await;
    assert_eq!(s, 404, "no such order, as everywhere an id is not a number");
    assert_eq!(behind(&app, id).await.0, None, "nobody else made a payment");
    // Cancelled before paying: it can no longer be paid.
    let (s, _) = app.call("POST", &format!("/api/orders/{id}/cancel"), Some(&customer), None).await;
    assert_eq!(s, 200);
    let (s, b) = app.call("POST", &path, Some(&customer), None).await;
    assert_eq!((s, b["error"].as_str()), (409, Some("order_not_payable")), "{b}");
    assert_eq!(app.stripe.lock().unwrap().calls, 0);
    // The provider who took a paid order cannot pay it either.
    let (customer, id) = pending(&app).await;
    paid(&app, &customer, id).await;
    let (sitter, _) = provider(&app).await;
    let (s, _) = app.call("POST", &format!("/api/orders/{id}/accept"), Some(&sitter), None).await;
    assert_eq!(s, 200);
    let (s, b) = app.call("POST", &format!("/api/orders/{id}/pay"), Some(&sitter), None).await;
    assert_eq!((s, b["error"].as_str()), (403, Some("not_the_customer")), "{b}");
}

#[tokio::test]
async fn in_dev_mode_without_a_key_the_service_plays_stripe_itself() {
    let app = TestApp::spawn_with(|c| {
        c.stripe_secret_key = None;
        c.stripe_webhook_secret = None;
    })
    .await;
    let (customer, id) = pending(&app).await;
    let (s, b) = app.call("POST", &format!("/api/orders/{id}/pay"), Some(&customer), None).await;
    assert_eq!(s, 200, "{b}");
    let until = async |what: &str, done: &dyn Fn(&Value) -> bool| {
        for _ in 0..100 {
            if done(&order(&app, &customer, id).await) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{what} never happened");
    };
    until("the dev payment's webhook", &|o| o["paidAt"].is_string()).await;
    let (s, _) = app.call("POST", &format!("/api/orders/{id}/cancel"), Some(&customer), None).await;
    assert_eq!(s, 200);
    until("the dev refund's webhook", &|o| o["status"] == 5).await;
    assert_eq!(app.stripe.lock().unwrap().calls, 0, "Stripe was not called");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_payers_and_deliveries_on_two_replicas_make_one_intent_and_apply_once() {
    let app = TestApp::spawn().await;
    let replica = app.replica().await;
    let (customer, id) = pending(&app).await;
    let path = format!("/api/orders/{id}/pay");
    let answers = futures_util::future::join_all((0..8).map(|i| {
        let on = if i % 2 == 0 { &app } else { &replica };
        on.call("POST", &path, Some(&customer), None)
    }))
    .await;
    let intents: std::collections::BTreeSet<String> = answers
        .iter()
        .map(|(s, b)| {
            assert_eq!(*s, 200, "{b}");
            b["data"]["paymentIntentId"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(intents.len(), 1, "every payer got the same intent: {intents:?}");
    let db = app.sql().await;
    let rows: i64 = db
        .query_one("SELECT count(*) FROM payments WHERE order_id = $1", &[&id])
        .await
        .unwrap()
        .get(0);
    assert_eq!(rows, 1);
    // One event delivered to both replicas at once: applied once, the rest are duplicates.
    let pi = intents.into_iter().next().unwrap();
    let body = event("payment_intent.succeeded", intent(&pi));
    let deliveries = futures_util::future::join_all(
        (0..6).map(|i| deliver(if i % 2 == 0 { &app } else { &replica }, &body)),
    )
    .await;
    let applied = deliveries.iter().filter(|a| outcome(a) == (200, Some("applied"))).count();
    let duplicate = deliveries.iter().filter(|a| outcome(a) == (200, Some("duplicate"))).count();
    assert_eq!((applied, duplicate), (1, 5), "{deliveries:?}");
    let paid_rows: i64 = db
        .query_one(
            "SELECT count(*) FROM order_status_history WHERE order_id = $1 AND remark = 'paid'",
            &[&id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(paid_rows, 1, "one history row for the one payment");
}
