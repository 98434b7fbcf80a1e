//! The request path refuses bad input precisely and loses nothing: each test here failed on a
//! defect found by a black-box client working from `/openapi.json`.

use catcat_api::config::ExposeSecret;
use catcat_api::domain::UserRole;
use catcat_api::infra::tokens::Tokens;
use serde_json::{Value, json};

use super::fixtures::{add_cat, book_body, booking, persisted, provider};
use super::support::{TestApp, login, phone};

#[tokio::test]
async fn nul_characters_are_refused_in_every_text_field_and_nothing_is_queued() {
    let app = TestApp::spawn().await;
    let (token, _, _) = app.register(&phone()).await;
    let pet = add_cat(&app, &token).await;

    let mut order = booking(pet);
    order["address"] = json!("1 Cat\u{0}Street");
    let (s, b) = book_body(&app, &token, &order, "nul-1").await;
    assert_eq!((s, b["field"].as_str()), (422, Some("address")), "{b}");
    let (s, again) = book_body(&app, &token, &order, "nul-1").await;
    assert_eq!((s, &again), (422, &b), "the retry gets the same refusal");
    let (_, mine) = app.call("GET", "/api/orders/my", Some(&token), None).await;
    assert_eq!(mine["data"]["total"], 0, "nothing was queued: {mine}");

    for (method, path, body, field) in [
        ("POST", "/api/pets".to_owned(), json!({ "name": "Mo\u{0}chi", "type": 1 }), "name"),
        (
            "PUT",
            format!("/api/pets/{pet}"),
            json!({ "name": "Mochi", "type": 1, "foodLocation": "shelf\u{0}" }),
            "foodLocation",
        ),
        ("PUT", "/api/users/me".to_owned(), json!({ "nickName": "M\u{0}ia" }), "nickName"),
        (
            "POST",
            "/api/providers/apply".to_owned(),
            json!({ "realName": "Sam", "idCard": "1101\u{0}" }),
            "idCard",
        ),
    ] {
        let (s, b) = app.call(method, &path, Some(&token), Some(body)).await;
        assert_eq!((s, b["field"].as_str()), (422, Some(field)), "{method} {path}: {b}");
    }
    let (_, pets) = app.call("GET", "/api/pets", Some(&token), None).await;
    assert_eq!(pets["data"].as_array().map(Vec::len), Some(1), "no pet was added: {pets}");
    assert_eq!(pets["data"][0]["foodLocation"], Value::Null, "the pet was left as it was");
}

#[tokio::test]
async fn body_errors_name_the_field_in_plain_words() {
    let app = TestApp::spawn().await;
    let (token, _, _) = app.register(&phone()).await;
    for (body, field, message) in [
        (json!({ "name": "Mochi", "type": "cat" }), "type", "must be an integer"),
        (json!({ "name": 5, "type": 1 }), "name", "must be a string"),
        (json!({ "type": 1 }), "name", "is required"),
        (json!({ "name": "Mochi", "type": 1, "wings": 2 }), "wings", "is not a field"),
    ] {
        let (s, b) = app.call("POST", "/api/pets", Some(&token), Some(body.clone())).await;
        let text = b["message"].as_str().unwrap_or_default();
        assert_eq!((s, b["field"].as_str()), (422, Some(field)), "{body}: {b}");
        assert!(text.contains(message), "{body}: {text}");
        for rust in ["i64", "i32", "i16", "u8", "struct", "serde", "target type"] {
            assert!(!text.contains(rust), "{body}: the message shows `{rust}`: {text}");
        }
    }
    let (s, _, b) =
        app.raw("POST", "/api/pets", Some(&token), &[], Some(b"{\"name\": \"Mo".to_vec())).await;
    let b: Value = serde_json::from_slice(&b).unwrap();
    assert_eq!((s, b["error"].as_str()), (400, Some("bad_request")), "malformed JSON: {b}");
}

