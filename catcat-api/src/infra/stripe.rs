//! Stripe over its real HTTP API: form-encoded bodies, the secret key as a bearer token,
//! Stripe's error JSON, a timeout on every call, and bounded retries with backoff on network
//! errors and 5xx only (each retry with the same `Idempotency-Key`, so Stripe applies the call
//! once). Webhook signatures (`Stripe-Signature`) are verified on the raw bytes before anything
//! is parsed.
//!
//! [`Gateway`] is what the payment workflows ([`crate::app::payments`]) call: this client, or in
//! dev mode without a key [`DevStripe`], an in-process stand-in that lets every intent succeed
//! and delivers Stripe's signed webhooks to the service itself.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// How long one Stripe call may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Delays before the retries of a call that failed on the network or with a 5xx.
const RETRIES: [Duration; 2] = [Duration::from_millis(200), Duration::from_millis(800)];

/// Webhooks signed longer ago (or further ahead) than this are refused.
pub const SIGNATURE_TOLERANCE: Duration = Duration::from_secs(300);

/// A Stripe call that failed.
#[derive(Debug, thiserror::Error)]
pub enum StripeError {
    /// Stripe answered with an error (its `error` object).
    #[error("Stripe refused the call ({status} {kind}): {message}")]
    Api {
        /// The HTTP status.
        status: u16,
        /// `error.type`, e.g. `card_error`.
        kind: String,
        /// `error.code`, when given.
        code: Option<String>,
        /// `error.message`.
        message: String,
    },
    /// Stripe could not be reached, or kept failing (network errors, 5xx, timeouts).
    #[error("Stripe is unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Stripe answered something that is not what its API documents.
    #[error("unexpected answer from Stripe")]
    Unexpected(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// A PaymentIntent, as far as the service reads it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PaymentIntent {
    /// `pi_…`.
    pub id: String,
    /// Handed to the client to confirm the payment.
    pub client_secret: String,
    /// In the currency's minor unit.
    pub amount: i64,
    /// Lower-case ISO code.
    pub currency: String,
    /// `requires_payment_method`, `succeeded`, ….
    pub status: String,
}

/// A Refund, as far as the service reads it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Refund {
    /// `re_…`.
    pub id: String,
    /// `pending`, `succeeded`, `failed`, ….
    pub status: String,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorObject,
}

#[derive(Deserialize)]
struct ErrorObject {
    #[serde(rename = "type")]
    kind: String,
    code: Option<String>,
    message: Option<String>,
}

/// The Stripe client.
#[derive(Debug, Clone)]
pub struct Stripe {
    http: reqwest::Client,
    base: String,
    key: SecretString,
}

impl Stripe {
    /// A client for the API at `base` (`https://api.stripe.com` in production).
    pub fn new(base: &str, key: SecretString) -> Result<Self, StripeError> {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .build()
            .map_err(|e| StripeError::Unexpected(e.into()))?;
        Ok(Self { http, base: base.trim_end_matches('/').to_owned(), key })
    }

    /// Creates (once per `idempotency_key`) a PaymentIntent for `amount` minor units of
    /// `currency`, tagged with the order.
    pub async fn create_payment_intent(
        &self,
        amount: i64,
        currency: &str,
        order_id: i64,
        idempotency_key: &str,
    ) -> Result<PaymentIntent, StripeError> {
        let form = [
            ("amount", amount.to_string()),
            ("currency", currency.to_owned()),
            ("metadata[order_id]", order_id.to_string()),
            ("automatic_payment_methods[enabled]", "true".to_owned()),
        ];
        self.post("/v1/payment_intents", &form, idempotency_key).await
    }

    /// Refunds a PaymentIntent in full (once per `idempotency_key`).
    pub async fn create_refund(
        &self,
        payment_intent: &str,
        idempotency_key: &str,
    ) -> Result<Refund, StripeError> {
        let form = [("payment_intent", payment_intent.to_owned())];
        self.post("/v1/refunds", &form, idempotency_key).await
    }

