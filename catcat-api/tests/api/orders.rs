//! Orders end to end: the journey from booking to reply, refused transitions, idempotent
//! creation under concurrency, and the 404 matrix.

use std::time::Duration;

use chrono::Utc;
use serde_json::{Value, json};

use super::described::described;
use super::fixtures::{add_cat, book, book_body, booking, paid, persisted, provider};
use super::support::{TestApp, phone};

#[tokio::test]
async fn the_whole_customer_journey() {
    let app = TestApp::spawn().await;
    // Each kind of answer on the way is also checked against its description in /openapi.json.
    let (_, doc) = app.call("GET", "/openapi.json", None, None).await;
    let (customer, _, customer_id) = app.register(&phone()).await;
    let pet = add_cat(&app, &customer).await;
    let (s, b) = book(&app, &customer, pet, "journey-1").await;
    assert_eq!((s, b["data"]["status"].as_i64()), (202, Some(-1)), "{b}");
    described(&doc, "POST", "/api/orders", s, &b);
    let order = b["data"]["orderId"].as_i64().unwrap();
    let detail = persisted(&app, &customer, order).await;
    assert_eq!(
        (detail["status"].as_i64(), detail["customerId"].as_i64()),
        (Some(0), Some(customer_id))
    );
    assert_eq!(detail["price"], json!(50.0), "the price is copied from the package");

    let (sitter, sitter_id) = provider(&app).await;
    let offered = async |app: &TestApp| {
        let (s, b) = app.call("GET", "/api/provider/orders/available", Some(&sitter), None).await;
        assert_eq!(s, 200, "{b}");
        let offered = b["data"]["items"].as_array().unwrap().iter().any(|o| o["id"] == order);
        (offered, s, b)
    };
    assert!(!offered(&app).await.0, "not offered to providers before it is paid");
    let (s, b) =
        app.call("POST", &format!("/api/orders/{order}/accept"), Some(&sitter), None).await;
    assert_eq!((s, b["error"].as_str()), (409, Some("order_not_paid")), "{b}");
    let (s, b) = app.call("POST", &format!("/api/orders/{order}/pay"), Some(&customer), None).await;
    assert_eq!(
        (s, b["data"]["amount"].as_f64(), b["data"]["status"].as_i64()),
        (200, Some(50.0), Some(0)),
        "{b}"
    );
    described(&doc, "POST", "/api/orders/{id}/pay", s, &b);
    let pi = b["data"]["paymentIntentId"].as_str().unwrap();
    let event = super::stripe_stand_in::event(
        "payment_intent.succeeded",
        super::stripe_stand_in::intent(pi),
    );
    let (s, b) = super::stripe_stand_in::deliver(&app, &event).await;
    assert_eq!(s, 200, "{b}");
    described(&doc, "POST", "/api/webhooks/stripe", s, &b);
    let (offered, s, b) = offered(&app).await;
    assert!(offered, "offered once paid: {b}");
    described(&doc, "GET", "/api/provider/orders/available", s, &b);
    let (s, b) =
        app.call("POST", &format!("/api/orders/{order}/accept"), Some(&sitter), None).await;
    assert_eq!((s, b["data"]["status"].as_i64()), (200, Some(1)), "{b}");
    described(&doc, "POST", "/api/orders/{id}/accept", s, &b);

    for (step, order_status) in [(1, 1), (2, 1), (3, 2), (4, 2), (8, 2), (9, 3)] {
        let (s, b) = app
            .call("POST", &format!("/api/orders/{order}/progress"), Some(&sitter), Some(json!({ "status": step, "description": "ok", "imageUrls": ["https://img/1.jpg"] })))
            .await;
        assert_eq!(s, 201, "step {step}: {b}");
        described(&doc, "POST", "/api/orders/{id}/progress", s, &b);
        let (_, d) = app.call("GET", &format!("/api/orders/{order}"), Some(&customer), None).await;
        assert_eq!(d["data"]["status"].as_i64(), Some(order_status), "after step {step}");
    }
    let (s, progress) =
        app.call("GET", &format!("/api/orders/{order}/progress"), Some(&customer), None).await;
    assert_eq!(progress["data"].as_array().unwrap().len(), 6);
    described(&doc, "GET", "/api/orders/{id}/progress", s, &progress);
    let (s, d) = app.call("GET", &format!("/api/orders/{order}"), Some(&customer), None).await;
    described(&doc, "GET", "/api/orders/{id}", s, &d);
    let moves: Vec<(Option<i64>, i64)> = d["data"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["fromStatus"].as_i64(), h["toStatus"].as_i64().unwrap()))
        .collect();
    // Saved, paid (the status stays Pending), accepted, started, completed.
    assert_eq!(moves, [(Some(-1), 0), (Some(0), 0), (Some(0), 1), (Some(1), 2), (Some(2), 3)]);
    assert_eq!(d["data"]["history"][1]["remark"], "paid");
    assert_eq!(
        (d["data"]["package"]["name"].as_str(), d["data"]["pet"]["name"].as_str()),
        (Some("标准护理"), Some("Mochi"))
    );

    let (s, b) = app
        .call(
            "POST",
            "/api/reviews",
            Some(&customer),
            Some(json!({ "orderId": order, "rating": 5, "content": "Mochi loved it" })),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    described(&doc, "POST", "/api/reviews", s, &b);
    let review = b["data"]["id"].as_i64().unwrap();
    let (s, _) = app
        .call(
            "POST",
            "/api/reviews",
            Some(&customer),
            Some(json!({ "orderId": order, "rating": 4 })),
        )
        .await;
    assert_eq!(s, 409, "one review per order");
    let (s, _) = app
        .call(
            "POST",
            &format!("/api/reviews/{review}/reply"),
            Some(&customer),
            Some(json!({ "reply": "me?" })),
        )
        .await;
    assert_eq!(s, 404, "only the reviewed provider replies");
    let (stranger, _, _) = app.register(&phone()).await;
    let (s, _) = app
        .call(
            "POST",
            &format!("/api/reviews/{review}/reply"),
            Some(&stranger),
            Some(json!({ "reply": "not mine" })),
        )
        .await;
    assert_eq!(s, 404, "a stranger cannot reply either");
    let (s, b) = app
        .call(
            "POST",
            &format!("/api/reviews/{review}/reply"),
            Some(&sitter),
            Some(json!({ "reply": "Thank you!" })),
        )
        .await;
    assert_eq!((s, b["data"]["reply"].as_str()), (200, Some("Thank you!")), "{b}");
    described(&doc, "POST", "/api/reviews/{id}/reply", s, &b);
    let (s, _) = app
        .call(
            "POST",
            &format!("/api/reviews/{review}/reply"),
            Some(&sitter),
            Some(json!({ "reply": "again" })),
        )
        .await;
    assert_eq!(s, 409, "one reply");
    let (s, b) = app
        .call("GET", &format!("/api/providers/{sitter_id}/reviews"), Some(&customer), None)
        .await;
    described(&doc, "GET", "/api/providers/{id}/reviews", s, &b);
    assert_eq!(
        (b["data"]["total"].as_i64(), b["data"]["averageRating"].as_f64()),
        (Some(1), Some(5.0))
    );
    let (s, mine) = app.call("GET", "/api/orders/my?status=3", Some(&customer), None).await;
    assert_eq!(
        (mine["data"]["total"].as_i64(), mine["data"]["pageSize"].as_i64()),
        (Some(1), Some(20))
    );
    described(&doc, "GET", "/api/orders/my", s, &mine);
}

