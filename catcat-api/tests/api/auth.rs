//! Sign-up and sign-in over HTTP: codes, throttles, passwords, refresh rotation and reuse.

use serde_json::json;

use super::support::{TestApp, phone};

#[tokio::test]
async fn register_sign_in_and_read_the_profile() {
    let app = TestApp::spawn().await;
    let p = phone();
    let (access, _, id) = app.register(&p).await;
    let (s, b) = app.call("GET", "/api/users/me", Some(&access), None).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        (b["data"]["id"].as_i64(), b["data"]["phone"].as_str(), b["data"]["role"].as_i64()),
        (Some(id), Some(p.as_str()), Some(1))
    );
    assert!(
        b["data"].get("passwordHash").is_none() && !b.to_string().contains("argon2"),
        "no hash leaves the service"
    );

    let (s, b) = app
        .call(
            "POST",
            "/api/auth/login",
            None,
            Some(json!({ "phone": p, "password": "secret-pass-1" })),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["data"]["expiresIn"], json!(900));
    let (s, b) = app
        .call(
            "POST",
            "/api/auth/login",
            None,
            Some(json!({ "phone": p, "password": "wrong-pass-1" })),
        )
        .await;
    assert_eq!((s, b["error"].as_str()), (401, Some("unauthorized")));
    let (s, _) = app
        .call(
            "POST",
            "/api/auth/login",
            None,
            Some(json!({ "phone": phone(), "password": "secret-pass-1" })),
        )
        .await;
    assert_eq!(s, 401, "unknown phones look like wrong passwords");

    // A second registration of the same phone is a conflict.
    app.outbox.lock().unwrap().clear();
    let (s, _) = app.call("POST", "/api/auth/send-code", None, Some(json!({ "phone": p }))).await;
    assert_eq!(s, 429, "resend within 60 s is throttled");
}

#[tokio::test]
async fn codes_are_single_use_and_limited_to_five_attempts() {
    let app = TestApp::spawn().await;
    let p = phone();
    let (s, b) = app.call("POST", "/api/auth/send-code", None, Some(json!({ "phone": p }))).await;
    assert_eq!(s, 200, "{b}");
    let code = app.last_code(&p);
    let wrong = if code == "000000" { "000001" } else { "000000" };
    for _ in 0..5 {
        let (s, b) = app
            .call(
                "POST",
                "/api/auth/register",
                None,
                Some(json!({ "phone": p, "code": wrong, "password": "secret-pass-1" })),
            )
            .await;
        assert_eq!((s, b["field"].as_str()), (422, Some("code")), "{b}");
    }
    let (s, b) = app
        .call(
            "POST",
            "/api/auth/register",
            None,
            Some(json!({ "phone": p, "code": code, "password": "secret-pass-1" })),
        )
        .await;
    assert_eq!(
        (s, b["field"].as_str()),
        (422, Some("code")),
        "after five wrong tries the right code is refused too: {b}"
    );
}

#[tokio::test]
async fn resends_are_throttled_with_retry_after() {
    let app = TestApp::spawn().await;
    let p = phone();
    let (s, _) = app.call("POST", "/api/auth/send-code", None, Some(json!({ "phone": p }))).await;
    assert_eq!(s, 200);
    let res = app
        .http
        .post(format!("{}/api/auth/send-code", app.base))
        .json(&json!({ "phone": p }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 429);
    let retry: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(app.outbox.lock().unwrap().len(), 1, "the throttled request sent nothing");
}

#[tokio::test]
async fn sms_login_and_refresh_rotation_with_reuse_detection() {
    let app = TestApp::spawn().await;
    let p = phone();
    let (_, first_refresh, _) = app.register(&p).await;

    // Rotation: each refresh token works once and yields a new one.
    let (s, b) = app
        .call("POST", "/api/auth/refresh", None, Some(json!({ "refreshToken": first_refresh })))
        .await;
    assert_eq!(s, 200, "{b}");
    let second = b["data"]["refreshToken"].as_str().unwrap().to_owned();
    let access = b["data"]["accessToken"].as_str().unwrap().to_owned();
    assert_ne!(second, first_refresh);
    let (s, _) = app.call("GET", "/api/users/me", Some(&access), None).await;
    assert_eq!(s, 200);

    // Reuse of the rotated token revokes the family: the newest token dies too.
    let (s, _) = app
        .call("POST", "/api/auth/refresh", None, Some(json!({ "refreshToken": first_refresh })))
        .await;
    assert_eq!(s, 401);
    let (s, _) =
        app.call("POST", "/api/auth/refresh", None, Some(json!({ "refreshToken": second }))).await;
    assert_eq!(s, 401, "the whole family is revoked");

    // A refresh token is not an access token, and a garbage token is nothing.
    let (s, _) = app.call("GET", "/api/users/me", Some(&second), None).await;
    assert_eq!(s, 401);
    let (s, _) = app.call("GET", "/api/users/me", Some("not.a.jwt"), None).await;
    assert_eq!(s, 401);
    let (s, _) = app.call("GET", "/api/users/me", None, None).await;
    assert_eq!(s, 401);
}

#[tokio::test]
async fn password_change_and_logout_end_sessions() {
    let app = TestApp::spawn().await;
    let (access, refresh, _) = app.register(&phone()).await;
    let (s, b) = app
        .call(
            "PUT",
            "/api/users/me/password",
            Some(&access),
            Some(json!({ "oldPassword": "nope-nope-1", "newPassword": "another-pass-2" })),
        )
        .await;
    assert_eq!((s, b["field"].as_str()), (422, Some("oldPassword")));
    let (s, _) = app
        .call(
            "PUT",
            "/api/users/me/password",
            Some(&access),
            Some(json!({ "oldPassword": "secret-pass-1", "newPassword": "another-pass-2" })),
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) =
        app.call("POST", "/api/auth/refresh", None, Some(json!({ "refreshToken": refresh }))).await;
    assert_eq!(s, 401, "sessions end with the old password");
}

#[tokio::test]
async fn profiles_public_and_private() {
    let app = TestApp::spawn().await;
    let (a, _, a_id) = app.register(&phone()).await;
    let (b_token, _, b_id) = app.register(&phone()).await;
    // Seen by another user first, so the public profile is in the cache.
    let (_, before) = app.call("GET", &format!("/api/users/{a_id}"), Some(&b_token), None).await;
    assert_eq!(before["data"]["nickName"], json!("Tester"));
    let (s, body) = app
        .call(
            "PUT",
            "/api/users/me",
            Some(&a),
            Some(json!({ "nickName": "  Mia  ", "email": "mia@example.com" })),
        )
        .await;
    assert_eq!((s, body["data"]["nickName"].as_str()), (200, Some("Mia")));
    let (s, body) = app
        .call(
            "PUT",
            "/api/users/me",
            Some(&a),
            Some(json!({ "nickName": "Mia", "email": "not-an-email" })),
        )
        .await;
    assert_eq!((s, body["field"].as_str()), (422, Some("email")));
    let (s, body) = app.call("GET", &format!("/api/users/{a_id}"), Some(&b_token), None).await;
    assert_eq!(s, 200);
    assert_eq!(body["data"]["nickName"], json!("Mia"), "the update invalidated the cached copy");
    assert!(
        body["data"].get("phone").is_none() && body["data"].get("email").is_none(),
        "others see the public profile: {body}"
    );
    let (_, own) = app.call("GET", &format!("/api/users/{b_id}"), Some(&b_token), None).await;
    assert!(own["data"].get("phone").is_some(), "a user sees their own full profile");
}
