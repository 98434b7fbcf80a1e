//! The contract, mechanically: schemathesis (from PyPI; `scripts/test.sh` installs it and sets
//! `SCHEMATHESIS`) generates requests from `/openapi.json` alone and runs every check against
//! the running service, once with a customer's token and once without: no 5xx, every answer
//! matches its description, nothing the document calls valid is refused, nothing it calls
//! invalid is accepted. The cases it cannot satisfy from the document are listed in
//! `schemathesis.toml` beside this file, each with its reason.

use std::process::Command;

use super::support::{TestApp, phone};

/// How long each of the two runs may generate requests, in seconds (`SCHEMATHESIS_SECONDS`).
fn budget() -> String {
    std::env::var("SCHEMATHESIS_SECONDS").unwrap_or_else(|_| "60".into())
}

/// The generator's seed (`SCHEMATHESIS_SEED`): fixed by default so that a run can be replayed
/// and the suite gives the same verdict twice; `random` explores new cases.
fn seed() -> Option<String> {
    match std::env::var("SCHEMATHESIS_SEED") {
        Ok(s) if s == "random" => None,
        Ok(s) => Some(s),
        Err(_) => Some("20261202".into()),
    }
}

fn schemathesis(base: &str, token: Option<&str>) -> (bool, String) {
    let st = std::env::var("SCHEMATHESIS").unwrap_or_else(|_| {
        panic!("SCHEMATHESIS is not set: run the tests through scripts/test.sh, which installs schemathesis and points SCHEMATHESIS at it")
    });
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/schemathesis.toml");
    let mut command = Command::new(&st);
    command
        .arg("--config-file")
        .arg(config)
        .arg("run")
        .arg(format!("{base}/openapi.json"))
        // Every check is on by default; the config file turns off only what it lists.
        .args(["--url", base, "--workers", "2", "--max-time", &budget()])
        .args(["--suppress-health-check", "too_slow,filter_too_much", "--no-color"])
        .env("HYPOTHESIS_STORAGE_DIRECTORY", std::env::temp_dir().join("catcat-hypothesis"));
    if let Some(seed) = seed() {
        command.args(["--seed", &seed]);
    }
    if let Some(t) = token {
        command.args(["-H", &format!("Authorization: Bearer {t}")]);
    }
    let out = command.output().unwrap_or_else(|e| panic!("cannot run {st}: {e}"));
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_nothing_with_a_customer_token_or_without() {
    let app = TestApp::spawn().await;
    let (token, _, _) = app.register(&phone()).await;
    let base = app.base.clone();
    let runs = tokio::task::spawn_blocking(move || {
        [
            ("with a customer token", schemathesis(&base, Some(&token))),
            ("without a token", schemathesis(&base, None)),
        ]
    })
    .await
    .unwrap();
    for (how, (ok, text)) in runs {
        assert!(ok, "schemathesis {how} found problems:\n{text}");
    }
}