#[tokio::test]
async fn refused_transitions_and_the_404_matrix() {
    let app = TestApp::spawn().await;
    let (customer, _, _) = app.register(&phone()).await;
    let (stranger, _, _) = app.register(&phone()).await;
    let pet = add_cat(&app, &customer).await;
    let (_, b) = book(&app, &customer, pet, "matrix").await;
    let order = b["data"]["orderId"].as_i64().unwrap();
    persisted(&app, &customer, order).await;

    for (method, path, body) in [
        ("GET", format!("/api/orders/{order}"), None),
        ("GET", format!("/api/orders/{order}/progress"), None),
        ("POST", format!("/api/orders/{order}/cancel"), None),
        ("POST", format!("/api/orders/{order}/accept"), None),
        ("POST", format!("/api/orders/{order}/pay"), None),
        ("POST", format!("/api/orders/{order}/start"), None),
        ("POST", format!("/api/orders/{order}/complete"), None),
        ("POST", format!("/api/orders/{order}/progress"), Some(json!({ "status": 1 }))),
        ("POST", "/api/reviews".to_owned(), Some(json!({ "orderId": order, "rating": 5 }))),
    ] {
        let (s, b) = app.call(method, &path, Some(&stranger), body).await;
        assert_eq!(s, 404, "{method} {path}: {b}");
    }

    let (sitter, _) = provider(&app).await;
    paid(&app, &customer, order).await;
    let (s, _) = app.call("POST", &format!("/api/orders/{order}/start"), Some(&sitter), None).await;
    assert_eq!(s, 404, "not their order yet");
    let (s, _) =
        app.call("POST", &format!("/api/orders/{order}/accept"), Some(&sitter), None).await;
    assert_eq!(s, 200);
    let (s, b) =
        app.call("POST", &format!("/api/orders/{order}/complete"), Some(&sitter), None).await;
    assert_eq!(
        (s, b["error"].as_str()),
        (409, Some("order_not_completable")),
        "complete before start"
    );
    let (s, _) =
        app.call("POST", &format!("/api/orders/{order}/accept"), Some(&sitter), None).await;
    assert_eq!(s, 409, "accepted twice");
    let (s, b) = app
        .call(
            "POST",
            &format!("/api/orders/{order}/progress"),
            Some(&sitter),
            Some(json!({ "status": 3 })),
        )
        .await;
    assert_eq!(
        (s, b["error"].as_str()),
        (409, Some("progress_out_of_order")),
        "StartService before OnTheWay"
    );
    let (s, _) = app
        .call(
            "POST",
            "/api/reviews",
            Some(&customer),
            Some(json!({ "orderId": order, "rating": 5 })),
        )
        .await;
    assert_eq!(s, 409, "not completed yet");

    // The customer cancels (more than two hours ahead); nothing moves after that.
    let (s, b) = app
        .call(
            "POST",
            &format!("/api/orders/{order}/cancel"),
            Some(&customer),
            Some(json!({ "reason": "plans changed" })),
        )
        .await;
    assert_eq!((s, b["data"]["status"].as_i64()), (200, Some(4)), "{b}");
    let (s, _) = app.call("POST", &format!("/api/orders/{order}/start"), Some(&sitter), None).await;
    assert_eq!(s, 409);
    let (s, _) =
        app.call("POST", &format!("/api/orders/{order}/cancel"), Some(&customer), None).await;
    assert_eq!(s, 409, "cancelled twice");
}