    async fn post<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        form: &[(&str, String)],
        idempotency_key: &str,
    ) -> Result<T, StripeError> {
        let url = format!("{}{path}", self.base);
        let mut attempt = 0;
        loop {
            let sent = self
                .http
                .post(&url)
                .bearer_auth(self.key.expose_secret())
                .header("Idempotency-Key", idempotency_key)
                .form(form)
                .send()
                .await;
            let retry = match sent {
                Ok(answer) if answer.status().is_success() => {
                    return answer.json().await.map_err(|e| StripeError::Unexpected(e.into()));
                }
                Ok(answer) if answer.status().is_server_error() => {
                    StripeError::Unavailable(format!("Stripe answered {}", answer.status()).into())
                }
                Ok(answer) => {
                    let status = answer.status().as_u16();
                    let body: ErrorBody =
                        answer.json().await.map_err(|e| StripeError::Unexpected(e.into()))?;
                    return Err(StripeError::Api {
                        status,
                        kind: body.error.kind,
                        code: body.error.code,
                        message: body.error.message.unwrap_or_default(),
                    });
                }
                Err(e) => StripeError::Unavailable(e.into()),
            };
            let Some(delay) = RETRIES.get(attempt) else { return Err(retry) };
            tracing::warn!(path, attempt, error = %crate::telemetry::chain(&retry), "Stripe call failed; retrying");
            tokio::time::sleep(*delay).await;
            attempt += 1;
        }
    }
}

/// What the service pays through, with the secret its webhooks are signed with.
#[derive(Debug, Clone)]
pub struct Payments {
    /// Stripe, or the dev stand-in.
    pub gateway: Gateway,
    /// Signs `POST /api/webhooks/stripe`.
    pub webhook_secret: SecretString,
    /// The currency of the prices, lower-case ISO.
    pub currency: String,
}

/// Stripe over HTTP, or the in-process stand-in of dev mode.
#[derive(Debug, Clone)]
pub enum Gateway {
    /// Stripe's API (or a stand-in speaking its protocol).
    Stripe(Stripe),
    /// Dev mode without a key: intents succeed, webhooks come from inside.
    Dev(DevStripe),
}

impl Gateway {
    /// See [`Stripe::create_payment_intent`].
    pub async fn create_payment_intent(
        &self,
        amount: i64,
        currency: &str,
        order_id: i64,
        idempotency_key: &str,
    ) -> Result<PaymentIntent, StripeError> {
        match self {
            Self::Stripe(s) => {
                s.create_payment_intent(amount, currency, order_id, idempotency_key).await
            }
            Self::Dev(d) => Ok(d.payment_intent(amount, currency, order_id)),
        }
    }

    /// See [`Stripe::create_refund`].
    pub async fn create_refund(
        &self,
        payment_intent: &str,
        idempotency_key: &str,
    ) -> Result<Refund, StripeError> {
        match self {
            Self::Stripe(s) => s.create_refund(payment_intent, idempotency_key).await,
            Self::Dev(d) => Ok(d.refund(payment_intent)),
        }
    }
}

/// Plays Stripe inside the service (dev mode without `STRIPE_SECRET_KEY`): every intent
/// succeeds and every refund is confirmed, each by a signed webhook posted to the service's own
/// `/api/webhooks/stripe` a moment later, as Stripe would.
#[derive(Debug, Clone)]
pub struct DevStripe {
    secret: String,
    target: std::sync::Arc<std::sync::OnceLock<String>>,
    http: reqwest::Client,
}

impl Default for DevStripe {
    fn default() -> Self {
        Self::new()
    }
}

impl DevStripe {
    /// A stand-in with a fresh webhook secret.
    pub fn new() -> Self {
        Self {
            secret: format!("whsec_dev_{:032x}", rand::random::<u128>()),
            target: Default::default(),
            // It posts to the service itself over plain HTTP: no root certificates to load
            // (reading the system's store took 3.7 ms at every start in dev).
            http: reqwest::Client::builder()
                .tls_built_in_native_certs(false)
                .build()
                .expect("an HTTP client without TLS roots builds"),
        }
    }