#[tokio::test]
async fn huge_or_negative_paging_is_a_422() {
    let app = TestApp::spawn().await;
    let (token, _, _) = app.register(&phone()).await;
    for (query, field) in [
        ("page=9223372036854775807", "page"),
        ("page=1000001", "page"),
        ("page=-1", "page"),
        ("page=0", "page"),
        ("pageSize=0", "pageSize"),
        ("pageSize=101", "pageSize"),
    ] {
        let (s, b) = app.call("GET", &format!("/api/orders/my?{query}"), Some(&token), None).await;
        assert_eq!((s, b["field"].as_str()), (422, Some(field)), "{query}: {b}");
    }
    let (s, b) = app.call("GET", "/api/orders/my?page=1000000", Some(&token), None).await;
    assert_eq!((s, b["data"]["items"].as_array().map(Vec::len)), (200, Some(0)), "{b}");
}

#[tokio::test]
async fn a_signed_token_for_a_missing_account_is_a_401() {
    let app = TestApp::spawn().await;
    let tokens = Tokens::new(
        app.config.jwt_secret.expose_secret().as_bytes(),
        &app.config.jwt_issuer,
        &app.config.jwt_audience,
    );
    let (ghost, _) = tokens.issue(777_000_000_123, UserRole::Customer, chrono::Utc::now());
    for (method, path, body) in [
        ("POST", "/api/pets", Some(json!({ "name": "Mochi", "type": 1 }))),
        ("GET", "/api/users/me", None),
        ("PUT", "/api/users/me", Some(json!({ "nickName": "Ghost" }))),
        (
            "PUT",
            "/api/users/me/password",
            Some(json!({ "oldPassword": "secret-pass-1", "newPassword": "secret-pass-2" })),
        ),
        (
            "POST",
            "/api/providers/apply",
            Some(json!({ "realName": "Sam Sitter", "idCard": "110101199001011234" })),
        ),
    ] {
        let (s, b) = app.call(method, path, Some(&ghost), body).await;
        assert_eq!((s, b["error"].as_str()), (401, Some("unauthorized")), "{method} {path}: {b}");
    }
}

#[tokio::test]
async fn prices_are_exact_decimals_or_refused() {
    let app = TestApp::spawn().await;
    let admin = login(&app, "+8610000000000", "admin-password-1").await;
    let package = |price: f64| json!({ "name": "Exact", "price": price, "durationMinutes": 30 });
    let (s, b) = app.call("POST", "/api/admin/packages", Some(&admin), Some(package(1.005))).await;
    assert_eq!((s, b["field"].as_str()), (422, Some("price")), "{b}");
    let (s, b) = app.call("POST", "/api/admin/packages", Some(&admin), Some(package(12.34))).await;
    assert_eq!(s, 201, "{b}");
    let id = b["data"]["id"].as_i64().unwrap();
    let stored: String = app
        .sql()
        .await
        .query_one("SELECT price::text FROM service_packages WHERE id = $1", &[&id])
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, "12.34");
    let (_, all) = app.call("GET", "/api/admin/packages", Some(&admin), None).await;
    let names: Vec<&str> =
        all["data"].as_array().unwrap().iter().filter_map(|p| p["name"].as_str()).collect();
    assert_eq!(names.iter().filter(|n| **n == "Exact").count(), 1, "the refused one was not saved");
}

