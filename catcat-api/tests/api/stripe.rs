//! The Stripe client against a local stand-in that speaks Stripe's protocol: form-encoded
//! bodies, bearer key, `Idempotency-Key`, Stripe's error JSON. A 500 is retried with the same
//! key and makes one intent, not two; a card error is reported as Stripe worded it.

use catcat_api::config::SecretString;
use catcat_api::infra::stripe::{Stripe, StripeError};

use super::stripe_stand_in::{KEY, stand_in};

#[tokio::test]
async fn a_failed_call_is_retried_with_its_key_and_makes_one_intent() {
    let (base, s) = stand_in().await;
    let stripe = Stripe::new(&base, SecretString::from(KEY)).unwrap();
    s.lock().unwrap().fail_next = 1;
    let first = stripe.create_payment_intent(12_900, "cny", 42, "order-42-pay").await.unwrap();
    assert_eq!((first.amount, first.currency.as_str()), (12_900, "cny"));
    assert_eq!(first.status, "requires_payment_method");
    assert!(first.client_secret.starts_with(&first.id));
    // Asked again (a client retry): the same intent.
    let again = stripe.create_payment_intent(12_900, "cny", 42, "order-42-pay").await.unwrap();
    assert_eq!(again, first);
    let s = s.lock().unwrap();
    assert_eq!(
        (s.calls, s.intents.len()),
        (3, 1),
        "a 500, its retry, the client's retry: one intent"
    );
    assert_eq!(s.intents["order-42-pay"]["metadata"]["order_id"], "42");
}

#[tokio::test]
async fn stripe_errors_are_reported_as_stripe_worded_them_and_not_retried() {
    let (base, s) = stand_in().await;
    let stripe = Stripe::new(&base, SecretString::from(KEY)).unwrap();
    match stripe.create_payment_intent(10, "cny", 7, "order-7-pay").await {
        Err(StripeError::Api { status: 400, kind, code, message }) => {
            assert_eq!(kind, "invalid_request_error");
            assert_eq!(code.as_deref(), Some("amount_too_small"));
            assert_eq!(message, "Amount must be at least 50 cents");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.lock().unwrap().calls, 1, "a 4xx is not retried");
    let wrong_key = Stripe::new(&base, SecretString::from("sk_test_wrong")).unwrap();
    let err = wrong_key.create_payment_intent(1000, "cny", 7, "order-7-pay").await.unwrap_err();
    assert!(matches!(err, StripeError::Api { status: 401, .. }), "{err:?}");
    // Nothing listens: unavailable, after the bounded retries.
    let gone = Stripe::new("http://127.0.0.1:9", SecretString::from(KEY)).unwrap();
    let err = gone.create_payment_intent(1000, "cny", 7, "order-7-pay").await.unwrap_err();
    assert!(matches!(err, StripeError::Unavailable(_)), "{err:?}");
}

#[tokio::test]
async fn the_client_speaks_tls_to_an_https_base() {
    // Stripe is https: the client must open a TLS handshake (a record starting 0x16), not send
    // plain HTTP or refuse the scheme.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("https://{}", listener.local_addr().unwrap());
    let first_bytes = tokio::spawn(async move {
        use tokio::io::AsyncReadExt;
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut head = [0u8; 3];
        socket.read_exact(&mut head).await.unwrap();
        head
    });
    let stripe = Stripe::new(&base, SecretString::from(KEY)).unwrap();
    let err = stripe.create_payment_intent(1000, "cny", 1, "order-1-intent").await.unwrap_err();
    assert!(matches!(err, StripeError::Unavailable(_)), "{err:?}");
    let head = tokio::time::timeout(std::time::Duration::from_secs(5), first_bytes)
        .await
        .expect("the client never connected")
        .unwrap();
    assert_eq!(head, [0x16, 0x03, 0x01], "a TLS handshake record, not {head:?}");
}
