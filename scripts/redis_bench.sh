#!/usr/bin/env bash
# Fleet admission's speed beside Redis's own, in one run on one server:
# starts a redis-server (no persistence) on a free loopback port, runs
# redis-benchmark's EVALSHA of a trivial script (16 clients, as the bench's
# 16 threads, and redis-benchmark's default 50), then the dialgate-redis
# bench (one decision's p50/p99, decisions/s from 16 threads), and stops the
# server by its pid.
set -euo pipefail
cd "$(dirname "$0")/.."

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no --loglevel warning &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done

sha=$(redis-cli -p "$port" script load "return 1")
echo "== redis-benchmark: EVALSHA of a trivial script (return 1), redis $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/')"
for clients in 16 50; do
  printf '%s clients: ' "$clients"
  redis-benchmark -p "$port" -c "$clients" -n 300000 -q evalsha "$sha" 0 | tr '\r' '\n' | grep -v '^$' | tail -1
done

trivial=$(redis-cli -p "$port" info commandstats | grep '^cmdstat_evalsha' | sed 's/.*usec_per_call=\([0-9.]*\).*/\1/')
echo "server time per trivial EVALSHA: $trivial us (INFO commandstats)"
redis-cli -p "$port" config resetstat >/dev/null

echo "== dialgate-redis: one admission decision (an admit, a quarter of them one-off leads held)"
REDIS_URL="redis://127.0.0.1:$port/" cargo bench -p dialgate-redis --bench redis_admission 2>/dev/null
ours=$(redis-cli -p "$port" info commandstats | grep '^cmdstat_evalsha' | sed 's/.*usec_per_call=\([0-9.]*\).*/\1/')
echo "server time per admit script: $ours us (INFO commandstats)"
echo "== keys and memory after the run"
redis-cli -p "$port" info memory | grep -E '^used_memory:|^used_memory_human:'
redis-cli -p "$port" dbsize
