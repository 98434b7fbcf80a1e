#!/usr/bin/env bash
# Runs the bookshop example (the generator as a new user meets it) against a local PostgreSQL (started, or installed and started, if
# missing). It creates its own database, `bookshop`, and leaves it for you to look at.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/services.sh postgres
export DATABASE_URL="${DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432/bookshop}"
cargo run --quiet -p bookshop
