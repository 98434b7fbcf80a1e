//! The JWT attack matrix over HTTP: every forged, stale, misdirected or misused token is
//! refused with 401, and a correctly signed token cannot claim a role its user does not have.
//! (Tokens ended by a ban, a role change, a sign-out or a password change: `sessions.rs`.)

use jsonwebtoken::{Algorithm, EncodingKey, Header, crypto, encode};
use serde_json::{Value, json};

use super::support::{TestApp, phone};

const SECRET: &[u8] = b"a-test-secret-that-is-long-enough-0123456789";

fn b64(bytes: &[u8]) -> String {
    // base64url without padding, as JWT segments are.
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().fold(0u32, |n, b| (n << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

fn claims(user: i64) -> Value {
    let now = chrono::Utc::now();
    json!({
        "sub": user.to_string(), "role": 1, "iss": "catcat", "aud": "catcat-api",
        "exp": now.timestamp() + 900, "nbf": now.timestamp(), "iat": now.timestamp(),
        "typ": "access", "ims": now.timestamp_millis(),
    })
}

fn signed(claims: &Value, secret: &[u8]) -> String {
    encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(secret)).unwrap()
}

/// A token whose header says `alg`, HMAC-signed with the service's secret over that header.
fn with_header(alg: &str, claims: &Value) -> String {
    let message = format!(
        "{}.{}",
        b64(json!({ "alg": alg, "typ": "JWT" }).to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let signature =
        crypto::sign(message.as_bytes(), &EncodingKey::from_secret(SECRET), Algorithm::HS256)
            .unwrap();
    format!("{message}.{signature}")
}

fn changed(user: i64, change: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Value {
    let mut c = claims(user);
    change(c.as_object_mut().unwrap());
    c
}

#[tokio::test]
async fn forged_stale_and_misused_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let (_, refresh, user) = app.register(&phone()).await;
    let now = chrono::Utc::now().timestamp();

    // The crafting is right: a token made here the way the service makes them is accepted.
    let (s, b) = app.call("GET", "/api/users/me", Some(&signed(&claims(user), SECRET)), None).await;
    assert_eq!(s, 200, "{b}");

    let valid = signed(&claims(user), SECRET);
    let (head, rest) = valid.split_once('.').unwrap();
    let signature = rest.rsplit_once('.').unwrap().1;
    let unsigned = format!(
        "{}.{}.",
        b64(br#"{"alg":"none","typ":"JWT"}"#),
        b64(claims(user).to_string().as_bytes())
    );
    let tampered = format!(
        "{head}.{}.{signature}",
        b64(changed(user, |c| {
            c.insert("sub".into(), json!("1"));
        })
        .to_string()
        .as_bytes())
    );
    let matrix: Vec<(&str, String)> = vec![
        ("alg none", unsigned),
        ("wrong key", signed(&claims(user), b"another-secret-that-is-long-enough-000000")),
        ("RS256 header over an HMAC signature", with_header("RS256", &claims(user))),
        ("HS512 header", with_header("HS512", &claims(user))),
        (
            "expired",
            signed(
                &changed(user, |c| {
                    c.insert("exp".into(), json!(now - 3600));
                }),
                SECRET,
            ),
        ),
        (
            "not yet valid",
            signed(
                &changed(user, |c| {
                    c.insert("nbf".into(), json!(now + 3600));
                }),
                SECRET,
            ),
        ),
        (
            "wrong issuer",
            signed(
                &changed(user, |c| {
                    c.insert("iss".into(), json!("evil"));
                }),
                SECRET,
            ),
        ),
        (
            "wrong audience",
            signed(
                &changed(user, |c| {
                    c.insert("aud".into(), json!("other-api"));
                }),
                SECRET,
            ),
        ),
        (
            "no subject",
            signed(
                &changed(user, |c| {
                    c.remove("sub");
                }),
                SECRET,
            ),
        ),
        (
            "no expiry",
            signed(
                &changed(user, |c| {
                    c.remove("exp");
                }),
                SECRET,
            ),
        ),
        (
            "not an access token",
            signed(
                &changed(user, |c| {
                    c.insert("typ".into(), json!("refresh"));
                }),
                SECRET,
            ),
        ),
        ("a user that does not exist", signed(&claims(9_999_999_999), SECRET)),
        ("the refresh token", refresh.clone()),
        ("tampered payload", tampered),
        ("garbage", "not.a.token".into()),
    ];
    for (what, token) in &matrix {
        let (s, b) = app.call("GET", "/api/users/me", Some(token), None).await;
        assert_eq!(s, 401, "{what}: {b}");
        assert_eq!(b["error"], "unauthorized", "{what}");
    }

    // Correctly signed, claiming admin for a customer: the role is the user's, not the token's.
    let escalated = signed(
        &changed(user, |c| {
            c.insert("role".into(), json!(99));
        }),
        SECRET,
    );
    let (s, b) = app.call("GET", "/api/admin/users", Some(&escalated), None).await;
    assert_eq!((s, b["error"].as_str()), (403, Some("admin_only")), "{b}");
}
