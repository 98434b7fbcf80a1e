#!/usr/bin/env bash
# Load test: the service beside the hand-written yardstick (../shared/bench/baseline-api), in
# one run on this machine. Prints, for the cached path (authenticated GET /api/users/{id}) and a
# database-bound path (GET /api/users/me vs the yardstick's /db/users/1), at 64 and 400
# connections: requests/s, p50 and p99 from the same wrk run, and the ratio to the yardstick;
# then startup time (exec -> first /health answer), stripped binary size, RSS idle and under load.
# Needs wrk (installed from Debian packages when missing). DURATION=10s (each wrk run) and ROUNDS=3
# (alternations of the two servers per cell) by default. The per-IP rate limit is raised so that
# it runs on every request (batches of tokens from Redis) without tripping, and the database
# queue bound (DATABASE_MAX_QUEUED) above the 400 connections, as the yardstick queues them all.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
duration="${DURATION:-10s}"
scripts/services.sh postgres redis nats
command -v wrk >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
target="${CARGO_TARGET_DIR:-$root/target}"
cargo build --release --quiet -p catcat-api
baseline_dir="$root/../shared/bench/baseline-api"
CARGO_TARGET_DIR="$target/baseline" cargo build --release --quiet --manifest-path "$baseline_dir/Cargo.toml"

export PGPASSWORD=postgres
psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS catcat_load WITH (FORCE)" -c "CREATE DATABASE catcat_load"
log=$(mktemp)
cleanup() { kill "${api_pid:-}" "${base_pid:-}" 2>/dev/null || true; rm -f "$log" "$log.baseline"; }
trap cleanup EXIT

# The servers under load run in sessions of their own (setsid), so that the kernel's autogroup
# scheduler gives each its own share beside wrk and PostgreSQL, as a container would; both the
# service and the yardstick are started this way. Startup is timed without the extra exec.
launch() {
  local isolate=()
  [ "${1:-}" = isolated ] && isolate=(setsid)
  DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/catcat_load REDIS_URL=redis://127.0.0.1:6379 REDIS_PREFIX="load$$:" \
    NATS_URL=nats://127.0.0.1:4222 NATS_PREFIX="load$$." PORT=18081 RUST_LOG=warn,catcat_api::infra::sms=info \
    ADMIN_PHONE=+8610000000001 ADMIN_PASSWORD=load-admin-1 DATABASE_POOL_SIZE=32 DATABASE_MAX_QUEUED=1024 \
    RATE_LIMIT_IP="${ip_limit:-1000000000/60}" RATE_LIMIT_AUTH_PHONE=1000/60 RATE_LIMIT_AUTH_IP=1000/60 \
    "${isolate[@]}" "$target/release/catcat-api" serve >"$log" 2>&1 &
  api_pid=$!
}
# 200 from GET $1 on the service, asked with bash's own /dev/tcp (no curl to fork per try).
answers() {
  exec 3<>/dev/tcp/127.0.0.1/18081 || return 1
  printf 'GET %s HTTP/1.1\r\nHost: l\r\nConnection: close\r\n\r\n' "$1" >&3
  local status=""
  read -r -t 1 status <&3 || true
  exec 3<&-
  [[ $status == *" 200 "* ]]
}
# A 1 ms pause without forking `sleep`: a read that times out on a pipe nobody writes to.
exec {pause_fd}<> <(:)
pause() { read -r -t 0.001 -u "$pause_fd" || true; }
# Stops the script when the service has exited (instead of waiting for it forever).
alive() {
  kill -0 "$api_pid" 2>/dev/null && return 0
  echo "loadtest: the service exited:" >&2
  cat "$log" >&2
  exit 1
}
# exec -> first /health answer and -> first /health/ready answer, in ms, into $health_ms $ready_ms.
start_timed() {
  local start
  start=${EPOCHREALTIME/[.,]/} # microseconds, from bash itself (no `date` to fork)
  launch
  until answers /health 2>/dev/null; do alive; pause; done
  health_ms=$(( (${EPOCHREALTIME/[.,]/} - start) / 1000 ))
  until answers /health/ready 2>/dev/null; do pause; done
  ready_ms=$(( (${EPOCHREALTIME/[.,]/} - start) / 1000 ))
}
for port in 18080 18081; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port $port is taken: stop what listens there and run again" >&2
    exit 1
  fi
