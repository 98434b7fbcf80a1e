//! Health, readiness, packages, the envelope for bad input, and concurrent startup.

use catcat_api::startup::Application;
use serde_json::json;

use super::described::described;
use super::support::{
    TestApp, config, create_database, drop_database, login, phone, sms_stand_in, unique,
};

#[tokio::test]
async fn health_and_readiness() {
    let app = TestApp::spawn().await;
    let (s, b) = app.call("GET", "/health", None, None).await;
    assert_eq!((s, b["data"]["status"].as_str()), (200, Some("alive")));
    // Ready once the repositories are verified against the schema (just after startup).
    let mut ready = (0, json!(null));
    for _ in 0..100 {
        ready = app.call("GET", "/health/ready", None, None).await;
        if ready.0 == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let (s, b) = ready;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b["data"],
        json!({ "accepting": true, "verified": true, "database": true, "cache": true, "migrations": true })
    );
    // SIGTERM: readiness turns 503 while the service still answers, then the port closes.
    app.shutdown.trigger();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let (s, b) = app.call("GET", "/health/ready", None, None).await;
    assert_eq!((s, b["data"]["accepting"].as_bool()), (503, Some(false)), "{b}");
    let (s, _) = app.call("GET", "/api/packages", None, None).await;
    assert_eq!(s, 200, "requests still routed here are served");
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert!(
        app.http.get(format!("{}/health", app.base)).send().await.is_err(),
        "then the listener closes"
    );
}

#[tokio::test]
async fn packages_are_seeded_in_order() {
    let app = TestApp::spawn().await;
    let (s, b) = app.call("GET", "/api/packages", None, None).await;
    assert_eq!(s, 200, "{b}");
    let items = b["data"].as_array().unwrap();
    let names: Vec<&str> = items.iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["基础喂养", "标准护理", "高级护理"]);
    assert_eq!(items[0]["price"], json!(30.0));
    assert_eq!(items[2]["durationMinutes"], json!(90));
    let id = items[1]["id"].as_i64().unwrap();
    let (s, b) = app.call("GET", &format!("/api/packages/{id}"), None, None).await;
    assert_eq!((s, b["data"]["name"].as_str()), (200, Some("标准护理")));
    let (s, b) = app.call("GET", "/api/packages/999999", None, None).await;
    assert_eq!(
        (s, b["success"].as_bool(), b["error"].as_str()),
        (404, Some(false), Some("not_found"))
    );
    let (s, _) = app.call("GET", "/api/packages/abc", None, None).await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn bad_input_gets_a_precise_answer() {
    let app = TestApp::spawn().await;
    // Malformed JSON.
    let res = app
        .http
        .post(format!("{}/api/auth/send-code", app.base))
        .header("content-type", "application/json")
        .body("{\"phone\":")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    // Unknown field, named.
    let (s, b) = app
        .call(
            "POST",
            "/api/auth/send-code",
            None,
            Some(json!({ "phone": "+8613800000000", "extra": 1 })),
        )
        .await;
    assert_eq!((s, b["field"].as_str()), (422, Some("extra")), "{b}");
    // Wrong type, named.
    let (s, b) = app
        .call("POST", "/api/auth/login", None, Some(json!({ "phone": 5, "password": "x" })))
        .await;
    assert_eq!((s, b["field"].as_str()), (422, Some("phone")), "{b}");
    // A rule, named.
    let (s, b) =
        app.call("POST", "/api/auth/send-code", None, Some(json!({ "phone": "12" }))).await;
    assert_eq!(
        (s, b["field"].as_str(), b["error"].as_str()),
        (422, Some("phone"), Some("invalid_field")),
        "{b}"
    );
    // Too large a body.
    let big = "x".repeat(100 * 1024);
    let (s, _) = app.call("POST", "/api/auth/send-code", None, Some(json!({ "phone": big }))).await;
    assert_eq!(s, 413);
    // Unknown route, in the envelope.
    let (s, b) = app.call("GET", "/api/nothing-here", None, None).await;
    assert_eq!((s, b["code"].as_i64()), (404, Some(404)));
}

