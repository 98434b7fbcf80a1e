//! The admin surface: role gate, package edits seen through the cache, status and role changes
//! ending sessions, statistics.

use serde_json::json;

use super::support::{TestApp, login, phone};

async fn admin(app: &TestApp) -> String {
    login(app, "+8610000000000", "admin-password-1").await
}

#[tokio::test]
async fn only_admins_reach_the_admin_surface() {
    let app = TestApp::spawn().await;
    let (customer, _, _) = app.register(&phone()).await;
    // Every admin operation the document lists, with a body or without: the gate answers first.
    let (_, doc) = app.call("GET", "/openapi.json", None, None).await;
    let mut operations = Vec::new();
    for (template, item) in doc["paths"].as_object().unwrap() {
        if !template.starts_with("/api/admin/") {
            continue;
        }
        for method in item.as_object().unwrap().keys() {
            operations.push((method.to_uppercase(), template.replace("{id}", "1")));
        }
    }
    assert_eq!(operations.len(), 13, "{operations:?}");
    for (method, path) in &operations {
        for body in [None, Some(json!({ "name": "x" }))] {
            let (s, b) = app.call(method, path, Some(&customer), body.clone()).await;
            assert_eq!((s, b["error"].as_str()), (403, Some("admin_only")), "{method} {path}");
            let (s, b) = app.call(method, path, None, body).await;
            assert_eq!((s, b["error"].as_str()), (401, Some("unauthorized")), "{method} {path}");
        }
    }
    let admin = admin(&app).await;
    let (s, b) = app.call("GET", "/api/admin/statistics", Some(&admin), None).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["data"]["usersByRole"]["1"], json!(1));
    assert_eq!(b["data"]["usersByRole"]["99"], json!(1));
}

#[tokio::test]
async fn package_edits_are_seen_at_once_through_the_cache() {
    let app = TestApp::spawn().await;
    let admin = admin(&app).await;
    let (_, before) = app.call("GET", "/api/packages", None, None).await;
    assert_eq!(before["data"][0]["price"], json!(30.0), "cached now");
    let edit = json!({ "name": "基础喂养", "price": 35.5, "durationMinutes": 30, "serviceItems": ["喂食"], "sortOrder": 1 });
    let (s, b) = app.call("PUT", "/api/admin/packages/1", Some(&admin), Some(edit)).await;
    assert_eq!(s, 200, "{b}");
    let (_, after) = app.call("GET", "/api/packages", None, None).await;
    assert_eq!(after["data"][0]["price"], json!(35.5), "the write invalidated the cache");
    let (s, _) = app
        .call(
            "PATCH",
            "/api/admin/packages/1/active",
            Some(&admin),
            Some(json!({ "isActive": false })),
        )
        .await;
    assert_eq!(s, 200);
    let (_, after) = app.call("GET", "/api/packages", None, None).await;
    assert_eq!(after["data"].as_array().unwrap().len(), 2);
    let (s, _) = app.call("GET", "/api/packages/1", None, None).await;
    assert_eq!(s, 404);
    let (s, b) = app
        .call(
            "POST",
            "/api/admin/packages",
            Some(&admin),
            Some(json!({ "name": "Overnight", "price": -1, "durationMinutes": 600 })),
        )
        .await;
    assert_eq!((s, b["field"].as_str()), (422, Some("price")));
    let (s, _) = app.call("DELETE", "/api/admin/packages/2", Some(&admin), None).await;
    assert_eq!(s, 200);
    let (_, after) = app.call("GET", "/api/packages", None, None).await;
    assert_eq!(after["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn status_and_role_changes_end_sessions() {
    let app = TestApp::spawn().await;
    let admin = admin(&app).await;
    let p = phone();
    let (_, refresh, id) = app.register(&p).await;
    let (s, b) = app
        .call(
            "PUT",
            &format!("/api/admin/users/{id}/status"),
            Some(&admin),
            Some(json!({ "status": 2 })),
        )
        .await;
    assert_eq!((s, b["data"]["status"].as_i64()), (200, Some(2)), "{b}");
    let (s, _) =
        app.call("POST", "/api/auth/refresh", None, Some(json!({ "refreshToken": refresh }))).await;
    assert_eq!(s, 401, "the refresh token was revoked");
    let (s, b) = app
        .call(
            "POST",
            "/api/auth/login",
            None,
            Some(json!({ "phone": p, "password": "secret-pass-1" })),
        )
        .await;
    assert_eq!((s, b["error"].as_str()), (403, Some("account_suspended")));
    let (s, _) = app
        .call(
            "PUT",
            &format!("/api/admin/users/{id}/status"),
            Some(&admin),
            Some(json!({ "status": 1 })),
        )
        .await;
    assert_eq!(s, 200);
    let (_, b) = app
        .call(
            "POST",
            "/api/auth/login",
            None,
            Some(json!({ "phone": p, "password": "secret-pass-1" })),
        )
        .await;
    let second_refresh = b["data"]["refreshToken"].as_str().unwrap().to_owned();
    let (s, b) = app
        .call(
            "PUT",
            &format!("/api/admin/users/{id}/role"),
            Some(&admin),
            Some(json!({ "role": 2 })),
        )
        .await;
    assert_eq!((s, b["data"]["role"].as_i64()), (200, Some(2)));
    let (s, _) = app
        .call("POST", "/api/auth/refresh", None, Some(json!({ "refreshToken": second_refresh })))
        .await;
    assert_eq!(s, 401, "a role change ends sessions too");
    let (s, b) = app
        .call(
            "PUT",
            &format!("/api/admin/users/{id}/role"),
            Some(&admin),
            Some(json!({ "role": 7 })),
        )
        .await;
    assert_eq!((s, b["field"].as_str()), (422, Some("role")));
}
