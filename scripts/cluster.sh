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
# Every request of the load checks comes from this host's one address: the per-IP limit is
# raised so that it runs on every request without tripping (tests/api/limits.rs proves it holds).
export RATE_LIMIT_IP="${RATE_LIMIT_IP:-100000000/60}"
export RATE_LIMIT_USER_WRITES="${RATE_LIMIT_USER_WRITES:-100000/60}"
# The per-phone sign-in limit keeps its production value: check 8 drives it through the balancer.
export RATE_LIMIT_AUTH_PHONE="${RATE_LIMIT_AUTH_PHONE:-10/900}"
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
# Three replicas booted at once on an empty database: one applied the migrations, none
# crashed or restarted.
migrators=0
for r in api1 api2 api3; do
  compose logs --no-color "$r" 2>/dev/null | grep -q 'applied.*migration' && migrators=$((migrators + 1))
done
restarts=$(for r in api1 api2 api3; do docker inspect -f '{{.RestartCount}}' "${project}_${r}_1"; done | paste -sd+ | bc)
say "booted at once on an empty database: $migrators replica(s) applied migrations, $restarts restarts"
if [ "${SMOKE:-0}" = 1 ]; then
  say "smoke passed"
  exit 0
fi

command -v wrk >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
# The balancer's own address on the compose network: load goes there directly, not through the
# engine's port proxy.
lb_ip=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "${project}_balancer_1")
lb="http://$lb_ip:8080"
me=$(curl -fsS -H "Authorization: Bearer $tok" "$base/api/users/me" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["id"])')
duration="${DURATION:-10s}"
# wrk prints p50/p75/p90/p99; its Lua hook adds p95 (in microseconds).
cat >"$work/p95.lua" <<'LUA'
done = function(summary, latency, requests) io.write(string.format("p95 %d\n", latency:percentile(95))) end
LUA
# wrk in the background on PATH with CONNS connections for SECONDS; its report in FILE.
load() { wrk -t2 -c"$2" -d"$3" --latency -s "$work/p95.lua" -H "Authorization: Bearer $tok" "$lb$1" >"$4" 2>&1 & }
# "requests non-2xx socket-errors rps p50 p99 p95" from a wrk report.
figures() {
  python3 - "$1" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
req = int(re.search(r"(\d+) requests in", t).group(1))
non2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", t)) else 0
m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", t)
errors = sum(int(x) for x in m.groups()) if m else 0
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", t, re.M))
p95 = f"{int(m.group(1)) / 1000:.2f}ms" if (m := re.search(r"^p95 (\d+)", t, re.M)) else "?"
print(req, non2xx, errors, rps, lat.get("50", "?"), lat.get("99", "?"), p95)
print(f"({non2xx} non-2xx, {errors} socket errors)" if non2xx or errors else "", file=sys.stderr)
PY
}
rows=()
row() { rows+=("$(printf '%-46s %-14s %-36s %s' "$1" "$2" "$3" "$4")"); }

# Memory per replica (docker stats).
mem() { docker stats --no-stream --format '{{.Name}} {{.MemUsage}}' | grep -E "${project}_api[0-9]" | sed 's/ \/.*//' | awk '{print $2}' | paste -sd' '; }
idle_mem=$(mem)

# Throughput at 400 connections through the balancer, cached and database-bound paths.
for path in "/api/users/$me" /api/users/me; do
  say "load: $path, 400 connections, $duration"
  load "$path" 400 "$duration" "$work/wrk.txt"
  sleep 3
  loaded_mem=$(mem)
  wait
  read -r req non2xx errors rps p50 p99 p95 < <(figures "$work/wrk.txt" 2>"$work/kinds")
  row "load $path" "400 conns" "$rps req/s, p50 $p50, p95 $p95, p99 $p99" "$((non2xx + errors)) failed of $req $(cat "$work/kinds")"
  if [ "$path" = /api/users/me ]; then db_load="$rps req/s, p50 $p50, p95 $p95, p99 $p99"; fi
done

