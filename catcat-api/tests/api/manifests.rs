//! `deploy/k8s`: every manifest is valid for the Kubernetes version it targets
//! (kubernetes-validate, strict: an unknown field is an error), every variable the Deployment
//! and the migration Job set is one the binary reads, every secret key they reference is in
//! the secret template, and the shutdown timings fit inside the grace period.

use std::collections::BTreeSet;
use std::path::PathBuf;

use catcat_api::config::Cli;
use clap::{CommandFactory, Parser};

/// The Kubernetes version the manifests target.
const KUBERNETES: &str = "1.33.0";

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy/k8s")
}

fn read(name: &str) -> String {
    std::fs::read_to_string(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn manifests() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml") && n != "kustomization.yaml")
        .collect();
    names.sort();
    names
}

#[test]
fn every_manifest_is_valid_for_its_kubernetes_version() {
    let validate = std::env::var("KUBERNETES_VALIDATE").expect(
        "KUBERNETES_VALIDATE names the kubernetes-validate command (scripts/test.sh sets it from scripts/kubernetes-validate.sh)",
    );
    let files = manifests();
    assert!(files.len() >= 9, "{files:?}");
    let out = std::process::Command::new(validate)
        .args(["--strict", "--quiet", "-k", KUBERNETES])
        .args(&files)
        .current_dir(dir())
        .output()
        .expect("kubernetes-validate runs");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // kustomize applies every manifest but the secret template and the Job.
    let kustomization = read("kustomization.yaml");
    for file in files {
        let listed = kustomization.contains(&format!("  - {file}\n"));
        let expected = !matches!(file.as_str(), "secret.example.yaml" | "migrate-job.yaml");
        assert_eq!(listed, expected, "{file} in kustomization.yaml");
    }
}

/// The keys of the mapping under `section:` (two-space indented `KEY: value` lines).
fn keys_under(text: &str, section: &str) -> BTreeSet<String> {
    text.lines()
        .skip_while(|l| l.trim_end() != section)
        .skip(1)
        .take_while(|l| {
            l.starts_with("  ") || l.trim().is_empty() || l.trim_start().starts_with('#')
        })
        .filter_map(|l| l.strip_prefix("  ")?.split_once(':').map(|(k, _)| k.trim().to_owned()))
        .filter(|k| !k.starts_with('#') && !k.is_empty())
        .collect()
}

/// What follows `prefix` on the lines that start with it (after indentation), upper-case only.
fn values_after(text: &str, prefix: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|l| l.trim_start().strip_prefix(prefix))
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'))
        .collect()
}

fn number_after(text: &str, prefix: &str) -> u64 {
    text.lines()
        .find_map(|l| l.trim_start().strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no `{prefix}`"))
        .trim()
        .trim_matches('"')
        .parse()
        .unwrap()
}

#[test]
fn the_workloads_set_only_what_the_binary_reads_and_reference_only_templated_secrets() {
    let mut read_by_binary: BTreeSet<String> = Cli::command()
        .get_arguments()
        .filter_map(|a| a.get_env())
        .map(|e| e.to_string_lossy().into_owned())
        .collect();
    read_by_binary.insert("RUST_LOG".into());
    assert!(read_by_binary.contains("RATE_LIMIT_IP") && read_by_binary.contains("DATABASE_URL"));

    let config = keys_under(&read("configmap.yaml"), "data:");
    let template = keys_under(&read("secret.example.yaml"), "stringData:");
    assert!(config.contains("PORT") && template.contains("JWT_SECRET"), "{config:?} {template:?}");
    for workload in ["deployment.yaml", "migrate-job.yaml"] {
        let text = read(workload);
        let set = values_after(&text, "- name: ");
        let secrets = values_after(&text, "key: ");
        assert!(!set.is_empty() && !secrets.is_empty(), "{workload}");
        for var in set.iter().chain(&config).chain(&template) {
            assert!(
                read_by_binary.contains(var),
                "{workload} sets {var}, which the binary never reads"
            );
        }
        for key in &secrets {
            assert!(
                template.contains(key),
                "{workload} reads secret key {key}, not in the template"
            );
        }
    }

    // The values parse and pass the binary's own checks (prod: a strong secret, an SMS sender).
    let mut args = vec!["catcat-api".to_owned()];
    for (file, section) in [("configmap.yaml", "data:"), ("secret.example.yaml", "stringData:")] {
        let text = read(file);
        for key in keys_under(&text, section) {
            if key == "RUST_LOG" {
                continue;
            }
            let arg = Cli::command()
                .get_arguments()
                .find(|a| a.get_env().is_some_and(|e| e == key.as_str()))
                .and_then(|a| a.get_long().map(str::to_owned))
                .unwrap_or_else(|| panic!("{key} has no flag"));
            let line = text.lines().find(|l| l.starts_with(&format!("  {key}:"))).unwrap();
            let value = line.split_once(':').unwrap().1.trim().trim_matches('"');
            args.extend([format!("--{arg}"), value.to_owned()]);
        }
    }
    let cli = Cli::try_parse_from(&args).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cli.config.env, catcat_api::config::Env::Prod);
    cli.config.check().unwrap_or_else(|e| panic!("the manifests' configuration is refused: {e}"));

    // SIGTERM comes after the preStop pause; the service then drains for SHUTDOWN_GRACE_SECS.
    let deployment = read("deployment.yaml");
    let configmap = read("configmap.yaml");
    let pause = number_after(&deployment, "seconds: ");
    let grace = number_after(&configmap, "SHUTDOWN_GRACE_SECS: ");
    let delay_ms = number_after(&configmap, "SHUTDOWN_DELAY_MS: ");
    let period = number_after(&deployment, "terminationGracePeriodSeconds: ");
    assert!(
        pause * 1000 + delay_ms + grace * 1000 < period * 1000,
        "preStop {pause} s + delay {delay_ms} ms + grace {grace} s must fit in {period} s"
    );
}
