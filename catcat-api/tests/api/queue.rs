//! The order queue survives its consumer: orders queued while no consumer runs, and a
//! consumer stopped in the middle of the stream, end with every order persisted exactly once.

use std::time::Duration;

use catcat_api::infra::queue::{Names, nats};
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
        queue.publish(id, payload.clone()).await.unwrap();
        queue.publish(id, payload).await.unwrap();
    }

    // A consumer starts, and is stopped while it works through the stream.
    let (sms, _) = sms_stand_in().await;
    let mut cfg = config(&first_db_url(&first), &sms);
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
