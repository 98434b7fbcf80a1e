#!/usr/bin/env bash
# Runs every test: unit, template, expansion snapshots, compile-fail (trybuild), doc tests and
# the integration tests against a real PostgreSQL (each test in a database of its own).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/services.sh postgres
export TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432/postgres}"
cargo test --workspace --all-targets
cargo test --workspace --doc
