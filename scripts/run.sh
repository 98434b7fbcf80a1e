#!/usr/bin/env bash
# Runs the CatCat service on port 8080 with what it needs: PostgreSQL and Redis (installed from
# Debian packages and started locally when missing), the `catcat` database (created when
# missing), migrations and seeds applied at startup. Set ADMIN_PHONE and ADMIN_PASSWORD to seed
# an administrator. Any variable documented in catcat-api/src/config.rs may be overridden.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/services.sh postgres redis nats
export PGPASSWORD="${PGPASSWORD:-postgres}"
if ! psql -h 127.0.0.1 -U postgres -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = 'catcat'" | grep -q 1; then
  psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE catcat"
fi
export DATABASE_URL="${DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432/catcat}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
export NATS_URL="${NATS_URL:-nats://127.0.0.1:4222}"
export PORT="${PORT:-8080}"
exec cargo run --release --quiet -p catcat-api -- serve
