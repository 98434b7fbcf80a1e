//! Access tokens (HS256 JWT, algorithm pinned, `iss`/`aud`/`exp`/`nbf`/`sub` checked) and
//! refresh tokens (random, stored only as SHA-256 hashes; never a JWT, so one can never pass
//! for an access token).

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::UserRole;

/// How long an access token lives.
pub const ACCESS_TTL: Duration = Duration::minutes(15);
/// How long a refresh token lives.
pub const REFRESH_TTL: Duration = Duration::days(7);

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// The user id, as a string.
    pub sub: String,
    /// The user's role when the token was issued.
    pub role: i16,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Expiry (seconds).
    pub exp: i64,
    /// Not before (seconds).
    pub nbf: i64,
    /// Issued at (seconds).
    pub iat: i64,
    /// Always `access`.
    pub typ: String,
    /// Issued at, in milliseconds (sessions ended at an instant refuse tokens issued before).
    #[serde(default)]
    pub ims: i64,
}

/// Signs and checks access tokens.
#[derive(Clone)]
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

/// A verified access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    /// The user.
    pub user_id: i64,
    /// Their role when it was issued.
    pub role: UserRole,
    /// When it was issued, in milliseconds.
    pub issued_ms: i64,
}

impl Tokens {
    /// Keys from `secret`, checking `issuer` and `audience`.
    pub fn new(secret: &[u8], issuer: &str, audience: &str) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "sub", "iss", "aud"]);
        validation.validate_nbf = true;
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
        }
    }

    /// A signed access token for `user_id`, and its lifetime in seconds.
    pub fn issue(&self, user_id: i64, role: UserRole, now: DateTime<Utc>) -> (String, i64) {
        let claims = Claims {
            sub: user_id.to_string(),
            role: role.value(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            exp: (now + ACCESS_TTL).timestamp(),
            nbf: now.timestamp(),
            iat: now.timestamp(),
            typ: "access".into(),
            ims: now.timestamp_millis(),
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing cannot fail");
        (token, ACCESS_TTL.num_seconds())
    }

    /// The user of a valid access token; `None` for anything else.
    pub fn verify(&self, token: &str) -> Option<Verified> {
        let data = decode::<Claims>(token, &self.decoding, &self.validation).ok()?;
        let c = data.claims;
        if c.typ != "access" {
            return None;
        }
        Some(Verified {
            user_id: c.sub.parse().ok()?,
            role: UserRole::from_value(i64::from(c.role))?,
            issued_ms: c.ims,
        })
    }
}

/// A new refresh token: 32 random bytes, hex.
pub fn new_refresh_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What is stored for a token or code: its SHA-256, hex.
pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> Tokens {
        Tokens::new(b"0123456789abcdef0123456789abcdef", "catcat", "catcat-api")
    }

    #[test]
    fn round_trip() {
        let now = Utc::now();
        let (t, ttl) = tokens().issue(42, UserRole::Admin, now);
        assert_eq!(ttl, 900);
        assert_eq!(
            tokens().verify(&t),
            Some(Verified {
                user_id: 42,
                role: UserRole::Admin,
                issued_ms: now.timestamp_millis()
            })
        );
    }

    #[test]
    fn rejects_what_it_must() {
        let now = Utc::now();
        let (t, _) = tokens().issue(1, UserRole::Customer, now);
        let other = Tokens::new(b"another-secret-another-secret-xx", "catcat", "catcat-api");
        assert_eq!(other.verify(&t), None, "wrong key");
        assert_eq!(
            Tokens::new(b"0123456789abcdef0123456789abcdef", "evil", "catcat-api").verify(&t),
            None,
            "wrong issuer"
        );
        assert_eq!(
            Tokens::new(b"0123456789abcdef0123456789abcdef", "catcat", "other").verify(&t),
            None,
            "wrong audience"
        );
        let (old, _) = tokens().issue(1, UserRole::Customer, now - Duration::hours(1));
        assert_eq!(tokens().verify(&old), None, "expired");
        let (future, _) = tokens().issue(1, UserRole::Customer, now + Duration::hours(1));
        assert_eq!(tokens().verify(&future), None, "not yet valid");
        assert_eq!(
            tokens().verify(&new_refresh_token()),
            None,
            "a refresh token is no access token"
        );
        // The `none` algorithm and HS512 are refused: the algorithm is pinned.
        let none =
            format!("{}.{}.", b64(r#"{"alg":"none","typ":"JWT"}"#), t.split('.').nth(1).unwrap());
        assert_eq!(tokens().verify(&none), None);
        let hs512 = encode(
            &Header::new(Algorithm::HS512),
            &decode::<Claims>(
                &t,
                &DecodingKey::from_secret(b"0123456789abcdef0123456789abcdef"),
                &tokens().validation,
            )
            .unwrap()
            .claims,
            &EncodingKey::from_secret(b"0123456789abcdef0123456789abcdef"),
        )
        .unwrap();
        assert_eq!(tokens().verify(&hs512), None);
    }

    fn b64(s: &str) -> String {
        use std::fmt::Write;
        // URL-safe base64 without padding, enough for a header.
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let b = s.as_bytes();
        let mut out = String::new();
        for chunk in b.chunks(3) {
            let n = chunk.iter().fold(0u32, |acc, &x| (acc << 8) | u32::from(x))
                << (8 * (3 - chunk.len()));
            for i in 0..=chunk.len() {
                let _ = write!(out, "{}", A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }
}