#[tokio::test]
async fn fifty_concurrent_identical_requests_make_one_order() {
    let app = TestApp::spawn().await;
    let (customer, _, _) = app.register(&phone()).await;
    let pet = add_cat(&app, &customer).await;
    // Retries of one request: the same body, the same key.
    let body = booking(pet);
    let answers = futures_util::future::join_all(
        (0..50).map(|_| book_body(&app, &customer, &body, "same-key")),
    )
    .await;
    let ids: std::collections::HashSet<i64> = answers
        .iter()
        .map(|(s, b)| {
            assert_eq!(*s, 202, "{b}");
            b["data"]["orderId"].as_i64().unwrap()
        })
        .collect();
    assert_eq!(ids.len(), 1, "every retry gets the first answer");
    let id = *ids.iter().next().unwrap();
    persisted(&app, &customer, id).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_, mine) = app.call("GET", "/api/orders/my", Some(&customer), None).await;
    assert_eq!(mine["data"]["total"].as_i64(), Some(1), "one order persisted");

    let mut other = body.clone();
    other["address"] = json!("2 Dog Street");
    let res = app
        .http
        .post(format!("{}/api/orders", app.base))
        .bearer_auth(&customer)
        .header("Idempotency-Key", "same-key")
        .json(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 422, "the key is bound to the first request body");
    let res = app
        .http
        .post(format!("{}/api/orders", app.base))
        .bearer_auth(&customer)
        .json(&booking(pet))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400, "the key is required");
}

