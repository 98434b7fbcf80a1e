//! The order queue survives its consumer: orders queued while no consumer runs, and a
//! consumer stopped in the middle of the stream, end with every order persisted exactly once.

use std::time::Duration;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use catcat_api::infra::queue::{
    DEAD_AFTER, DEAD_REASON, HandleError, Handler, Names, Published, consume, nats, retry_delay,
};
use catcat_api::startup::Application;
use serde_json::json;

use super::support::{TestApp, config, nats_url, order_message, phone, sms_stand_in};

async fn counts(c: &tokio_postgres::Client, customer: i64) -> (i64, i64) {
    let orders: i64 = c
        .query_one("SELECT count(*) FROM service_orders WHERE customer_id = $1", &[&customer])
        .await
        .unwrap()
        .get(0);
    let history: i64 = c
        .query_one("SELECT count(*) FROM order_status_history h JOIN service_orders o ON o.id = h.order_id WHERE o.customer_id = $1", &[&customer])
        .await
        .unwrap()
        .get(0);
    (orders, history)
}

#[tokio::test]
async fn a_consumer_killed_mid_stream_and_restarted_persists_every_order_once() {
    let first = TestApp::spawn().await;
    let (token, _, customer) = first.register(&phone()).await;
    let (_, b) = first
        .call("POST", "/api/pets", Some(&token), Some(json!({ "name": "Q", "type": 1 })))
        .await;
    let pet = b["data"]["id"].as_i64().unwrap();
    // No consumer from here on.
    first.shutdown.trigger();
    tokio::time::sleep(Duration::from_millis(300)).await;

    // 200 orders queued, each published twice (a retried publish), while nothing consumes.
    let client = async_nats::connect(nats_url()).await.unwrap();
    let (queue, _inbox, _) = nats(client, Names::new(&first.nats_prefix)).await.unwrap();
    let ids: Vec<i64> = (0..200).map(|i| 9_000_000_000 + i).collect();
    for &id in &ids {
        let payload = order_message(id, customer, pet).encode().unwrap();
        assert_eq!(queue.publish(id, payload.clone()).await.unwrap(), Published::New);
        assert_eq!(queue.publish(id, payload).await.unwrap(), Published::Duplicate);
    }

    // A consumer starts, and is stopped while it works through the stream.
    let (sms, _) = sms_stand_in().await;
    let mut cfg = config(&first_db_url(&first), &sms, "http://127.0.0.1:9");
    cfg.nats_prefix = first.nats_prefix.clone();
    let (db, conn) = first_db_url(&first)
        .parse::<tokio_postgres::Config>()
        .unwrap()
        .connect(tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let second = Application::build(cfg.clone()).await.unwrap();
    let stop = second.shutdown_handle();
    let running = tokio::spawn(second.run_until_stopped());
    for _ in 0..400 {
        if counts(&db, customer).await.0 > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    stop.trigger();
    let _ = running.await;
    let (partial, _) = counts(&db, customer).await;
    assert!(partial > 0, "the first consumer persisted some orders before it stopped");

    // Another replica picks up where it stopped.
    let third = Application::build(cfg).await.unwrap();
    let stop = third.shutdown_handle();
    let running = tokio::spawn(third.run_until_stopped());
    // What the stopped consumer held comes back after the ack wait.
    let mut seen = (0, 0);
    for _ in 0..1200 {
        seen = counts(&db, customer).await;
        if seen.0 == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let seen_after = counts(&db, customer).await;
    stop.trigger();
    let _ = running.await;
    assert_eq!(seen.0, 200, "every queued order is persisted (partial before restart: {partial})");
    assert_eq!(seen_after, (200, 200), "exactly once: one order row and one history row each");
}

fn first_db_url(app: &TestApp) -> String {
    super::support::db_url(app)
}

/// The last dead letter of `prefix`'s queue: its reason header and payload.
async fn last_dead_letter(prefix: &str) -> Option<(String, Vec<u8>)> {
    let js = async_nats::jetstream::new(async_nats::connect(nats_url()).await.unwrap());
    let names = Names::new(prefix);
    let stream_name: String = prefix
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' })
        .collect::<String>()
        + "CATCAT_DEAD";
    let stream = js.get_stream(stream_name).await.unwrap();
    let msg = stream.get_last_raw_message_by_subject(&names.subject("order.dead")).await.ok()?;
    let reason = msg.headers.get(DEAD_REASON).map(|v| v.as_str().to_owned()).unwrap_or_default();
    Some((reason, msg.payload.to_vec()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_message_is_dead_lettered_and_the_order_behind_it_is_persisted() {
    let app = TestApp::spawn().await;
    let (token, _, customer) = app.register(&phone()).await;
    let (_, b) =
        app.call("POST", "/api/pets", Some(&token), Some(json!({ "name": "P", "type": 1 }))).await;
    let pet = b["data"]["id"].as_i64().unwrap();
    let client = async_nats::connect(nats_url()).await.unwrap();
    let (queue, _inbox, _) = nats(client, Names::new(&app.nats_prefix)).await.unwrap();
    // Unreadable, then a good order right behind it.
    queue.publish(9_100_000_001, b"{\"not\": \"an order\"}".to_vec()).await.unwrap();
    let good = 9_100_000_002;
    queue.publish(good, order_message(good, customer, pet).encode().unwrap()).await.unwrap();

    let db = app.sql().await;
    let mut persisted = 0;
    for _ in 0..200 {
        persisted = counts(&db, customer).await.0;
        if persisted == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(persisted, 1, "the order behind the poison message is persisted");
    let mut dead = None;
    for _ in 0..200 {
        dead = last_dead_letter(&app.nats_prefix).await;
        if dead.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let (reason, payload) = dead.expect("the poison message is dead-lettered");
    assert!(reason.starts_with("rejected:"), "{reason}");
    assert_eq!(payload, b"{\"not\": \"an order\"}");
    let (_, _, metrics) = app.raw("GET", "/metrics", None, &[], None).await;
    let metrics = String::from_utf8_lossy(&metrics).into_owned();
    assert!(
        metrics.lines().any(|l| l.starts_with("queue_dead_lettered_total{kind=\"rejected\"}")),
        "{metrics}"
    );
    assert!(metrics.lines().any(|l| l.starts_with("queue_consumer_pending ")), "{metrics}");
}

/// Fails every message whose payload is `poison` (as a dependency that is down would), and
/// records when each good one is handled.
#[derive(Clone)]
struct FailsPoison {
    poison_deliveries: Arc<AtomicUsize>,
    good_handled: Arc<std::sync::Mutex<Vec<Instant>>>,
}

impl Handler for FailsPoison {
    async fn handle(&self, payload: &[u8]) -> Result<(), HandleError> {
        if payload == b"poison" {
            self.poison_deliveries.fetch_add(1, Ordering::SeqCst);
            return Err(HandleError::Retry("the dependency is down".into()));
        }
        self.good_handled.lock().unwrap().push(Instant::now());
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_that_keeps_failing_is_retried_with_backoff_then_dead_lettered() {
    let prefix = format!("{}.", super::support::unique("q"));
    let client = async_nats::connect(nats_url()).await.unwrap();
    let (queue, inbox, _) = nats(client, Names::new(&prefix)).await.unwrap();
    let handler = FailsPoison {
        poison_deliveries: Arc::new(AtomicUsize::new(0)),
        good_handled: Arc::new(std::sync::Mutex::new(Vec::new())),
    };
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let started = Instant::now();
    let running = tokio::spawn(consume(inbox, handler.clone(), stop));
    queue.publish(1, b"poison".to_vec()).await.unwrap();
    for id in 2..=11 {
        queue.publish(id, format!("good {id}").into_bytes()).await.unwrap();
    }
    let mut dead = None;
    for _ in 0..600 {
        dead = last_dead_letter(&prefix).await;
        if dead.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let dead_at = started.elapsed();
    let _ = stop_tx.send(true);
    let _ = running.await;
    super::support::delete_streams(&prefix).await;

    let deliveries = handler.poison_deliveries.load(Ordering::SeqCst);
    let (reason, payload) =
        dead.unwrap_or_else(|| panic!("not dead-lettered after {deliveries} deliveries"));
    assert!(reason.starts_with("retries exhausted:"), "{reason}");
    assert!(reason.contains("the dependency is down"), "{reason}");
    assert_eq!(payload, b"poison");
    let deliveries = handler.poison_deliveries.load(Ordering::SeqCst);
    assert_eq!(deliveries, usize::try_from(DEAD_AFTER).unwrap(), "delivered DEAD_AFTER times");
    // Spaced by the backoff, not redelivered at once.
    let backoff: Duration = (1..DEAD_AFTER).map(retry_delay).sum();
    assert!(dead_at >= backoff, "dead-lettered after {dead_at:?}, backoff {backoff:?}");
    // The messages behind it were not held up by its retries.
    let good = handler.good_handled.lock().unwrap().clone();
    assert_eq!(good.len(), 10, "every message behind the failing one is handled");
    let first_retry = started + retry_delay(1);
    assert!(
        good.iter().all(|t| *t < first_retry + Duration::from_millis(200)),
        "the good messages were handled while the failing one waited for its retries"
    );
}