#[tokio::test]
async fn three_replicas_starting_at_once_migrate_once() {
    let db = unique("catcat_race");
    let url = create_database(&db).await;
    let (sms, _) = sms_stand_in().await;
    let builds = (0..3).map(|_| Application::build(config(&url, &sms, "http://127.0.0.1:9")));
    let apps = futures_util::future::join_all(builds).await;
    assert!(
        apps.iter().all(Result::is_ok),
        "{:?}",
        apps.iter().filter_map(|a| a.as_ref().err()).collect::<Vec<_>>()
    );
    let pool = apps[0].as_ref().unwrap().state().pool.pool().clone();
    let applied = catcat_api::migrate::is_current(&pool).await;
    assert!(applied);
    let client = pool.get().await.unwrap();
    let n: i64 =
        client.query_one("SELECT count(*) FROM schema_migrations", &[]).await.unwrap().get(0);
    assert_eq!(n as usize, catcat_api::migrate::MIGRATIONS.len());
    let admins: i64 =
        client.query_one("SELECT count(*) FROM users WHERE role = 99", &[]).await.unwrap().get(0);
    assert_eq!(admins, 1, "one seeded admin");
    drop(client);
    drop(apps);
    drop_database(&db).await;
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_time_queries() {
    let app = TestApp::spawn().await;
    for _ in 0..3 {
        app.call("GET", "/api/packages/7", None, None).await;
    }
    let text =
        app.http.get(format!("{}/metrics", app.base)).send().await.unwrap().text().await.unwrap();
    let line = text
        .lines()
        .find(|l| {
            l.starts_with("http_requests_total{")
                && l.contains("route=\"/api/packages/{id}\"")
                && l.contains("status=\"404\"")
        })
        .unwrap_or_else(|| panic!("no request counter for the route in:\n{text}"));
    let n: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(n >= 3.0, "{line}");
    assert!(text.contains("http_request_duration_seconds_bucket"), "latency histogram");
    assert!(
        text.contains(
            "db_query_duration_seconds_bucket{method=\"PackageRepository::active_by_id\""
        ),
        "query timings by method"
    );
    assert!(text.contains("db_pool_size"), "pool gauges");
    assert!(!text.contains("/api/packages/7"), "raw paths never become labels");
}

#[tokio::test]
async fn the_openapi_document_describes_the_routes() {
    let app = TestApp::spawn().await;
    let (s, doc) = app.call("GET", "/openapi.json", None, None).await;
    assert_eq!(s, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{}", doc["openapi"]);
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/auth/register", "post"),
        ("/api/orders", "post"),
        ("/api/orders/{id}/progress", "post"),
        ("/api/pets/{id}", "delete"),
        ("/api/admin/packages/{id}/active", "patch"),
        ("/health/ready", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} is documented"
        );
    }
    let register = &doc["components"]["schemas"]["Register"]["properties"];
    assert!(
        register.get("nickName").is_some(),
        "request schemas use the JSON field names: {register}"
    );
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    assert_eq!(paths.len(), 42, "every route path of the router but /metrics and /openapi.json");

    // Every answer of every operation has a body: the error envelope, or for 2xx the success
    // envelope with `data` typed by the operation.
    let (mut answers, mut operations) = (0, 0);
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            operations += 1;
            for (status, response) in operation["responses"].as_object().unwrap() {
                let schema = &response["content"]["application/json"]["schema"];
                if status.starts_with('2') {
                    assert_eq!(
                        schema["allOf"][0]["$ref"], "#/components/schemas/Success",
                        "{method} {path} {status}: {schema}"
                    );
                    let data = &schema["allOf"][1]["properties"]["data"];
                    assert!(data.is_object(), "{method} {path} {status}: data is described");
                } else {
                    // A refusal is the Failure envelope, with `data` beside it where the
                    // operation says what it carries (readiness says which check failed).
                    let failure = if schema["allOf"].is_array() {
                        &schema["allOf"][0]["$ref"]
                    } else {
                        &schema["$ref"]
                    };
                    assert_eq!(failure, "#/components/schemas/Failure", "{method} {path} {status}");
                }
                answers += 1;
            }
        }
    }
    assert_eq!(operations, 49, "every operation is described");
    assert!(answers > 3 * operations, "{answers} answers described for {operations} operations");
    // The error envelope described is the one sent: same fields, none missing, none extra.
    let (s, refused) =
        app.call("POST", "/api/auth/send-code", None, Some(json!({ "phone": "12" }))).await;
    assert_eq!(s, 422, "{refused}");
    assert_eq!(keys(&doc["components"]["schemas"]["Failure"]["properties"]), keys(&refused));
    // A success is the Success envelope with the operation's `data` beside it.
    let (_, packages) = app.call("GET", "/api/packages", None, None).await;
    let described = &doc["paths"]["/api/packages"]["get"]["responses"]["200"]["content"]["application/json"]
        ["schema"]["allOf"];
    assert_eq!(described[0]["$ref"], "#/components/schemas/Success");
    let mut envelope = keys(&doc["components"]["schemas"]["Success"]["properties"]);
    envelope.extend(keys(&described[1]["properties"]));
    envelope.sort();
    assert_eq!(envelope, keys(&packages));
}