done
start_timed
startups="empty database (migrations, seeds): /health ${health_ms} ms, ready ${ready_ms} ms"
for _ in 1 2 3; do
  kill "$api_pid"; wait "$api_pid" 2>/dev/null || true
  start_timed
  startups="$startups"$'\n'"  migrated database: /health ${health_ms} ms, ready ${ready_ms} ms"
done
kill "$api_pid"; wait "$api_pid" 2>/dev/null || true
launch isolated
until answers /health/ready 2>/dev/null; do pause; done
api=http://127.0.0.1:18081/api
phone="+8613$(date +%s | tail -c 10)"
curl -sf -X POST "$api/auth/send-code" -H 'content-type: application/json' -d "{\"phone\":\"$phone\"}" >/dev/null
sleep 0.2
code=$(grep -o 'code is [0-9]\{6\}' "$log" | tail -n 1 | awk '{print $3}')
token=$(curl -sf -X POST "$api/auth/register" -H 'content-type: application/json' \
  -d "{\"phone\":\"$phone\",\"code\":\"$code\",\"password\":\"load-pass-1\"}" | sed 's/.*"accessToken":"\([^"]*\)".*/\1/')
admin_id=$(curl -sf -X POST "$api/auth/login" -H 'content-type: application/json' \
  -d '{"phone":"+8610000000001","password":"load-admin-1"}' | sed 's/.*"user":{"id":\([0-9]*\).*/\1/')
rss() { awk '/VmRSS/ { print int($2 / 1024) }' "/proc/$1/status"; }
idle_rss=$(rss "$api_pid")

DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379 \
  ADDR=127.0.0.1:18080 setsid "$target/baseline/release/baseline-api" >"$log.baseline" 2>&1 &
base_pid=$!
until curl -sf http://127.0.0.1:18080/token >/dev/null 2>&1; do
  if ! kill -0 "$base_pid" 2>/dev/null; then
    echo "loadtest: the yardstick did not start:" >&2
    cat "$log.baseline" >&2
    exit 1
  fi
  sleep 0.05
