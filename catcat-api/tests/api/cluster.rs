//! Two replicas of the service on one database, Redis key space and NATS names: what one
//! replica writes, the other reads fresh, although it keeps hot reads in its own memory.

use catcat_api::config::ExposeSecret;
use std::time::{Duration, Instant};

use catcat_api::infra::kv::Kv;
use serde_json::json;
use tokio_postgres::NoTls;

use crate::support::{TestApp, phone, redis_url};

#[tokio::test]
async fn a_write_through_one_replica_is_read_fresh_through_another() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let (writer, _, writer_id) = a.register(&phone()).await;
    let (reader, _, _) = b.register(&phone()).await;
    let profile = format!("/api/users/{writer_id}");
    let (s, body) = b.call("GET", &profile, Some(&reader), None).await;
    assert_eq!((s, &body["data"]["nickName"]), (200, &json!("Tester")));

    // Behind the service's back: the database and the shared cache change, and replica B still
    // answers the copy in its own memory. (This is what the in-process tier is, and why it
    // needs the invalidation channel.)
    let (db, conn) =
        tokio_postgres::connect(a.config.database_url.expose_secret(), NoTls).await.unwrap();
    tokio::spawn(conn);
    db.execute("UPDATE users SET nick_name = 'Sneaky' WHERE id = $1", &[&writer_id]).await.unwrap();
    let shared = Kv::redis(&redis_url(), &a.config.redis_prefix).await.unwrap();
    shared.del(&format!("cache:user:{writer_id}")).await.unwrap();
    let (_, body) = b.call("GET", &profile, Some(&reader), None).await;
    assert_eq!(body["data"]["nickName"], json!("Tester"), "served from B's own memory");

    // A write through replica A reaches B's memory over NATS.
    let (s, body) =
        a.call("PUT", "/api/users/me", Some(&writer), Some(json!({ "nickName": "Mia" }))).await;
    assert_eq!(s, 200, "{body}");
    let start = Instant::now();
    loop {
        let (s, body) = b.call("GET", &profile, Some(&reader), None).await;
        assert_eq!(s, 200);
        if body["data"]["nickName"] == json!("Mia") {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "replica B still answers {body} two seconds after the write through A"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    eprintln!("replica B read the write through A after {:?}", start.elapsed());

    // And the other way round: package edits by an admin on B are seen by A at once.
    let (s, list) = a.call("GET", "/api/packages", None, None).await;
    assert_eq!((s, &list["data"][0]["price"]), (200, &json!(30.0)));
    let (s, login) = b
        .call(
            "POST",
            "/api/auth/login",
            None,
            Some(json!({ "phone": "+8610000000000", "password": "admin-password-1" })),
        )
        .await;
    assert_eq!(s, 200, "{login}");
    let admin = login["data"]["accessToken"].as_str().unwrap();
    let edit = json!({ "name": "基础喂养", "price": 31.5, "durationMinutes": 30, "serviceItems": ["喂食"], "sortOrder": 1 });
    let (s, body) = b.call("PUT", "/api/admin/packages/1", Some(admin), Some(edit)).await;
    assert_eq!(s, 200, "{body}");
    let start = Instant::now();
    loop {
        let (_, list) = a.call("GET", "/api/packages", None, None).await;
        if list["data"][0]["price"] == json!(31.5) {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(2), "replica A still lists {list}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