# Check 8: the per-phone sign-in limit (L per window, failed attempts cost double) is one
# cluster-wide budget: 30 wrong-password sign-ins for one phone, dealt round robin over the three
# replicas, get at most L answers that are not 429 (three replica-local buckets would admit 3 L),
# and every 429 says when to come back.
say "cluster-wide limit: 30 wrong sign-ins for one phone through the balancer"
limit=${RATE_LIMIT_AUTH_PHONE%%/*}
victim="+8615$(date +%s | tail -c 10)"
admitted=0; refused=0; no_retry=0
for _ in $(seq 1 30); do
  code=$(curl -s -D "$work/headers" -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
    -d "{\"phone\":\"$victim\",\"password\":\"not-the-password\"}" "$lb/api/auth/login")
  if [ "$code" = 429 ]; then
    refused=$((refused + 1))
    grep -qi '^retry-after: [0-9]' "$work/headers" || no_retry=$((no_retry + 1))
  else
    admitted=$((admitted + 1))
  fi
done
row "sign-in limit $RATE_LIMIT_AUTH_PHONE per phone, 3 replicas" "30 attempts" "$admitted admitted, $refused refused (429)" \
  "bound $limit: $([ "$admitted" -le "$limit" ] && echo held || echo BROKEN), $no_retry 429 without Retry-After"

# A replica gets SIGTERM under load: it drains (readiness 503, the balancer stops routing to
# it, in-flight requests finish); nothing fails; the engine restarts it and it rejoins.
graceful() {
  local what=$1 action=$2
  say "load + $what"
  load /api/users/me 64 20s "$work/wrk.txt"
  sleep 4
  eval "$action"
  wait
  read -r req non2xx errors rps _ _ < <(figures "$work/wrk.txt" 2>"$work/kinds")
  row "$what" "64 conns, 20 s" "$rps req/s" "$((non2xx + errors)) failed of $req $(cat "$work/kinds")"
}
graceful "docker kill -s TERM api2" "docker kill -s TERM ${project}_api2_1 >/dev/null"
# A killed container stays down here (the engine treats a kill as a manual stop; Kubernetes
# would start a new pod): start it, and it must be healthy and taking traffic again.
healthy() {
  for _ in $(seq 1 60); do
    [ "$(docker inspect -f '{{.State.Health.Status}}' "${project}_$1_1")" = healthy ] && return 0
    sleep 0.5
  done
  return 1
}
docker start "${project}_api2_1" >/dev/null
if healthy api2; then row "api2 started again after TERM" "" "healthy, rejoins" ""; else row "api2 started again after TERM" "" "NOT HEALTHY" ""; fi
sleep 3
graceful "rolling restart api1, api2, api3" \
  "for r in api1 api2 api3; do docker restart -t 20 ${project}_\${r}_1 >/dev/null; sleep 3; done"
graceful "docker kill -s KILL api3 (loss bounded)" "docker kill -s KILL ${project}_api3_1 >/dev/null"
docker start "${project}_api3_1" >/dev/null
healthy api3 || { echo "cluster: api3 did not come back after SIGKILL" >&2; exit 1; }

# Redis restarted under load (cached path): reads fall back to PostgreSQL, nothing beyond the
# documented degraded answers; all healthy after.
say "load + docker restart redis"
load "/api/users/$me" 64 20s "$work/wrk.txt"
sleep 5
docker restart -t 5 "${project}_redis_1" >/dev/null
wait
read -r req non2xx errors rps _ _ < <(figures "$work/wrk.txt" 2>"$work/kinds")
row "docker restart redis (cached path)" "64 conns, 20 s" "$rps req/s" "$((non2xx + errors)) failed of $req $(cat "$work/kinds")"

# NATS restarted while orders are placed: every order answered 202 is persisted exactly once
# (a 503 is retried with the same Idempotency-Key, as a client would).
say "orders placed while NATS restarts"
pet=$(curl -fsS -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
  -d '{"name":"Mochi","type":1}' "$base/api/pets" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["id"])')
at=$(date -u -d '+2 days' +%Y-%m-%dT%H:%M:%SZ)
: >"$work/accepted"
retried=0
for i in $(seq 1 150); do
  [ "$i" = 40 ] && docker restart -t 5 "${project}_nats_1" >/dev/null &
  for _ in $(seq 1 50); do
    code=$(curl -s -o "$work/answer" -w '%{http_code}' -H "Authorization: Bearer $tok" -H "Idempotency-Key: nats-$i" \
      -H 'Content-Type: application/json' -d "{\"packageId\":1,\"petId\":$pet,\"serviceAt\":\"$at\",\"address\":\"1 Cat Street\"}" "$base/api/orders")
    if [ "$code" = 202 ]; then
      python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["data"]["orderId"])' "$work/answer" >>"$work/accepted"
      break
    fi
    retried=$((retried + 1))
    sleep 0.2
  done
done
wait
accepted=$(sort -u "$work/accepted" | wc -l)
psql_count() {
  docker exec "${project}_postgres_1" psql -U postgres -d catcat -tAc \
    "SELECT count(*), count(DISTINCT id) FROM service_orders WHERE customer_id = (SELECT id FROM users WHERE phone = '$ADMIN_PHONE')"
}
saved=""
for _ in $(seq 1 120); do
  saved=$(psql_count)
  [ "${saved%%|*}" -ge "$accepted" ] && break
  sleep 0.5
done
row "docker restart nats while booking" "150 orders" "$accepted answered 202, $retried retries" "saved (rows|distinct): $saved"

# Scaling: the database-bound path with 1, 2 and 3 replicas at the same per-replica CPU limit
# (API_CPUS, 0.5 by default as the original's; on a small machine a lower limit leaves room for
# PostgreSQL, the balancer and wrk), 64 connections. Efficiency X(n) / (n X(1)).
say "scaling: stopping api2 and api3"
docker stop -t 20 "${project}_api2_1" "${project}_api3_1" >/dev/null
sleep 4
x1=""
for n in 1 2 3; do
  if [ "$n" -gt 1 ]; then
    docker start "${project}_api${n}_1" >/dev/null
    healthy "api$n" || { echo "cluster: api$n did not come back" >&2; exit 1; }
    sleep 3
  fi
  say "scaling: $n replica(s), $duration"
  load /api/users/me 64 "$duration" "$work/wrk.txt"
  wait
  read -r req non2xx errors rps _ _ < <(figures "$work/wrk.txt" 2>"$work/kinds")
  x1=${x1:-$rps}
  eff=$(python3 -c "print(f'{$rps / ($n * $x1):.2f}')")
  row "scaling: $n replica(s) at ${API_CPUS:-0.5} CPU, /api/users/me" "64 conns" "$rps req/s, efficiency $eff" "$((non2xx + errors)) failed of $req $(cat "$work/kinds")"
done

# Check 10, startup: each replica stopped, then started; the engine's record of when its process
# started (State.StartedAt) against this host's clock at the first 200 from /health and the
# first 200 from an authenticated database read (GET /api/users/me), asked every millisecond
# on the container's own address.
startup() {
  python3 - "$1" "$tok" <<'PY'
import datetime, http.client, subprocess, sys, time
name, token = sys.argv[1], sys.argv[2]
inspect = lambda fmt: subprocess.run(["docker", "inspect", "-f", fmt, name], capture_output=True, text=True, check=True).stdout.strip()
ip = inspect("{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}")
subprocess.run(["docker", "stop", "-t", "20", name], capture_output=True, check=True)
subprocess.run(["docker", "start", name], capture_output=True, check=True)
def first_200(path, headers):
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            c = http.client.HTTPConnection(ip, 8080, timeout=0.2)
            c.request("GET", path, headers=headers)
            if c.getresponse().status == 200:
                return time.time()
        except OSError:
            pass
        time.sleep(0.001)
    sys.exit(f"{name}: no 200 from {path} within 30 s")
health = first_200("/health", {})
first = first_200("/api/users/me", {"Authorization": "Bearer " + token})
started = inspect("{{.State.StartedAt}}")  # RFC 3339 with nanoseconds, UTC
whole, frac = started.rstrip("Z").split(".")
t0 = datetime.datetime.fromisoformat(whole).replace(tzinfo=datetime.timezone.utc).timestamp() + float("0." + frac)
print(round((health - t0) * 1000), round((first - t0) * 1000))
PY
}
say "startup: each replica stopped and started, timed from the engine's start"
to_health=""; to_first=""
for r in api1 api2 api3; do
  read -r health_ms first_ms < <(startup "${project}_${r}_1")
  healthy "$r" || { echo "cluster: $r did not come back" >&2; exit 1; }
  to_health="${to_health:+$to_health, }${health_ms} ms"; to_first="${to_first:+$to_first, }${first_ms} ms"
done

say "idle memory per replica: $idle_mem; under load: $loaded_mem"
# The balancer logs only abnormal answers: count them by status, replica and termination state.
abnormal=$(compose logs --no-color balancer 2>/dev/null | grep -E 'replicas/' || true)
if [ -n "$abnormal" ]; then
  say "abnormal answers at the balancer, by status, replica and termination state:"
  printf '%s\n' "$abnormal" | awk '{for (i = 1; i <= NF; i++) if ($i ~ /^replicas\//) print $(i+2), $i, $(i+5)}' | sort | uniq -c | sort -rn | head -10 || true
  printf '%s\n' "$abnormal" | head -3 || true
fi
# What the replicas logged as warnings or errors during the checks (why any request failed).
warned=$(compose logs --no-color api1 api2 api3 2>/dev/null | grep -E ' (WARN|ERROR) ' || true)
if [ -n "$warned" ]; then
  say "the replicas' warnings and errors ($(printf '%s\n' "$warned" | wc -l) lines), the most frequent:"
  printf '%s\n' "$warned" | sed -E 's/^[^|]*\| *[^ ]+ +//' | cut -c1-140 | sort | uniq -c | sort -rn | head -8 || true
fi
echo
printf '%-46s %-14s %-36s %s\n' "check" "load" "figures" "requests lost"
printf '%s\n' "${rows[@]}"
printf '%-46s %-14s %-36s %s\n' "image catcat-api:local" "" "$image_bytes bytes" ""
printf '%-46s %-14s %-36s %s\n' "memory per replica, idle / under load" "" "$idle_mem / $loaded_mem" ""
# Check 10: the original's table (its figures as the original document states them, never
# measured there) beside this run's.
echo
printf '%-34s %-34s %s\n' "the original's table" "the original claimed" "measured here, this run"
printf '%-34s %-34s %s\n' "size" "15 MB binary" "image $image_bytes bytes (binary, glibc, CA bundle)"
printf '%-34s %-34s %s\n' "exec -> first /health" "87 ms" "$to_health (api1, api2, api3)"
printf '%-34s %-34s %s\n' "first request" "5 ms" "$to_first (exec -> first signed-in database answer)"
printf '%-34s %-34s %s\n' "memory per replica" "45 MB" "idle $idle_mem, under load $loaded_mem"
printf '%-34s %-34s %s\n' "throughput, 3 replicas, 400 conns" "30,000 req/s, p99 15 ms" "$db_load (database path, one 2-core machine)"