#[tokio::test]
async fn booking_input_is_checked() {
    let app = TestApp::spawn().await;
    let (customer, _, _) = app.register(&phone()).await;
    let (other, _, _) = app.register(&phone()).await;
    let pet = add_cat(&app, &customer).await;
    let foreign_pet = add_cat(&app, &other).await;
    let soon = (Utc::now() + chrono::Duration::minutes(30)).to_rfc3339();
    for (i, (patch, field)) in [
        (json!({ "serviceAt": soon }), "serviceAt"),
        (json!({ "petId": foreign_pet }), "petId"),
        (json!({ "packageId": 999 }), "packageId"),
        (json!({ "address": "" }), "address"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut body = booking(pet);
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let res = app
            .http
            .post(format!("{}/api/orders", app.base))
            .bearer_auth(&customer)
            .header("Idempotency-Key", format!("bad-{i}"))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let b: Value = res.json().await.unwrap();
        assert_eq!(status, 422, "{field}: {b}");
    }
    let (_, mine) = app.call("GET", "/api/orders/my", Some(&customer), None).await;
    assert_eq!(mine["data"]["total"].as_i64(), Some(0), "nothing was queued");
}

#[tokio::test]
async fn concurrent_progress_reports_pass_the_checks_one_at_a_time() {
    let app = TestApp::spawn().await;
    let (customer, _, _) = app.register(&phone()).await;
    let pet = add_cat(&app, &customer).await;
    let (_, b) = book(&app, &customer, pet, "race").await;
    let order = b["data"]["orderId"].as_i64().unwrap();
    persisted(&app, &customer, order).await;
    paid(&app, &customer, order).await;
    let (sitter, _) = provider(&app).await;
    let (s, _) =
        app.call("POST", &format!("/api/orders/{order}/accept"), Some(&sitter), None).await;
    assert_eq!(s, 200);
    let path = format!("/api/orders/{order}/progress");
    let answers = futures_util::future::join_all(
        (0..30).map(|_| app.call("POST", &path, Some(&sitter), Some(json!({ "status": 1 })))),
    )
    .await;
    let created = answers.iter().filter(|(s, _)| *s == 201).count();
    let refused = answers
        .iter()
        .filter(|(s, b)| *s == 409 && b["error"] == json!("progress_out_of_order"))
        .count();
    assert_eq!((created, refused), (1, 29), "{answers:?}");
    let (_, list) = app.call("GET", &path, Some(&customer), None).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn every_repository_matches_the_migrated_schema() {
    let app = TestApp::spawn().await;
    let pool = catcat_api::startup::database_pool(&super::support::db_url(&app), 2, Duration::ZERO)
        .unwrap();
    let report = catcat_api::repos::verify_all(&pool).await.unwrap();
    assert!(report.is_ok(), "{report}");
    assert!(report.checked > 100, "every statement of every repository: {}", report.checked);
}

/// What the macro typed from `migrations/` alone, statement by statement: nearly every
/// statement is modelled, and `verify` (above) holds each decided type against the database.
#[test]
fn the_migrations_type_the_statements_without_a_database() {
    use catcat_api::repos::{migrations, orders, packages, payments, pets, providers, users};
    let all: Vec<repo_runtime::Inferred> = [
        users::PgUserRepository::<()>::INFERRED,
        users::PgRefreshTokenRepository::<()>::INFERRED,
        pets::PgPetRepository::<()>::INFERRED,
        packages::PgPackageRepository::<()>::INFERRED,
        migrations::PgMigrationRepository::<()>::INFERRED,
        orders::PgOrderRepository::<()>::INFERRED,
        orders::PgOrderHistoryRepository::<()>::INFERRED,
        orders::PgProgressRepository::<()>::INFERRED,
        orders::PgIdempotencyRepository::<()>::INFERRED,
        providers::PgProviderRepository::<()>::INFERRED,
        providers::PgReviewRepository::<()>::INFERRED,
        payments::PgPaymentRepository::<()>::INFERRED,
        payments::PgStripeEventRepository::<()>::INFERRED,
    ]
    .concat();
    let not_modelled: Vec<&str> = all.iter().filter(|i| !i.modelled).map(|i| i.sql).collect();
    assert!(not_modelled.is_empty(), "statements beyond the inference: {not_modelled:#?}");
    let undecided: Vec<String> =
        all.iter()
            .flat_map(|i| {
                i.columns.iter().filter(|c| c.pg_type.is_none() || c.nullable.is_none()).map(
                    move |c| format!("{}.{}: {:?} {:?}", i.method, c.name, c.pg_type, c.nullable),
                )
            })
            .collect();
    assert!(undecided.is_empty(), "columns left to verify(): {undecided:#?}");
    let untyped: Vec<String> = all
        .iter()
        .flat_map(|i| {
            i.params
                .iter()
                .enumerate()
                .filter(|(_, p)| p.is_none())
                .map(move |(n, _)| format!("{} ${}: {}", i.method, n + 1, i.sql))
        })
        .collect();
    assert!(untyped.is_empty(), "parameters left to verify(): {untyped:#?}");
    let columns: usize = all.iter().map(|i| i.columns.len()).sum();
    assert!(all.len() > 60 && columns > 400, "{} statements, {columns} columns", all.len());
}
