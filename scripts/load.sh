#!/usr/bin/env bash
# Load benchmark of the HTTP host: `dialgate serve` (release build) on
# 127.0.0.1 only, driven by wrk, each run bounded in time:
#   make_call with distinct admitted numbers (a company of 1,000,000 cps),
#   make_call with a suppressed number (403 at step 7),
#   GET /healthz (the floor: HTTP, no decision).
# Prints requests/s, p50 and p99 of each, and make_call's share of
# /healthz's requests/s (target: >= 70%; p99 < 5 ms at 32 connections).
#
#   scripts/load.sh                          # 10 s each, 32 connections, 2 threads
#   DURATION=5s CONNECTIONS=64 scripts/load.sh
#
# The host logs every request (JSON lines) as in production; the log goes
# to /dev/null, so formatting and the write are measured, not a disk.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}

if ! command -v wrk >/dev/null 2>&1; then
  if [ -z "${APT_UPDATED:-}" ]; then
    apt-get update -qq
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
cargo build --release --locked -p dialgate-cli

ready=$(mktemp)
results=$(mktemp)
target/release/dialgate serve --world scripts/load/world.json --listen 127.0.0.1:0 >"$ready" 2>/dev/null &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -f "$ready" "$results"' EXIT
for _ in $(seq 1 100); do
  grep -q '^listening on ' "$ready" && break
  sleep 0.1
done
base=$(sed -n 's/^listening on //p' "$ready")
[ -n "$base" ] || { echo "dialgate serve did not start" >&2; exit 1; }
case "$base" in http://127.0.0.1:*) ;; *) echo "not loopback: $base" >&2; exit 1 ;; esac

printf '%-24s %12s %10s %10s %10s\n' "run" "requests/s" "p50" "p99" "non-2xx"
# run NAME WRK-ARGS...: one bounded wrk run; prints a line, remembers requests/s.
run() {
  local name=$1
  shift
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" >"$results"
  local rps p50 p99 non2xx
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$results")
  p50=$(awk '$1 == "50%" {print $2}' "$results")
  p99=$(awk '$1 == "99%" {print $2}' "$results")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $5}' "$results")
  printf '%-24s %12s %10s %10s %10s\n' "$name" "$rps" "$p50" "$p99" "${non2xx:-0}"
  eval "rps_${name//[^a-z]/_}=$rps"
}
run make_call_admitted -s scripts/load/make_call.lua "$base/"
run make_call_suppressed -s scripts/load/suppressed.lua "$base/"
run healthz "$base/healthz"
awk -v a="$rps_make_call_admitted" -v s="$rps_make_call_suppressed" -v h="$rps_healthz" 'BEGIN {
  printf "make_call admitted: %.0f%% of /healthz requests/s; suppressed: %.0f%%\n", 100 * a / h, 100 * s / h
}'
kill -TERM "$pid"
wait "$pid"
trap 'rm -f "$ready" "$results"' EXIT