done
base_token=$(curl -sf http://127.0.0.1:18080/token)

peak_rss=0
out=$(mktemp)
# A run that got any answer other than 2xx, or any socket error, is not a measurement: the
# script stops and says so (a 401 after a token expired would otherwise count as throughput).
run() { # url token connections -> "rps p50 p99" in $out
  wrk -t2 -c"$3" -d"$duration" --latency -H "Authorization: Bearer $2" "$1" >"$out.raw"
  if grep -q -e 'Non-2xx or 3xx responses' -e 'Socket errors' "$out.raw"; then
    echo "loadtest: $1 at $3 connections got failed answers; not a measurement:" >&2
    grep -e 'Non-2xx or 3xx responses' -e 'Socket errors' "$out.raw" >&2
    exit 1
  fi
  awk '/Requests\/sec/ { rps = $2 } $1 == "50%" { p50 = $2 } $1 == "99%" { p99 = $2 } END { print rps, p50, p99 }' "$out.raw" >"$out"
}
# Tokens are minted right before each cell (access tokens live 15 minutes; a cell is shorter).
fresh_tokens() {
  token=$(curl -sf -X POST "$api/auth/login" -H 'content-type: application/json' \
    -d "{\"phone\":\"$phone\",\"password\":\"load-pass-1\"}" | sed 's/.*"accessToken":"\([^"]*\)".*/\1/')
  base_token=$(curl -sf http://127.0.0.1:18080/token)
}
# Each cell alternates the two servers $rounds times and reports the median run of each (this
# machine is noisy: one run against one run can differ by 20 %), with the spread of the ratio.
rounds="${ROUNDS:-3}"
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
printf '%-7s %5s %11s %9s %9s %14s %6s %13s\n' path conns "catcat rps" p50 p99 "yardstick rps" ratio "ratio spread"
for conns in 64 400; do
  for kind in cached db; do
    if [ "$kind" = cached ]; then
      ours="$api/users/$admin_id"; theirs=http://127.0.0.1:18080/api/users/1
    else
      ours="$api/users/me"; theirs=http://127.0.0.1:18080/db/users/1
    fi
    : >"$out.ours"; : >"$out.theirs"; : >"$out.ratios"
    fresh_tokens
    for _ in $(seq "$rounds"); do
      run "$ours" "$token" "$conns" &
      wrk_pid=$!
      sleep 2
      r=$(rss "$api_pid"); [ "$r" -gt "$peak_rss" ] && peak_rss=$r
      wait "$wrk_pid"
      read -r rps p50 p99 <"$out"
      echo "$rps $p50 $p99" >>"$out.ours"
      run "$theirs" "$base_token" "$conns"
      read -r brps _ _ <"$out"
      echo "$brps" >>"$out.theirs"
      awk -v a="$rps" -v b="$brps" 'BEGIN { printf "%.3f\n", a / b }' >>"$out.ratios"
    done
    rps=$(cut -d' ' -f1 "$out.ours" | median)
    read -r _ p50 p99 < <(grep -m1 "^$rps " "$out.ours")
    brps=$(median <"$out.theirs")
    ratio=$(awk -v a="$rps" -v b="$brps" 'BEGIN { printf "%.2fx", a / b }')
    spread=$(sort -n "$out.ratios" | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.2f-%.2f", lo, hi }')
    printf '%-7s %5s %11s %9s %9s %14s %6s %13s\n' "$kind" "$conns" "$rps" "$p50" "$p99" "$brps" "$ratio" "$spread"
  done
done

# The per-IP limiter's cost: the cached path at 64 connections with the limit on (raised so it
# never trips) and off, alternating restarts of the same binary; and its Redis round trips per
# request, from the service's own counter against wrk's request count.
limiter_ab() {
  : >"$out.on"; : >"$out.off"; : >"$out.trips"
  for _ in $(seq "$rounds"); do
    for mode in on off; do
      kill "$api_pid"; wait "$api_pid" 2>/dev/null || true
      if [ "$mode" = off ]; then ip_limit=off; else ip_limit=1000000000/60; fi
      launch isolated
      until answers /health/ready 2>/dev/null; do alive; pause; done
      fresh_tokens
      run "$api/users/$admin_id" "$token" 64
      read -r rps _ _ <"$out"
      echo "$rps" >>"$out.$mode"
      if [ "$mode" = on ]; then
        requests=$(awk '/requests in/ { print $1 }' "$out.raw")
        trips=$(curl -sf http://127.0.0.1:18081/metrics | awk '/^rate_limit_store_calls_total/ { s += $2 } END { print s + 0 }')
        awk -v t="$trips" -v r="$requests" 'BEGIN { printf "%.6f\n", t / r }' >>"$out.trips"
      fi
    done
  done
  ip_limit=
  local on off
  on=$(median <"$out.on"); off=$(median <"$out.off")
  echo
  printf 'per-IP limiter A/B (cached path, 64 connections, medians of %s alternating runs): on %s rps, off %s rps, on/off %s
' \
    "$rounds" "$on" "$off" "$(awk -v a="$on" -v b="$off" 'BEGIN { printf "%.3f", a / b }')"
  echo "limiter Redis round trips per request: $(median <"$out.trips")"
}
limiter_ab
rm -f "$out" "$out.raw" "$out.ours" "$out.theirs" "$out.ratios" "$out.on" "$out.off" "$out.trips"
echo "cached: catcat answers from its in-process tier (no network trip); the yardstick makes one Redis round trip."
echo "db: both read one user row from PostgreSQL by primary key per request (catcat: the caller's own row)."
echo "every run above got only 2xx answers (a run with any other answer stops the script)."
strip -o "$target/catcat-api.stripped" "$target/release/catcat-api"
size_bytes=$(stat -c %s "$target/catcat-api.stripped")
size_mb=$(awk -v b="$size_bytes" 'BEGIN { printf "%.2f MB = %.2f MiB", b / 1e6, b / 1048576 }')
echo
echo "startup (exec -> first answer of /health, and of /health/ready once every statement is verified):"
echo "  $startups"
echo "stripped binary: ${size_bytes} bytes (${size_mb})"
echo "RSS idle (after a registration and two logins): ${idle_rss} MB, under load (sampled): ${peak_rss} MB"
