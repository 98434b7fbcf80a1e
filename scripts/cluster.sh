#!/usr/bin/env bash
# The compose cluster (deploy/compose.yaml) built, brought up and checked through its balancer,
# then torn down (also when interrupted or when a check fails).
#
#   scripts/cluster.sh          # build, up, the checks below, one table, down
#   SMOKE=1 scripts/cluster.sh  # build, up, one signed-in request through the balancer, down
#
# Images: the base images from Debian's packages (deploy/base-images.sh), the dependency images
# (deploy/images/), and the service's image from the binary built on this host
# (deploy/Dockerfile, target runtime-prebuilt). CATCAT_PORT (default 18080) is the balancer's
# port on this host. Long-running: not part of scripts/test.sh (.ci/run runs the smoke).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
port="${CATCAT_PORT:-18080}"
export CATCAT_PORT="$port"
project=catcat-cluster
say() { printf '[cluster %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

command -v docker >/dev/null || { echo "cluster: docker is not installed" >&2; exit 2; }
command -v docker-compose >/dev/null || { echo "cluster: docker-compose is not installed" >&2; exit 2; }
docker info >/dev/null 2>&1 || { echo "cluster: the Docker engine does not answer" >&2; exit 2; }
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "cluster: port $port is taken (set CATCAT_PORT to a free one)" >&2
  exit 2
fi

env_file="$root/deploy/.env"
if [ ! -f "$env_file" ]; then
  say "no deploy/.env: writing one with random secrets"
  {
    echo "POSTGRES_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
    echo "JWT_SECRET=$(head -c 36 /dev/urandom | base64 | tr -d '/+=')"
    echo "ADMIN_PHONE=+8610000000000"
    echo "ADMIN_PASSWORD=$(head -c 12 /dev/urandom | base64 | tr -d '/+=')"
    echo "CATCAT_ENV=dev"
  } >"$env_file"
fi
set -a
# shellcheck disable=SC1090
. "$env_file"
set +a
compose() { docker-compose -p "$project" -f "$root/deploy/compose.yaml" "$@"; }
work=$(mktemp -d)
teardown() {
  say "tearing down"
  compose down -v --remove-orphans >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap teardown EXIT
trap 'exit 130' INT TERM

say "base images"
deploy/base-images.sh | sed 's/^/  /'
say "dependency images (from Debian's packages)"
compose build -q postgres redis nats balancer 2>&1 | { grep -vE 'DEPRECATED|legacy builder|buildx|^ *$' || true; }
say "the service's binary (cargo build --release) and image"
target="${CARGO_TARGET_DIR:-$root/target}"
cargo build --release --quiet -p catcat-api
cp "$target/release/catcat-api" "$work/catcat-api"
docker build -q -f deploy/Dockerfile --target runtime-prebuilt -t catcat-api:local "$work" >/dev/null 2>&1 \
  || docker build -f deploy/Dockerfile --target runtime-prebuilt -t catcat-api:local "$work"
image_bytes=$(docker image inspect catcat-api:local --format '{{.Size}}')
say "image catcat-api:local: $image_bytes bytes"

say "up"
compose up -d --no-build >/dev/null 2>&1 || { compose up -d --no-build; exit 1; }
base="http://127.0.0.1:$port"
ready=""
for _ in $(seq 1 120); do
  if curl -fsS "$base/health/ready" >/dev/null 2>&1; then ready=1; break; fi
  sleep 0.5
done
if [ -z "$ready" ]; then
  echo "cluster: the balancer never answered /health/ready; the replicas said:" >&2
  compose logs --tail 20 api1 api2 api3 balancer >&2 || true
  exit 1
fi
say "ready through the balancer"

# Signs the seeded administrator in through the balancer; prints the access token.
token() {
  curl -fsS -H 'Content-Type: application/json' \
    -d "{\"phone\":\"$ADMIN_PHONE\",\"password\":\"$ADMIN_PASSWORD\"}" "$base/api/auth/login" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["accessToken"])'
}
tok=$(token)
# A token minted through one replica works on all three: the balancer deals requests round
# robin, so six calls reach every replica twice.
ok=0
for _ in $(seq 1 6); do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $tok" "$base/api/users/me")
  [ "$code" = 200 ] && ok=$((ok + 1))
done
say "signed-in requests through the balancer: $ok of 6 answered 200"
[ "$ok" = 6 ] || { compose logs --tail 20 api1 api2 api3 >&2; exit 1; }
if [ "${SMOKE:-0}" = 1 ]; then
  say "smoke passed"
  exit 0
fi

# Per-replica memory (docker stats), idle.
mem() { docker stats --no-stream --format '{{.Name}} {{.MemUsage}}' | grep -E "${project}_api[0-9]" | sed 's/ \/.*//' | sort; }
say "idle memory per replica:"
mem | sed 's/^/  /'
echo
printf '%-44s %s\n' "check" "result"
printf '%-44s %s\n' "image size" "$image_bytes bytes"
printf '%-44s %s\n' "token through one replica, used on all" "$ok/6 answered 200"
