#!/usr/bin/env bash
# Makes sure the local services named on the command line are up (postgres, redis, nats).
# A service that already answers on its port is used as it is: never restarted or
# reconfigured. One that is missing is installed from Debian packages and started locally.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  for _ in $(seq 1 60); do
    if port_open "$1"; then return 0; fi
    sleep 0.5
  done
  echo "services: $2 did not come up on port $1" >&2
  exit 1
}

APT_UPDATED=""
apt_install() {
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "services: $* missing and no apt-get here; install it and start it on localhost" >&2
    exit 1
  fi
  if [ -z "$APT_UPDATED" ]; then
    $SUDO apt-get update -qq
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

ensure_postgres() {
  if port_open 5432; then return 0; fi
  echo "services: starting PostgreSQL"
  if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then apt_install postgresql; fi
  local version
  version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
  if [ ! -d "/etc/postgresql/$version/main" ]; then
    $SUDO pg_createcluster "$version" main >/dev/null
  fi
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  wait_port 5432 PostgreSQL
  # A cluster started here uses Debian's password auth on TCP: give the `postgres` role the
  # password the default TEST_DATABASE_URL / DATABASE_URL carry.
  if ! PGPASSWORD=postgres psql -h 127.0.0.1 -U postgres -d postgres -Atc 'SELECT 1' >/dev/null 2>&1; then
    $SUDO -u postgres psql -q -c "ALTER USER postgres PASSWORD 'postgres'" 2>/dev/null \
      || runuser -u postgres -- psql -q -c "ALTER USER postgres PASSWORD 'postgres'"
  fi
}

ensure_redis() {
  if port_open 6379; then return 0; fi
  echo "services: starting Redis"
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  wait_port 6379 Redis
}

ensure_nats() {
  if port_open 4222; then return 0; fi
  echo "services: starting NATS with JetStream"
  command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || apt_install nats-server
  local bin store
  bin=$(command -v nats-server || echo /usr/sbin/nats-server)
  store="${TMPDIR:-/tmp}/nats-jetstream"
  mkdir -p "$store"
  nohup "$bin" -a 127.0.0.1 -p 4222 -js -sd "$store" >"$store/server.log" 2>&1 &
  wait_port 4222 NATS
}

if [ "$#" -eq 0 ]; then set -- postgres redis nats; fi
for service in "$@"; do
  case "$service" in
    postgres) ensure_postgres ;;
    redis) ensure_redis ;;
    nats) ensure_nats ;;
    *) echo "services: unknown service '$service' (postgres, redis, nats)" >&2; exit 2 ;;
  esac
done