#[tokio::test]
async fn every_answer_carries_a_request_id_and_405_is_an_envelope() {
    let app = TestApp::spawn().await;
    let (token, _, _) = app.register(&phone()).await;
    let mut seen = std::collections::HashSet::new();
    for (method, path, token, status) in [
        ("GET", "/api/packages", None, 200),
        ("GET", "/api/users/me", Some(token.as_str()), 200),
        ("GET", "/api/users/me", None, 401),
        ("GET", "/api/nowhere", None, 404),
        ("DELETE", "/api/packages", None, 405),
        ("GET", "/api/orders/my?page=0", Some(token.as_str()), 422),
    ] {
        let (s, h, b) = app.raw(method, path, token, &[], None).await;
        assert_eq!(s, status, "{method} {path}");
        let id = h.get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert!(!id.is_empty(), "{method} {path} has no request id");
        assert!(seen.insert(id.to_owned()), "request ids repeat: {id}");
        let b: Value = serde_json::from_slice(&b)
            .unwrap_or_else(|_| panic!("{method} {path}: the answer is not JSON"));
        assert_eq!((b["success"].as_bool(), b["code"].as_u64()), (Some(s < 400), Some(s as u64)));
        if s == 405 {
            assert_eq!(b["error"], "method_not_allowed", "{b}");
        }
    }
    let (_, h, _) =
        app.raw("GET", "/api/packages", None, &[("x-request-id", "trace-abc-123")], None).await;
    assert_eq!(h["x-request-id"], "trace-abc-123", "a caller's id is kept");
}

#[tokio::test]
async fn taken_unassigned_and_strangers_get_404_and_too_late_is_409() {
    let app = TestApp::spawn().await;
    let (customer, _, _) = app.register(&phone()).await;
    let pet = add_cat(&app, &customer).await;
    let (s, b) = book_body(&app, &customer, &booking(pet), "late-1").await;
    assert_eq!(s, 202, "{b}");
    let order = b["data"]["orderId"].as_i64().unwrap();
    persisted(&app, &customer, order).await;
    super::fixtures::paid(&app, &customer, order).await;
    let (sitter, _) = provider(&app).await;
    let (other, _) = provider(&app).await;
    let (s, _) =
        app.call("POST", &format!("/api/orders/{order}/accept"), Some(&sitter), None).await;
    assert_eq!(s, 200);
    for (method, path, body) in [
        ("POST", format!("/api/orders/{order}/accept"), None),
        ("POST", format!("/api/orders/{order}/start"), None),
        ("POST", format!("/api/orders/{order}/complete"), None),
        ("POST", format!("/api/orders/{order}/progress"), Some(json!({ "status": 1 }))),
        ("GET", format!("/api/orders/{order}"), None),
    ] {
        let (s, b) = app.call(method, &path, Some(&other), body).await;
        assert_eq!(s, 404, "another provider: {method} {path}: {b}");
    }
    // The visit is now within two hours: the customer may no longer cancel.
    app.sql()
        .await
        .execute(
            "UPDATE service_orders SET service_at = now() + interval '1 hour' WHERE id = $1",
            &[&order],
        )
        .await
        .unwrap();
    let (s, b) =
        app.call("POST", &format!("/api/orders/{order}/cancel"), Some(&customer), None).await;
    assert_eq!((s, b["error"].as_str()), (409, Some("too_late_to_cancel")), "{b}");
    let (_, detail) = app.call("GET", &format!("/api/orders/{order}"), Some(&customer), None).await;
    assert_eq!(detail["data"]["status"], 1, "still accepted: {detail}");
}

#[tokio::test]
async fn values_outside_their_described_form_are_refused() {
    let app = TestApp::spawn().await;
    let (token, _, _) = app.register(&phone()).await;
    for (path, auth, body, field) in [
        (
            "/api/auth/logout",
            Some(token.as_str()),
            json!({ "refreshToken": "not\u{1}hex" }),
            "refreshToken",
        ),
        ("/api/auth/refresh", None, json!({ "refreshToken": "abc" }), "refreshToken"),
        (
            "/api/providers/apply",
            Some(token.as_str()),
            json!({ "realName": "Sam", "idCard": "!!!!!!!" }),
            "idCard",
        ),
    ] {
        let (s, b) = app.call("POST", path, auth, Some(body)).await;
        assert_eq!((s, b["field"].as_str()), (422, Some(field)), "{path}: {b}");
    }
}
