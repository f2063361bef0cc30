#!/usr/bin/env bash
# Latency benchmark of the walking skeleton (on demand, not part of the tests):
# end-to-end p50/p99 from "need accepted" (intake answered the POST) to "notification
# recorded" (the analyst's notification, after intake → Kafka → analysis → Kafka →
# notifications) at a steady rate, printed beside the broker's own produce→consume
# latency measured in the same run with the same client settings, and the ratio.
#
#   bash scripts/bench-latency.sh
# Knobs: BENCH_RATE [20] needs per second, BENCH_DURATION [30] seconds.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RATE="${BENCH_RATE:-20}"
DURATION="${BENCH_DURATION:-30}"
PG_PORT="${STYRBORD_PG_PORT:-55432}"
KAFKA_PORT="${STYRBORD_KAFKA_PORT:-59092}"

echo "[latency] starting the system (scripts/run.sh, no demo data)" >&2
STYRBORD_SKIP_SETUP="${STYRBORD_SKIP_SETUP:-1}" STYRBORD_NO_DEMO=1 bash scripts/run.sh >/dev/null

echo "[latency] building styrbord-bench (release)" >&2
swift build -c release --scratch-path .build-bench --product styrbord-bench >/dev/null 2>&1
BENCH="$ROOT/.build-bench/release/styrbord-bench"

echo "[latency] end to end: $RATE needs/s for $DURATION s" >&2
e2e="$(python3 scripts/bench/latency.py http://127.0.0.1:8081 "postgresql://postgres@127.0.0.1:$PG_PORT/styrbord" "$RATE" "$DURATION")"
echo "[latency] broker hop: the same rate, producer and consumer with the services' local profile" >&2
hop="$("$BENCH" kafka-latency --brokers "127.0.0.1:$KAFKA_PORT" --rate "$RATE" --duration "$DURATION" | grep '^RESULT')"

field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
e2e_p50="$(field "$e2e" p50_ms)"; e2e_p99="$(field "$e2e" p99_ms)"
hop_p50="$(field "$hop" p50_ms)"; hop_p99="$(field "$hop" p99_ms)"
echo "$e2e"
echo "$hop"
python3 - "$e2e_p50" "$e2e_p99" "$hop_p50" "$hop_p99" "$RATE" <<'PY'
import sys
e50, e99, h50, h99, rate = map(float, sys.argv[1:])
print()
print(f"{'':34}{'p50 ms':>10}{'p99 ms':>10}")
print(f"{'need accepted → notification':34}{e50:>10.2f}{e99:>10.2f}")
print(f"{'broker produce → consume (1 hop)':34}{h50:>10.2f}{h99:>10.2f}")
print(f"{'ratio end-to-end / broker hop':34}{e50 / h50:>10.1f}{e99 / h99:>10.1f}")
print(f"\nat {rate:g} needs/s; the end-to-end path crosses the broker twice and two database transactions per service.")
PY