/// The keys of a JSON object, sorted.
fn keys(object: &serde_json::Value) -> Vec<&String> {
    let mut keys: Vec<&String> = object.as_object().unwrap().keys().collect();
    keys.sort();
    keys
}

/// The `data` each operation describes is the `data` it sends: for a sample of answers of every
/// shape (objects, lists, pages, nested and optional parts, the cached text path), every key sent
/// is described and every key described as required is sent, all the way down.
#[tokio::test]
async fn described_data_is_the_data_sent() {
    let app = TestApp::spawn().await;
    let (_, doc) = app.call("GET", "/openapi.json", None, None).await;
    let admin = login(&app, "+8610000000000", "admin-password-1").await;
    let (s, b) =
        app.call("POST", "/api/auth/send-code", None, Some(json!({ "phone": phone() }))).await;
    assert_eq!(s, 200, "{b}");
    described(&doc, "POST", "/api/auth/send-code", s, &b);
    let customer_phone = phone();
    let (token, _, user_id) = app.register(&customer_phone).await;
    let pet = json!({ "name": "Mochi", "type": 1, "gender": 2, "needsWaterRefill": true });
    let (_, created) = app.call("POST", "/api/pets", Some(&token), Some(pet)).await;
    let pet_id = created["data"]["id"].as_i64().unwrap();
    let (_, me) = app.call("GET", "/api/users/me", Some(&admin), None).await;
    let admin_id = me["data"]["id"].as_i64().unwrap();
    let mut checked = 0;
    for (method, path, template, token, body) in [
        (
            "POST",
            "/api/auth/login".to_owned(),
            "/api/auth/login",
            None,
            Some(json!({ "phone": customer_phone, "password": "secret-pass-1" })),
        ),
        ("GET", "/api/users/me".to_owned(), "/api/users/me", Some(&token), None),
        ("GET", format!("/api/users/{user_id}"), "/api/users/{id}", Some(&admin), None),
        // Twice: the first answer fills the cache, the second is the cached text.
        ("GET", format!("/api/users/{admin_id}"), "/api/users/{id}", Some(&token), None),
        ("GET", format!("/api/users/{admin_id}"), "/api/users/{id}", Some(&token), None),
        ("GET", "/api/pets".to_owned(), "/api/pets", Some(&token), None),
        ("GET", format!("/api/pets/{pet_id}"), "/api/pets/{id}", Some(&token), None),
        ("GET", "/api/packages".to_owned(), "/api/packages", None, None),
        ("GET", "/api/admin/statistics".to_owned(), "/api/admin/statistics", Some(&admin), None),
        ("GET", "/api/admin/users".to_owned(), "/api/admin/users", Some(&admin), None),
        ("GET", "/api/admin/packages".to_owned(), "/api/admin/packages", Some(&admin), None),
        ("GET", "/api/orders/my".to_owned(), "/api/orders/my", Some(&token), None),
        ("GET", "/health".to_owned(), "/health", None, None),
        ("GET", "/health/ready".to_owned(), "/health/ready", None, None),
        ("DELETE", format!("/api/pets/{pet_id}"), "/api/pets/{id}", Some(&token), None),
    ] {
        let (status, sent) = app.call(method, &path, token.map(String::as_str), body).await;
        assert!((200..300).contains(&status), "{method} {path}: {status} {sent}");
        described(&doc, method, template, status, &sent);
        checked += 1;
    }
    assert_eq!(checked, 15);

    // Refusals: the status sent is one the operation lists.
    // The seeded admin's phone: registered, and no code sent to it yet.
    let admin_phone = "+8610000000000";
    let code_again = json!({ "phone": admin_phone });
    let (s, b) = app.call("POST", "/api/auth/send-code", None, Some(code_again.clone())).await;
    assert_eq!(s, 200, "{b}");
    let code = app.last_code(admin_phone);
    let big = json!({ "name": "x".repeat(70 * 1024), "type": 1, "gender": 1 });
    let taken = json!({ "phone": admin_phone, "code": code, "password": "secret-pass-1" });
    for (method, path, token, body, expected) in [
        ("POST", "/api/pets", Some(&token), Some(big), 413),
        ("GET", "/api/admin/users", Some(&token), None, 403),
        ("GET", "/api/users/me", None, None, 401),
        ("POST", "/api/auth/send-code", None, Some(code_again), 429),
        ("POST", "/api/auth/register", None, Some(taken), 409),
    ] {
        let (status, sent) = app.call(method, path, token.map(String::as_str), body).await;
        assert_eq!(status, expected, "{method} {path}: {sent}");
        let listed = &doc["paths"][path][method.to_lowercase()]["responses"][status.to_string()];
        assert!(listed.is_object(), "{method} {path} answers {status} but does not list it");
    }
    let (status, _) = app.call("GET", "/api/packages/987654321", None, None).await;
    assert_eq!(status, 404);
    assert!(doc["paths"]["/api/packages/{id}"]["get"]["responses"]["404"].is_object());
}