    /// The secret its webhooks are signed with.
    pub fn webhook_secret(&self) -> SecretString {
        SecretString::from(self.secret.clone())
    }

    /// Where to deliver the webhooks: the service's own endpoint, once it is bound.
    pub fn deliver_to(&self, url: String) {
        let _ = self.target.set(url);
    }

    fn payment_intent(&self, amount: i64, currency: &str, order_id: i64) -> PaymentIntent {
        let id = format!("pi_dev_{order_id}");
        let object = serde_json::json!({
            "id": id, "object": "payment_intent", "amount": amount, "currency": currency,
            "status": "succeeded", "payment_method_types": ["card"],
            "metadata": { "order_id": order_id.to_string() },
        });
        self.deliver("payment_intent.succeeded", object);
        PaymentIntent {
            client_secret: format!("{id}_secret_dev"),
            id,
            amount,
            currency: currency.to_owned(),
            status: "requires_payment_method".into(),
        }
    }

    fn refund(&self, payment_intent: &str) -> Refund {
        let object = serde_json::json!({
            "id": format!("ch_dev_{payment_intent}"), "object": "charge",
            "payment_intent": payment_intent, "refunded": true,
        });
        self.deliver("charge.refunded", object);
        Refund { id: format!("re_dev_{payment_intent}"), status: "succeeded".into() }
    }

    /// Posts the event, signed, after the answer that caused it; a few tries, as Stripe does.
    fn deliver(&self, kind: &'static str, object: serde_json::Value) {
        let Some(url) = self.target.get().cloned() else {
            tracing::warn!(kind, "dev Stripe: no endpoint to deliver to yet");
            return;
        };
        let event = serde_json::json!({
            "id": format!("evt_dev_{:024x}", rand::random::<u128>() >> 32),
            "object": "event", "type": kind, "data": { "object": object },
        });
        let body = event.to_string();
        let (http, secret) = (self.http.clone(), self.secret.clone());
        tokio::spawn(async move {
            for attempt in 0..3u64 {
                tokio::time::sleep(Duration::from_millis(100 + 1000 * attempt)).await;
                let header = sign(body.as_bytes(), &secret, chrono::Utc::now().timestamp());
                let sent = http
                    .post(&url)
                    .header("Stripe-Signature", header)
                    .header("Content-Type", "application/json")
                    .body(body.clone())
                    .send()
                    .await;
                match sent {
                    Ok(answer) if answer.status().is_success() => {
                        tracing::info!(kind, "dev Stripe: webhook delivered");
                        return;
                    }
                    Ok(answer) => {
                        tracing::warn!(kind, status = %answer.status(), "dev Stripe: webhook refused");
                    }
                    Err(e) => tracing::warn!(kind, error = %e, "dev Stripe: webhook not delivered"),
                }
            }
        });
    }
}

/// Why a webhook's signature was refused (the request gets 400 and nothing is written).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `Stripe-Signature` header.
    #[error("the Stripe-Signature header is missing")]
    Missing,
    /// The header has no timestamp or no `v1` signature, or they do not parse.
    #[error("the Stripe-Signature header is malformed")]
    Malformed,
    /// Signed too long ago, or in the future, beyond the tolerance.
    #[error("the signature's timestamp is outside the tolerance")]
    OutsideTolerance,
    /// No `v1` signature matches the body.
    #[error("no signature matches the body")]
    Mismatch,
}

/// HMAC-SHA256 (RFC 2104) of the concatenated `message` parts, by `ring` (as access tokens are).
fn hmac_sha256(key: &[u8], message: &[&[u8]]) -> [u8; 32] {
    let mut mac =
        ring::hmac::Context::with_key(&ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key));
    for part in message {
        mac.update(part);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(mac.sign().as_ref());
    out
}

