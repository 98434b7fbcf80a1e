//! The workflows called directly, without HTTP: the guarded transitions under real
//! concurrency (multi-thread runtime), the consumer's exactly-once persistence, and a queued
//! order read back before the consumer has saved it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use catcat_api::app::booking::{self, Booking};
use catcat_api::app::orders;
use catcat_api::app::{AppError, Caller};
use catcat_api::domain::{OrderStatus, UserRole};
use catcat_api::infra::queue::{HandleError, Handler, Names, consume, nats};
use catcat_api::startup::Application;
use catcat_api::worker::OrderPersister;
use chrono::Utc;
use serde_json::json;
use tokio::sync::{Notify, watch};

use super::fixtures::{add_cat, paid, provider, saved_order};
use super::support::{TestApp, nats_url, order_message, phone};

/// A visit of `pet` in two days.
fn visit(pet: i64) -> Booking {
    Booking {
        package_id: 2,
        pet_id: pet,
        service_at: Utc::now() + chrono::Duration::days(2),
        address: "1 Queue Street".into(),
        address_detail: None,
        remark: None,
    }
}

/// The moves an order made after it was saved (history rows past Queued → Pending, not
/// counting its payment, which leaves the status as it is).
async fn moves(db: &tokio_postgres::Client, order: i64) -> i64 {
    db.query_one(
        "SELECT count(*) FROM order_status_history WHERE order_id = $1 AND from_status IS NOT NULL AND from_status <> -1 AND from_status <> to_status",
        &[&order],
    )
    .await
    .unwrap()
    .get(0)
}

/// A persisted, pending order of a new customer; (customer, order id).
async fn pending_order(app: &TestApp) -> (Caller, i64) {
    let (token, id, order) = saved_order(app).await;
    paid(app, &token, order).await;
    (Caller { id, role: UserRole::Customer }, order)
}

