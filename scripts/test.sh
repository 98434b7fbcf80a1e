#!/usr/bin/env bash
# Runs every test: unit, template, expansion snapshots, compile-fail (trybuild), doc tests, the
# integration tests against a real PostgreSQL, Redis and NATS (each test in a database and key
# space of its own), and schemathesis against the running service.
# Ends with one line totalling every test binary: "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/services.sh postgres redis nats
export TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432/postgres}"
export TEST_REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379}"
export TEST_NATS_URL="${TEST_NATS_URL:-nats://127.0.0.1:4222}"
# The contract test drives schemathesis (PyPI) against the running service.
SCHEMATHESIS="${SCHEMATHESIS:-$(scripts/schemathesis.sh)}"
export SCHEMATHESIS
# The manifests under deploy/k8s are validated offline by kubernetes-validate (PyPI).
KUBERNETES_VALIDATE="${KUBERNETES_VALIDATE:-$(scripts/kubernetes-validate.sh)}"
export KUBERNETES_VALIDATE
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
{ cargo test --workspace --all-targets --exclude repo-bench && cargo test --workspace --doc --exclude repo-bench; } 2>&1 | tee "$log" || status=$?
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed;?$/) p += $(i-1); if ($i ~ /^failed;?$/) f += $(i-1) } }
     END { printf "%d passed, %d failed\n", p, f }' "$log"
exit "$status"
