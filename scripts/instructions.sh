#!/usr/bin/env bash
# Client-side instructions per call under callgrind: the generated `get` and `insert` against
# their hand-written tokio-postgres twins (same statement, same pool of one connection, same
# current-thread runtime). Each figure comes from two run lengths: the difference in
# instructions divided by the difference in calls, so start-up, connecting and the first
# prepare cancel out. Deterministic where wall times are not; `scripts/bench.sh` prints it
# after the timings. Needs PostgreSQL (started by scripts/services.sh) and valgrind (installed
# from Debian's packages when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/services.sh postgres
export DATABASE_URL="${DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432/postgres}"
if ! command -v valgrind >/dev/null 2>&1; then
  SUDO=""; if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq valgrind >/dev/null
fi
target="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --release --quiet -p repo-bench --bin instructions
bin="$target/release/instructions"
"$bin" setup
short="${SHORT:-200}"
long="${LONG:-1200}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Instructions of one run: side, operation, calls.
ir() {
  local out="$work/$1-$2-$3.out"
  valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" "$1" "$2" "$3" 2>"$work/log" \
    || { cat "$work/log" >&2; exit 1; }
  awk '/^(summary|totals):/ { print $2; exit }' "$out"
}
per_call() { echo $(( ($(ir "$1" "$2" "$long") - $(ir "$1" "$2" "$short")) / (long - short) )); }

printf '%-8s %14s %14s %8s\n' "per call" "hand-written" "generated" "ratio"
for op in get insert; do
  hand=$(per_call hand "$op")
  generated=$(per_call generated "$op")
  printf '%-8s %14s %14s %8s\n' "$op" "$hand" "$generated" \
    "$(awk -v g="$generated" -v h="$hand" 'BEGIN { printf "%.3f", g / h }')"
done
echo "instructions per call, client side, from $short and $long calls under callgrind"
