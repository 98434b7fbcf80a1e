//! `Idempotency-Key` on booking: replays are the first answer byte for byte; answers that are
//! not final (5xx) are not kept, so a retry once the queue is back succeeds; keys expire.

use catcat_api::app::idempotency;
use serde_json::{Value, json};

use super::fixtures::{add_cat, booking};
use super::support::{TestApp, delete_streams, nats_url, phone};

/// Books with `key`; (status, content type, exact bytes).
async fn book_raw(app: &TestApp, token: &str, body: &Value, key: &str) -> (u16, String, Vec<u8>) {
    let (s, h, b) = app
        .raw(
            "POST",
            "/api/orders",
            Some(token),
            &[("Idempotency-Key", key)],
            Some(serde_json::to_vec(body).unwrap()),
        )
        .await;
    let content_type = h["content-type"].to_str().unwrap().to_owned();
    (s, content_type, b)
}

fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

#[tokio::test]
async fn replays_are_the_first_answer_byte_for_byte() {
    let app = TestApp::spawn().await;
    let (token, _, user) = app.register(&phone()).await;
    let pet = add_cat(&app, &token).await;

    // 202.
    let body = booking(pet);
    let first = book_raw(&app, &token, &body, "k-202").await;
    assert_eq!(first.0, 202, "{}", String::from_utf8_lossy(&first.2));
    let again = book_raw(&app, &token, &body, "k-202").await;
    assert_eq!(again, first, "the replay of a 202 is the same status, type and bytes");

    // 422 from the workflow (after the key was claimed): the replay keeps `error` and `field`.
    let mut bad = booking(pet);
    bad["packageId"] = json!(999_999);
    let first = book_raw(&app, &token, &bad, "k-422").await;
    let answer = json_of(&first.2);
    assert_eq!(
        (first.0, answer["error"].as_str(), answer["field"].as_str()),
        (422, Some("invalid_field"), Some("packageId")),
        "{answer}"
    );
    let again = book_raw(&app, &token, &bad, "k-422").await;
    assert_eq!(again, first, "the replay of a 422 is the same status, type and bytes");

    // 409 while the first request with the key is still running (here: its claim is put back
    // to unanswered); every such answer is the same bytes, and none is kept for the key.
    let running = booking(pet);
    assert_eq!(book_raw(&app, &token, &running, "k-409").await.0, 202);
    let db = app.sql().await;
    db.execute(
        "UPDATE idempotency_keys SET response_status = NULL, response_body = NULL WHERE user_id = $1 AND key = 'k-409'",
        &[&user],
    )
    .await
    .unwrap();
    let (first, again) = tokio::join!(
        book_raw(&app, &token, &running, "k-409"),
        book_raw(&app, &token, &running, "k-409")
    );
    assert_eq!((first.0, json_of(&first.2)["error"].as_str()), (409, Some("request_in_progress")));
    assert_eq!(again, first, "the same 409, byte for byte");
    let kept: Option<i16> = db
        .query_one("SELECT response_status FROM idempotency_keys WHERE key = 'k-409'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(kept, None, "a 409 for a running request is never stored as the key's answer");

    // The same key with another body is refused, and the first answer stays.
    let mut other = booking(pet);
    other["address"] = json!("2 Other Road");
    let (s, _, b) = book_raw(&app, &token, &other, "k-202").await;
    assert_eq!((s, json_of(&b)["field"].as_str()), (422, Some("Idempotency-Key")));
}

#[tokio::test]
async fn a_503_is_not_kept_and_a_retry_after_the_queue_is_back_succeeds() {
    let app = TestApp::spawn().await;
    let (token, _, _) = app.register(&phone()).await;
    let pet = add_cat(&app, &token).await;
    let body = booking(pet);

    // The order stream goes away: publishing has nobody to answer.
    delete_streams(&app.nats_prefix).await;
    let (s, _, b) = book_raw(&app, &token, &body, "k-503").await;
    assert_eq!((s, json_of(&b)["error"].as_str()), (503, Some("unavailable")), "{}", json_of(&b));
    let db = app.sql().await;
    let kept: i64 = db
        .query_one("SELECT count(*) FROM idempotency_keys WHERE key = 'k-503'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(kept, 0, "the key was given back, not bound to the 503");

    // The stream is back (as any replica starting would create it): the retry runs again.
    let client = async_nats::connect(nats_url()).await.unwrap();
    catcat_api::infra::queue::nats(client, catcat_api::infra::queue::Names::new(&app.nats_prefix))
        .await
        .unwrap();
    let (s, _, b) = book_raw(&app, &token, &body, "k-503").await;
    assert_eq!(s, 202, "{}", json_of(&b));
    let order = json_of(&b)["data"]["orderId"].as_i64().unwrap();
    let (s, _, again) = book_raw(&app, &token, &body, "k-503").await;
    assert_eq!((s, json_of(&again)["data"]["orderId"].as_i64()), (202, Some(order)));
}

#[tokio::test]
async fn keys_expire_after_a_day() {
    let app = TestApp::spawn().await;
    let (token, _, _) = app.register(&phone()).await;
    let pet = add_cat(&app, &token).await;
    let (s, _, first) = book_raw(&app, &token, &booking(pet), "k-old").await;
    assert_eq!(s, 202);
    let first_id = json_of(&first)["data"]["orderId"].as_i64();

    // A day and an hour later, the key is free again: another body under it is a new booking.
    let db = app.sql().await;
    db.execute(
        "UPDATE idempotency_keys SET created_at = created_at - interval '25 hours' WHERE key = 'k-old'",
        &[],
    )
    .await
    .unwrap();
    let mut other = booking(pet);
    other["address"] = json!("3 Later Lane");
    let (s, _, second) = book_raw(&app, &token, &other, "k-old").await;
    let second_id = json_of(&second)["data"]["orderId"].as_i64();
    assert_eq!(s, 202, "{}", json_of(&second));
    assert_ne!(second_id, first_id, "a new answer, not the expired one");

    // Old records are purged; live ones stay.
    let (s, _, _) = book_raw(&app, &token, &booking(pet), "k-live").await;
    assert_eq!(s, 202);
    db.execute(
        "UPDATE idempotency_keys SET created_at = created_at - interval '25 hours' WHERE key = 'k-old'",
        &[],
    )
    .await
    .unwrap();
    assert_eq!(idempotency::purge(&app.state).await.unwrap(), 1);
    let left: Vec<String> = db
        .query("SELECT key FROM idempotency_keys ORDER BY key", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(left, ["k-live"]);
}