/// Equal in time that does not depend on where the bytes differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Checks `header` (`Stripe-Signature: t=…,v1=…[,v1=…]`) against the raw `body`, signed with
/// `secret`, at `now` (Unix seconds): any `v1` may match.
pub fn verify_signature(
    body: &[u8],
    header: Option<&str>,
    secret: &str,
    now: i64,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => {
                timestamp = Some(t.parse::<i64>().map_err(|_| SignatureError::Malformed)?);
            }
            Some(("v1", s)) => signatures.push(s),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if (now - timestamp).unsigned_abs() > SIGNATURE_TOLERANCE.as_secs() {
        return Err(SignatureError::OutsideTolerance);
    }
    let expected = hmac_sha256(secret.as_bytes(), &[timestamp.to_string().as_bytes(), b".", body]);
    let matched = signatures
        .iter()
        .filter_map(|s| hex::decode(s).ok())
        .fold(false, |found, s| found | constant_time_eq(&s, &expected));
    if matched { Ok(()) } else { Err(SignatureError::Mismatch) }
}

/// The `Stripe-Signature` header Stripe would send for `body` at `timestamp` (for the in-process
/// stand-in and tests).
pub fn sign(body: &[u8], secret: &str, timestamp: i64) -> String {
    let signature = hmac_sha256(secret.as_bytes(), &[timestamp.to_string().as_bytes(), b".", body]);
    format!("t={timestamp},v1={}", hex::encode(signature))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const BODY: &[u8] = br#"{"id":"evt_1","type":"payment_intent.succeeded"}"#;
    const NOW: i64 = 1_765_000_000;

    #[test]
    fn hmac_matches_rfc_4231() {
        // RFC 4231, test case 2.
        let mac = hmac_sha256(b"Jefe", &[b"what do ya want ", b"for nothing?"]);
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than the block.
        let mac =
            hmac_sha256(&[0xaa; 131], &[b"Test Using Larger Than Block-Size Key - Hash Key First"]);
        assert_eq!(
            hex::encode(mac),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn the_signature_matrix() {
        let good = sign(BODY, SECRET, NOW);
        let v1 = good.split_once(",v1=").map(|(_, s)| s.to_owned()).unwrap_or_default();
        let check = |header: Option<&str>, body: &[u8]| verify_signature(body, header, SECRET, NOW);
        assert_eq!(check(Some(&good), BODY), Ok(()));
        assert_eq!(check(None, BODY), Err(SignatureError::Missing));
        for malformed in ["", "garbage", "t=abc,v1=00", &format!("v1={v1}"), &format!("t={NOW}")] {
            assert_eq!(check(Some(malformed), BODY), Err(SignatureError::Malformed), "{malformed}");
        }
        assert_eq!(
            verify_signature(BODY, Some(&sign(BODY, "whsec_other", NOW)), SECRET, NOW),
            Err(SignatureError::Mismatch),
            "wrong secret"
        );
        let stale = sign(BODY, SECRET, NOW - 301);
        assert_eq!(check(Some(&stale), BODY), Err(SignatureError::OutsideTolerance));
        let future = sign(BODY, SECRET, NOW + 301);
        assert_eq!(check(Some(&future), BODY), Err(SignatureError::OutsideTolerance));
        assert_eq!(check(Some(&sign(BODY, SECRET, NOW - 299)), BODY), Ok(()), "inside tolerance");
        let tampered = br#"{"id":"evt_1","type":"payment_intent.succeeded "}"#;
        assert_eq!(check(Some(&good), tampered), Err(SignatureError::Mismatch), "tampered body");
        // A valid v1 among bad ones (Stripe sends several while a secret rolls).
        let among = format!("t={NOW},v1=00ff,v1=not-hex,v1={v1},v0=abc");
        assert_eq!(check(Some(&among), BODY), Ok(()));
        let only_v0 = format!("t={NOW},v0={v1}");
        assert_eq!(check(Some(&only_v0), BODY), Err(SignatureError::Malformed), "v0 is not v1");
    }
}