async fn providers(app: &TestApp, n: usize) -> Vec<Caller> {
    let mut all = Vec::new();
    for _ in 0..n {
        let (_, id) = provider(app).await;
        all.push(Caller { id, role: UserRole::ServiceProvider });
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_accepts_of_one_order_let_exactly_one_provider_in() {
    let app = TestApp::spawn().await;
    let sitters = providers(&app, 6).await;
    for round in 0..3 {
        let (_, order) = pending_order(&app).await;
        let start = Arc::new(tokio::sync::Barrier::new(sitters.len()));
        let tasks: Vec<_> = sitters
            .iter()
            .map(|&sitter| {
                let (state, start) = (app.state.clone(), start.clone());
                tokio::spawn(async move {
                    start.wait().await;
                    orders::accept(&state, sitter, order).await
                })
            })
            .collect();
        let mut won = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(OrderStatus::Accepted) => won += 1,
                Err(
                    AppError::Conflict { code: "order_not_acceptable", .. } | AppError::NotFound,
                ) => {}
                other => panic!("round {round}: unexpected {other:?}"),
            }
        }
        assert_eq!(won, 1, "round {round}: exactly one provider takes the order");
        let history = moves(&app.sql().await, order).await;
        assert_eq!(history, 1, "round {round}: one history row for the one accept");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cancel_racing_an_accept_lets_one_win() {
    let app = TestApp::spawn().await;
    let sitter = providers(&app, 1).await[0];
    let db = app.sql().await;
    for round in 0..8 {
        let (customer, order) = pending_order(&app).await;
        // Within two hours of the visit: once accepted, the customer can no longer cancel, so
        // whichever runs second must be refused.
        db.execute(
            "UPDATE service_orders SET service_at = now() + interval '1 hour' WHERE id = $1",
            &[&order],
        )
        .await
        .unwrap();
        let start = Arc::new(tokio::sync::Barrier::new(2));
        let (s1, b1) = (app.state.clone(), start.clone());
        let accept = tokio::spawn(async move {
            b1.wait().await;
            orders::accept(&s1, sitter, order).await
        });
        let (s2, b2) = (app.state.clone(), start);
        let cancel = tokio::spawn(async move {
            b2.wait().await;
            orders::cancel(&s2, customer, order, None).await
        });
        let (accepted, cancelled) = (accept.await.unwrap(), cancel.await.unwrap());
        let refused = |r: &Result<OrderStatus, AppError>| {
            matches!(r, Err(AppError::Conflict { .. }) | Err(AppError::NotFound))
        };
        match (&accepted, &cancelled) {
            (Ok(OrderStatus::Accepted), c) if refused(c) => {}
            (a, Ok(OrderStatus::Cancelled)) if refused(a) => {}
            other => panic!("round {round}: both or neither won: {other:?}"),
        }
        assert_eq!(moves(&db, order).await, 1, "round {round}: one move recorded");
    }
}

async fn counts(db: &tokio_postgres::Client, order: i64) -> (i64, i64) {
    let row = db
        .query_one(
            "SELECT (SELECT count(*) FROM service_orders WHERE id = $1), (SELECT count(*) FROM order_status_history WHERE order_id = $1)",
            &[&order],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1))
}

#[tokio::test]
async fn persisting_the_same_message_twice_makes_one_order_and_one_history_row() {
    let app = TestApp::spawn().await;
    let (token, _, customer) = app.register(&phone()).await;
    let pet = add_cat(&app, &token).await;
    let m = order_message(8_100_000_001, customer, pet);
    assert!(booking::persist(&app.state, m.clone()).await.unwrap(), "the first saves it");
    assert!(!booking::persist(&app.state, m).await.unwrap(), "the second changes nothing");
    assert_eq!(counts(&app.sql().await, 8_100_000_001).await, (1, 1));
}

/// Persists, then hangs before returning (so before the ack), telling the test it got there.
struct HangsAfterPersisting {
    inner: OrderPersister,
    persisted: Arc<Notify>,
}

impl Handler for HangsAfterPersisting {
    async fn handle(&self, payload: &[u8]) -> Result<(), HandleError> {
        self.inner.handle(payload).await?;
        self.persisted.notify_one();
        std::future::pending().await
    }
}

/// Counts the deliveries it handles.
struct Counting {
    inner: OrderPersister,
    seen: Arc<AtomicUsize>,
}

impl Handler for Counting {
    async fn handle(&self, payload: &[u8]) -> Result<(), HandleError> {
        self.seen.fetch_add(1, Ordering::SeqCst);
        self.inner.handle(payload).await
    }
}

#[tokio::test]
async fn a_consumer_aborted_after_persisting_and_before_acking_is_redelivered_and_applied_once() {
    let app = TestApp::spawn().await;
    let (token, _, customer) = app.register(&phone()).await;
    let pet = add_cat(&app, &token).await;
    // The service's own consumer stops; a second build on the same database gives a state
    // whose pool is open and which consumes nothing by itself.
    app.shutdown.trigger();
    tokio::time::sleep(Duration::from_millis(600)).await;
    let built = Application::build(app.config.clone()).await.unwrap();
    let state = built.state().clone();
    let names = || Names::new(&app.nats_prefix);
    let (queue, inbox, _) =
        nats(async_nats::connect(nats_url()).await.unwrap(), names()).await.unwrap();
    let id = 8_200_000_001;
    queue.publish(id, order_message(id, customer, pet).encode().unwrap()).await.unwrap();

    let persisted_once = Arc::new(Notify::new());
    let (_stop_first, stop) = watch::channel(false);
    let first = tokio::spawn(consume(
        inbox,
        HangsAfterPersisting {
            inner: OrderPersister::new(&state),
            persisted: persisted_once.clone(),
        },
        stop,
    ));
    tokio::time::timeout(Duration::from_secs(10), persisted_once.notified()).await.unwrap();
    let db = app.sql().await;
    assert_eq!(counts(&db, id).await, (1, 1), "it really persisted before it stopped");
    first.abort();
    assert!(first.await.unwrap_err().is_cancelled(), "it really stopped, without acking");

    let seen = Arc::new(AtomicUsize::new(0));
    let (_, inbox, _) =
        nats(async_nats::connect(nats_url()).await.unwrap(), names()).await.unwrap();
    let (stop_second, stop) = watch::channel(false);
    let second = tokio::spawn(consume(
        inbox,
        Counting { inner: OrderPersister::new(&state), seen: seen.clone() },
        stop,
    ));
    for _ in 0..400 {
        if seen.load(Ordering::SeqCst) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _ = stop_second.send(true);
    let _ = second.await;
    assert_eq!(seen.load(Ordering::SeqCst), 1, "redelivered after the ack wait, once");
    assert_eq!(counts(&db, id).await, (1, 1), "applied once: one order, one history row");
}

/// A customer with a cat, and an order of theirs booked on a replica whose in-process queue
/// nobody consumes (so it stays queued): (app, token, customer, pet, that replica — kept, as
/// dropping it closes its queue — and the order).
async fn booked_but_not_consumed() -> (TestApp, String, i64, i64, Application, booking::Queued) {
    let app = TestApp::spawn().await;
    let (token, _, customer) = app.register(&phone()).await;
    let pet = add_cat(&app, &token).await;
    let mut cfg = app.config.clone();
    cfg.nats_url = None;
    let replica = Application::build(cfg).await.unwrap();
    let caller = Caller { id: customer, role: UserRole::Customer };
    let queued = booking::book(replica.state(), caller, visit(pet)).await.unwrap();
    (app, token, customer, pet, replica, queued)
}

#[tokio::test]
async fn a_queued_order_reads_back_as_queued_before_it_is_saved() {
    let (_app, token, customer, pet, replica, queued) = Box::pin(booked_but_not_consumed()).await;
    let state = replica.state().clone();
    let caller = Caller { id: customer, role: UserRole::Customer };
    let detail = orders::detail(&state, caller, queued.order_id).await.unwrap();
    assert_eq!(detail.order.status, OrderStatus::Queued);
    assert_eq!(detail.order.order_no, queued.order_no);
    assert!(detail.history.is_empty());
    assert_eq!(detail.pet.map(|p| p.id), Some(pet));
    let stranger = Caller { id: customer + 1, role: UserRole::Customer };
    assert!(matches!(
        orders::detail(&state, stranger, queued.order_id).await,
        Err(AppError::NotFound)
    ));
    // Over HTTP, through the very router the service serves, without a network.
    let answer = tower::ServiceExt::oneshot(
        catcat_api::http::router(state.clone()),
        axum::http::Request::get(format!("/api/orders/{}", queued.order_id))
            .header("authorization", format!("Bearer {token}"))
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(answer.status(), 200);
    let bytes = axum::body::to_bytes(answer.into_body(), 1 << 20).await.unwrap();
    let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(body["data"]["status"], -1, "{body}");
}

/// The keys under `prefix` in the test Redis, by pattern.
fn redis_keys(pattern: &str) -> Vec<String> {
    let out = std::process::Command::new("redis-cli")
        .args(["-u", &super::support::redis_url(), "--scan", "--pattern", pattern])
        .output()
        .expect("redis-cli runs");
    String::from_utf8_lossy(&out.stdout).lines().map(str::to_owned).collect()
}

#[tokio::test]
async fn a_booking_that_could_not_be_queued_is_not_readable_as_queued() {
    let app = TestApp::spawn().await;
    let (token, _, customer) = app.register(&phone()).await;
    let pet = add_cat(&app, &token).await;
    let caller = Caller { id: customer, role: UserRole::Customer };
    // Replicas on the in-process queue, in a key space of their own to count in.
    let mut cfg = app.config.clone();
    cfg.nats_url = None;
    cfg.redis_prefix = format!("{}unqueued:", cfg.redis_prefix);
    let pattern = format!("{}order:queued:*", cfg.redis_prefix);

    let live = Application::build(cfg.clone()).await.unwrap();
    booking::book(live.state(), caller, visit(pet)).await.unwrap();
    assert_eq!(redis_keys(&pattern).len(), 1, "a queued order is readable as queued");

    let dead = Application::build(cfg).await.unwrap();
    let state = dead.state().clone();
    drop(dead); // its queue loses its consumer: publishing fails
    let refused = booking::book(&state, caller, visit(pet)).await;
    assert!(matches!(refused, Err(AppError::Queue(_))), "{refused:?}");
    assert_eq!(redis_keys(&pattern).len(), 1, "the order that was not queued left no record");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_given_up_by_the_consumer_stops_reading_back_as_queued() {
    // Only the read-back record exists.
    let (app, token, customer, pet, _replica, queued) = Box::pin(booked_but_not_consumed()).await;
    let (s, b) =
        app.call("GET", &format!("/api/orders/{}", queued.order_id), Some(&token), None).await;
    assert_eq!((s, &b["data"]["status"]), (200, &json!(-1)), "{b}");
    // Its pet is deleted before the consumer sees it: the order can never be saved.
    app.sql().await.execute("DELETE FROM pets WHERE id = $1", &[&pet]).await.unwrap();
    let (queue, _, _) =
        nats(async_nats::connect(nats_url()).await.unwrap(), Names::new(&app.nats_prefix))
            .await
            .unwrap();
    let id = queued.order_id;
    queue.publish(id, order_message(id, customer, pet).encode().unwrap()).await.unwrap();
    let mut status = 0;
    for _ in 0..200 {
        (status, _) = app.call("GET", &format!("/api/orders/{id}"), Some(&token), None).await;
        if status == 404 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(status, 404, "a given-up order still reads back as queued");
}
