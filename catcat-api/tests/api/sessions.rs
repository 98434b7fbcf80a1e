//! Sessions end on every replica within seconds: after a ban, a demotion, a sign-out or a
//! password change, the old access token is refused by another replica that had it cached.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::fixtures::provider;
use super::support::{TestApp, login, phone};

/// Polls `path` on `app` with `token` until it answers `refused` (within two seconds); how long
/// that took.
async fn refused_within(app: &TestApp, path: &str, token: &str, refused: &[u16]) -> Duration {
    let start = Instant::now();
    loop {
        let (s, _) = app.call("GET", path, Some(token), None).await;
        if refused.contains(&s) {
            return start.elapsed();
        }
        assert!(start.elapsed() < Duration::from_secs(2), "{path} still answers {s} after 2 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn ok(app: &TestApp, path: &str, token: &str) {
    let (s, b) = app.call("GET", path, Some(token), None).await;
    assert_eq!(s, 200, "{path}: {b}");
}

async fn admin_call(app: &TestApp, admin: &str, path: &str, body: Value) {
    let (s, b) = app.call("PUT", path, Some(admin), Some(body)).await;
    assert_eq!(s, 200, "{path}: {b}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ban_demotion_sign_out_and_password_change_end_access_tokens_on_every_replica() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let admin = login(&a, "+8610000000000", "admin-password-1").await;

    // Ban.
    let (token, _, id) = a.register(&phone()).await;
    ok(&b, "/api/pets", &token).await;
    admin_call(&a, &admin, &format!("/api/admin/users/{id}/status"), json!({ "status": 3 })).await;
    let (s, _) = a
        .call("POST", "/api/pets", Some(&token), Some(json!({ "name": "After", "type": 1 })))
        .await;
    assert_eq!(s, 401, "a banned user's token creates nothing");
    refused_within(&b, "/api/pets", &token, &[401]).await;

    // Demotion: a provider's token stops listing available orders.
    let (provider_token, id) = provider(&a).await;
    ok(&b, "/api/provider/orders/available", &provider_token).await;
    admin_call(&a, &admin, &format!("/api/admin/users/{id}/role"), json!({ "role": 1 })).await;
    refused_within(&b, "/api/provider/orders/available", &provider_token, &[401, 403]).await;

    // Sign-out.
    let (token, refresh, _) = a.register(&phone()).await;
    ok(&b, "/api/users/me", &token).await;
    let (s, body) = a
        .call("POST", "/api/auth/logout", Some(&token), Some(json!({ "refreshToken": refresh })))
        .await;
    assert_eq!(s, 200, "{body}");
    refused_within(&b, "/api/users/me", &token, &[401]).await;

    // Password change.
    let p = phone();
    let (token, _, _) = a.register(&p).await;
    ok(&b, "/api/users/me", &token).await;
    let (s, _) = a
        .call(
            "PUT",
            "/api/users/me/password",
            Some(&token),
            Some(json!({ "oldPassword": "secret-pass-1", "newPassword": "another-pass-2" })),
        )
        .await;
    assert_eq!(s, 200);
    refused_within(&b, "/api/users/me", &token, &[401]).await;
    let fresh = login(&a, &p, "another-pass-2").await;
    ok(&b, "/api/users/me", &fresh).await;
}
