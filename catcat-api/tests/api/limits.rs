//! Cluster-wide rate limits: replicas share one budget, a forged `X-Forwarded-For` changes
//! nothing, password guessing is stopped without telling which phones exist, and a Redis
//! outage fails reads open and SMS sending closed.

use std::time::Duration;

use catcat_api::infra::kv::Kv;
use catcat_api::infra::limiter::{Limiter, OnStoreDown, Policy, Verdict};
use serde_json::json;

use super::support::{Cuttable, TestApp, phone, redis_url, unique};

/// Fires `n` GETs of `path`, `concurrency` at a time, spread over `apps` in turn, each with
/// `headers`; the answers' statuses and the headers of one 429.
async fn fire(
    apps: &[&TestApp],
    path: &str,
    n: usize,
    headers: &[(&str, &str)],
) -> (usize, usize, Option<reqwest::header::HeaderMap>) {
    let mut calls = Vec::new();
    for i in 0..n {
        let app = apps[i % apps.len()];
        let mut req = app.http.get(format!("{}{path}", app.base));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        calls.push(tokio::spawn(req.send()));
    }
    let (mut ok, mut limited, mut sample) = (0, 0, None);
    for call in calls {
        let answer = call.await.unwrap().unwrap();
        match answer.status().as_u16() {
            200 => ok += 1,
            429 => {
                limited += 1;
                sample.get_or_insert_with(|| answer.headers().clone());
            }
            other => panic!("unexpected {other}"),
        }
    }
    (ok, limited, sample)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_replicas_together_admit_no_more_than_the_limit() {
    let first = TestApp::spawn_with(|c| c.rate_limit_ip = "100/600".parse().unwrap()).await;
    let second = first.replica().await;
    let third = first.replica().await;
    let (ok, limited, sample) = fire(&[&first, &second, &third], "/api/packages", 400, &[]).await;
    assert!(ok <= 105, "{ok} admitted by three replicas under a limit of 100");
    assert!(ok >= 80, "only {ok} of the first 100 admitted: the limit is stricter than set");
    assert_eq!(ok + limited, 400);
    let headers = sample.expect("some were refused");
    assert!(headers["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
    assert_eq!(headers["ratelimit-policy"], "\"ip\";q=100;w=600");
    assert!(headers["ratelimit"].to_str().unwrap().starts_with("\"ip\";r=0;t="));
    // Health checks are not /api: the balancer's probes are never refused.
    let (s, _) = first.call("GET", "/health", None, None).await;
    assert_eq!(s, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_forwarded_for_from_an_untrusted_peer_changes_nothing() {
    let app = TestApp::spawn_with(|c| c.rate_limit_ip = "20/600".parse().unwrap()).await;
    // Each request claims to come from another address; the peer is not a trusted proxy.
    let mut admitted = 0;
    for i in 0..60 {
        let forged = format!("198.51.100.{i}");
        let (s, _, _) =
            app.raw("GET", "/api/packages", None, &[("x-forwarded-for", &forged)], None).await;
        admitted += usize::from(s == 200);
    }
    assert_eq!(admitted, 20, "the forged addresses got budgets of their own");

    // Behind a trusted proxy, the address it recorded is the client.
    let behind = TestApp::spawn_with(|c| {
        c.rate_limit_ip = "20/600".parse().unwrap();
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let (a, _, _) =
        fire(&[&behind], "/api/packages", 30, &[("x-forwarded-for", "203.0.113.1")]).await;
    let (b, _, _) =
        fire(&[&behind], "/api/packages", 30, &[("x-forwarded-for", "203.0.113.2")]).await;
    assert_eq!((a, b), (20, 20), "two clients behind the proxy, a budget each");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_guessing_is_stopped_and_unknown_phones_look_the_same() {
    let app = TestApp::spawn_with(|c| c.rate_limit_auth_phone = "6/900".parse().unwrap()).await;
    let known = phone();
    app.register(&known).await;
    let unknown = phone();
    let mut refused_at = Vec::new();
    for target in [&known, &unknown] {
        let mut statuses = Vec::new();
        for _ in 0..6 {
            let (s, _) = app
                .call(
                    "POST",
                    "/api/auth/login",
                    None,
                    Some(json!({ "phone": target, "password": "wrong-password-1" })),
                )
                .await;
            statuses.push(s);
        }
        // Six tokens, two per failed attempt (the registration above spent one of the known
        // phone's on its code): the fourth attempt at the latest is refused.
        let first_429 = statuses.iter().position(|s| *s == 429).expect("refused at some point");
        assert!(first_429 <= 3, "{target}: {statuses:?}");
        assert!(statuses[..first_429].iter().all(|s| *s == 401), "{target}: {statuses:?}");
        assert!(statuses[first_429..].iter().all(|s| *s == 429), "{target}: {statuses:?}");
        refused_at.push(first_429);
    }
    assert_eq!(refused_at[0], refused_at[1], "a registered phone is refused like an unknown one");
    // Even the right password waits now.
    let (s, b) = app
        .call(
            "POST",
            "/api/auth/login",
            None,
            Some(json!({ "phone": known, "password": "secret-pass-1" })),
        )
        .await;
    assert_eq!(s, 429, "{b}");
    assert_eq!(b["error"], "too_many_requests");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_down_reads_go_on_and_sms_sending_stops() {
    let prefix = format!("{}:", unique("limits"));
    let proxy = Cuttable::to(redis_url().trim_start_matches("redis://")).await;
    let kv = Kv::redis(&format!("redis://{}", proxy.addr), &prefix).await.unwrap();
    let limiter = Limiter::new(kv).await.unwrap();
    let rate = "1/600".parse().unwrap();
    let reads = Policy { name: "ip", rate, on_down: OnStoreDown::Open };
    let sms = Policy { name: "auth_phone", rate, on_down: OnStoreDown::Closed };
    assert_eq!(limiter.take(&reads, "a", 1).await, Verdict::Allowed);
    assert!(matches!(limiter.take(&reads, "a", 1).await, Verdict::Limited(_)));
    assert_eq!(limiter.take(&sms, "p", 1).await, Verdict::Allowed);

    proxy.cut();
    tokio::time::sleep(Duration::from_millis(50)).await;
    // Fresh keys must ask Redis: reads are admitted, codes are not sent.
    assert_eq!(limiter.take(&reads, "b", 1).await, Verdict::Allowed);
    assert_eq!(limiter.take(&sms, "q", 1).await, Verdict::Unavailable);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_a_replica_took_but_did_not_spend_go_back_to_the_shared_bucket() {
    // Three replicas serve one client slowly (one request each per second) under 100 per 10
    // minutes; each takes a batch of 5 and spends 1 of it before the batch expires. After ten
    // rounds the client has spent 30: a burst must still get most of the other 70. If the
    // unspent tokens were dropped, the rounds would have emptied the bucket (3 × 5 × 10 = 150).
    let prefix = format!("{}:", unique("limits"));
    let mut replicas = Vec::new();
    for _ in 0..3 {
        let kv = Kv::redis(&redis_url(), &prefix).await.unwrap();
        replicas.push(Limiter::new(kv).await.unwrap());
    }
    let ip = Policy { name: "ip", rate: "100/600".parse().unwrap(), on_down: OnStoreDown::Open };
    for _ in 0..10 {
        for replica in &replicas {
            assert_eq!(replica.take(&ip, "client", 1).await, Verdict::Allowed);
        }
        tokio::time::sleep(catcat_api::infra::limiter::HOLD + Duration::from_millis(50)).await;
    }
    let mut burst = 0;
    for _ in 0..100 {
        if replicas[0].take(&ip, "client", 1).await == Verdict::Allowed {
            burst += 1;
        }
    }
    // 70 left, less what the other two replicas still hold (at most 2 × 4, dropped when their
    // last batches expired without a request to give them back).
    assert!(burst >= 60, "only {burst} of the 70 left were admitted");
    assert!(burst <= 70, "{burst} admitted: more than the 70 left");
}