#[tokio::test]
async fn healthcheck_answers_for_a_running_service_and_fails_without_one() {
    let app = TestApp::spawn().await;
    let mut config = app.config.clone();
    config.port = app.base.rsplit(':').next().unwrap().parse().unwrap();
    assert_eq!(catcat_api::startup::healthcheck(&config).await, Ok(()));
    // A port nobody listens on.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    config.port = free.local_addr().unwrap().port();
    drop(free);
    let refused = catcat_api::startup::healthcheck(&config).await;
    assert!(refused.as_ref().is_err_and(|e| e.contains("/health")), "{refused:?}");
}

/// Liveness answers from the moment the port is bound, while the database is still out of
/// reach; readiness and the API answer 503 `starting` with `Retry-After`; once the service is
/// built and running it answers on the same port.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn liveness_answers_while_the_dependencies_connect_then_the_service_takes_the_port() {
    use tokio::net::{TcpListener, TcpStream};
    let db = unique("catcat_early");
    let url = create_database(&db).await;
    // PostgreSQL behind a proxy that holds every connection until it is opened.
    let proxy = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let via = proxy.local_addr().unwrap();
    let target = url.split('@').nth(1).and_then(|rest| rest.split('/').next()).unwrap().to_owned();
    let gated_url = url.replacen(&target, &via.to_string(), 1);
    let (open, opened) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = proxy.accept().await {
            let (mut opened, target) = (opened.clone(), target.clone());
            tokio::spawn(async move {
                let _ = opened.wait_for(|open| *open).await;
                if let Ok(mut outbound) = TcpStream::connect(&target).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    let (sms, _) = sms_stand_in().await;
    let mut cfg = config(&gated_url, &sms, "http://127.0.0.1:9");
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    cfg.port = free.local_addr().unwrap().port();
    drop(free);
    let base = format!("http://127.0.0.1:{}", cfg.port);
    let building = tokio::spawn(Application::build(cfg));
    let http =
        reqwest::Client::builder().timeout(std::time::Duration::from_millis(500)).build().unwrap();
    let mut alive = None;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    while std::time::Instant::now() < deadline {
        if let Ok(r) = http.get(format!("{base}/health")).send().await {
            alive = Some((r.status().as_u16(), r.json::<serde_json::Value>().await.unwrap()));
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let (s, b) = alive.expect("liveness answers while the database is out of reach");
    assert_eq!((s, b["data"]["status"].as_str()), (200, Some("alive")));
    for path in ["/health/ready", "/api/packages", "/api/users/me"] {
        let r = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(r.status(), 503, "{path}");
        assert_eq!(r.headers()["retry-after"], "1", "{path}");
        let b: serde_json::Value = r.json().await.unwrap();
        assert_eq!(b["error"], "starting", "{path}: {b}");
    }
    assert!(!building.is_finished(), "still connecting while the proxy holds");
    // Clients keep asking through the handover: each request gets an answer, 503 `starting`
    // before and 200 after, and none is dropped unanswered.
    let askers: Vec<_> = (0..4)
        .map(|_| {
            let (http, url) = (http.clone(), format!("{base}/api/packages"));
            tokio::spawn(async move {
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
                let mut seen = Vec::new();
                while std::time::Instant::now() < deadline {
                    match http.get(&url).send().await {
                        Ok(r) if r.status() == 200 => return (seen, true),
                        Ok(r) => seen.push(r.status().to_string()),
                        Err(e) => seen.push(format!("no answer: {e:?}")),
                    }
                }
                (seen, false)
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    open.send(true).unwrap();
    let app = building.await.unwrap().expect("the service starts once the database answers");
    assert_eq!(format!("http://127.0.0.1:{}", app.port()), base);
    let shutdown = app.shutdown_handle();
    tokio::spawn(app.run_until_stopped());
    for asker in askers {
        let (seen, served) = asker.await.unwrap();
        assert!(served, "the service took over the port");
        assert!(seen.iter().all(|s| s.starts_with("503")), "{seen:?}");
        assert!(!seen.is_empty(), "asked before the service took over");
    }
    shutdown.trigger();
    drop_database(&db).await;
}
