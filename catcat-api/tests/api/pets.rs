//! Pets belong to their owner: every object route answers 404 to anyone else.

use serde_json::json;

use super::support::{TestApp, phone};

fn cat() -> serde_json::Value {
    json!({ "name": "Mochi", "type": 1, "breed": "British Shorthair", "age": 3, "gender": 2, "needsWaterRefill": true, "specialInstructions": "Shy with strangers" })
}

#[tokio::test]
async fn owners_manage_their_pets() {
    let app = TestApp::spawn().await;
    let (t, _, uid) = app.register(&phone()).await;
    let (s, b) = app.call("POST", "/api/pets", Some(&t), Some(cat())).await;
    assert_eq!(s, 201, "{b}");
    let id = b["data"]["id"].as_i64().unwrap();
    assert_eq!((b["data"]["userId"].as_i64(), b["data"]["type"].as_i64()), (Some(uid), Some(1)));
    let (s, b) = app.call("GET", "/api/pets", Some(&t), None).await;
    assert_eq!((s, b["data"].as_array().map(Vec::len)), (200, Some(1)));
    let mut changed = cat();
    changed["name"] = json!("Mochi II");
    changed["age"] = json!(4);
    let (s, b) = app.call("PUT", &format!("/api/pets/{id}"), Some(&t), Some(changed)).await;
    assert_eq!((s, b["data"]["name"].as_str()), (200, Some("Mochi II")));
    let (s, b) = app.call("GET", &format!("/api/pets/{id}"), Some(&t), None).await;
    assert_eq!((s, b["data"]["age"].as_i64()), (200, Some(4)));
    let (s, _) = app.call("DELETE", &format!("/api/pets/{id}"), Some(&t), None).await;
    assert_eq!(s, 200);
    let (s, _) = app.call("GET", &format!("/api/pets/{id}"), Some(&t), None).await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn another_customer_gets_404_on_every_pet_route() {
    let app = TestApp::spawn().await;
    let (owner, _, _) = app.register(&phone()).await;
    let (other, _, _) = app.register(&phone()).await;
    let (_, b) = app.call("POST", "/api/pets", Some(&owner), Some(cat())).await;
    let id = b["data"]["id"].as_i64().unwrap();
    for (method, body) in [("GET", None), ("PUT", Some(cat())), ("DELETE", None)] {
        let (s, b) = app.call(method, &format!("/api/pets/{id}"), Some(&other), body).await;
        assert_eq!(s, 404, "{method}: {b}");
    }
    let (_, b) = app.call("GET", "/api/pets", Some(&other), None).await;
    assert_eq!(b["data"], json!([]), "lists show only one's own pets");
    let (s, b) = app.call("GET", &format!("/api/pets/{id}"), Some(&owner), None).await;
    assert_eq!((s, b["data"]["name"].as_str()), (200, Some("Mochi")), "untouched");
    let (s, _) = app.call("GET", &format!("/api/pets/{id}"), None, None).await;
    assert_eq!(s, 401);
}

#[tokio::test]
async fn pet_input_is_validated() {
    let app = TestApp::spawn().await;
    let (t, _, _) = app.register(&phone()).await;
    for (patch, field) in [
        (json!({ "name": "" }), "name"),
        (json!({ "age": 99 }), "age"),
        (json!({ "type": 3 }), "type"),
        (json!({ "owner": 5 }), "owner"),
    ] {
        let mut body = cat();
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (s, b) = app.call("POST", "/api/pets", Some(&t), Some(body)).await;
        assert_eq!((s, b["field"].as_str()), (422, Some(field)), "{b}");
    }
    let (_, b) = app.call("GET", "/api/pets", Some(&t), None).await;
    assert_eq!(b["data"], json!([]), "nothing was written");
}
