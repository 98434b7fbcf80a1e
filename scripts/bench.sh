#!/usr/bin/env bash
# Zero-overhead benchmark: generated repositories vs hand-written tokio-postgres vs sqlx, in one
# criterion binary against the local PostgreSQL (database `repo_bench`, created afresh).
# Ends with a table of ratios to the baseline from the same run. Extra arguments go to
# criterion (e.g. `scripts/bench.sh get_by_id` to run one group). Then the instructions per call
# under callgrind (scripts/instructions.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/services.sh postgres
export DATABASE_URL="${DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432/postgres}"
target="${CARGO_TARGET_DIR:-$PWD/target}"
export CRITERION_HOME="${CRITERION_HOME:-$target/criterion}"
cargo bench -p repo-bench --bench zero_overhead -- "$@"
# Beside the wall times, the deterministic count: client-side instructions per call.
scripts/instructions.sh
