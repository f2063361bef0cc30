#!/usr/bin/env bash
# Notifications fan-out benchmark (issue 8), on demand, not part of the tests. On the
# local stack (scripts/stack.sh), with one notifications instance (release build) on a
# database of its own and BENCH_SUBSCRIPTIONS webhook subscriptions to
# exemption.registered pointing at styrbord-bench's receiver:
#
#   1. throughput: a burst of BENCH_EVENTS exemption events on the intake topic; events
#      per second turned into recorded notifications (two per event: SSG and the
#      supplier) and into signed webhook deliveries (one per subscription and event);
#   2. latency: the same events at BENCH_RATE per second for BENCH_DURATION seconds;
#      p50/p99 from producing the event to the webhook arriving at the receiver;
#   3. beside it, the broker's own produce→consume hop at the same rate, with the same
#      client settings, in the same run (styrbord-bench kafka-latency).
#
# Exits 0 whatever the figures (it prints them); 1 only when a measurement failed.
# Knobs: BENCH_EVENTS [2000] BENCH_SUBSCRIPTIONS [2] BENCH_RATE [50] BENCH_DURATION [20]
#        BENCH_SKIP_BUILD [0]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
EVENTS="${BENCH_EVENTS:-2000}"
SUBSCRIPTIONS="${BENCH_SUBSCRIPTIONS:-2}"
RATE="${BENCH_RATE:-50}"
DURATION="${BENCH_DURATION:-20}"
BENCH_NAME=bench-fanout
# shellcheck source=bench/lib.sh
source scripts/bench/lib.sh
bench_build styrbord-notifications styrbord-bench
DATABASE=""
WORK="$(mktemp -d "${TMPDIR:-/tmp}/styrbord-bench-fanout.XXXXXX")"
PID=""
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null || true
  wait 2>/dev/null || true
  [ -n "$DATABASE" ] && bench_drop_database
  rm -rf "$WORK"
}
trap cleanup EXIT
bench_database "bench_fanout_$$"
KAFKA="127.0.0.1:${STYRBORD_KAFKA_PORT:-59092}"
export STYRBORD_AUTH_HMAC_KEYS="bench:$(openssl rand -hex 32)"
PORT=$((20000 + RANDOM % 1000)); RECEIVER=$((PORT + 1000))

# The service reads the intake topic from its start; a fresh consumer group per run.
STYRBORD_HTTP_HOST=127.0.0.1 STYRBORD_HTTP_PORT="$PORT" STYRBORD_LOG_LEVEL=warning \
STYRBORD_DATABASE_URL="postgresql://styrbord_notifications@127.0.0.1:$PG_PORT/$DATABASE" \
STYRBORD_KAFKA_BROKERS="$KAFKA" STYRBORD_KAFKA_PROFILE=local \
  "$BIN/styrbord-notifications" serve >"$WORK/notifications.log" 2>&1 &
PID=$!
deadline=$((SECONDS + 120))
until curl -fsS -o /dev/null "http://127.0.0.1:$PORT/health/ready" 2>/dev/null; do
  kill -0 "$PID" 2>/dev/null || { tail -n 20 "$WORK/notifications.log" >&2; die "notifications exited"; }
  [ $SECONDS -lt $deadline ] || die "notifications not ready"
  sleep 0.2
done
TOKEN="$("$BIN/styrbord-notifications" token --subject bench-admin --organisation slk --role admin --ttl 3600)"
for i in $(seq 1 "$SUBSCRIPTIONS"); do
  curl -fsS -o /dev/null -X POST "http://127.0.0.1:$PORT/v1/webhooks" \
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d "{\"url\": \"http://127.0.0.1:$RECEIVER/hook\", \"description\": \"bench receiver $i\", \"eventTypes\": [\"se.goteborg.styrbord.exemption.registered.v1\"]}" \
    || die "registering subscription $i failed"
done

log "fan-out: $EVENTS events in a burst, then $RATE/s for $DURATION s, $SUBSCRIPTIONS subscriptions"
OUT="$("$BIN/styrbord-bench" fanout --brokers "$KAFKA" --database-url "postgresql://postgres@127.0.0.1:$PG_PORT/$DATABASE" \
  --receiver-port "$RECEIVER" --subscriptions "$SUBSCRIPTIONS" --events "$EVENTS" --rate "$RATE" --duration "$DURATION")" \
  || { tail -n 20 "$WORK/notifications.log" >&2; die "the fan-out measurement failed"; }
log "broker hop: $RATE records/s for $DURATION s with the services' local profile"
HOP="$("$BIN/styrbord-bench" kafka-latency --brokers "$KAFKA" --rate "$RATE" --duration "$DURATION" | grep '^RESULT')"
RSS_KB="$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$PID/status")"

echo "$OUT"
echo "$HOP"
python3 - "$OUT" "$HOP" "$RSS_KB" <<'PY'
import sys
def fields(text, name):
    for line in text.splitlines():
        if line.startswith("RESULT") and f"name={name} " in line + " ":
            return dict(part.split("=", 1) for part in line.split()[1:] if "=" in part)
    raise SystemExit(f"no RESULT line for {name}")
out, hop, rss = sys.argv[1], sys.argv[2], int(sys.argv[3] or 0)
n = fields(out, "fanout-notifications"); w = fields(out, "fanout-webhooks")
lat = fields(out, "fanout-latency"); h = fields(hop, "kafka-latency")
events = float(n["messages"])
print()
print(f"{'':44}{'figure':>14}")
print(f"{'events → notifications recorded (events/s)':44}{events / float(n['seconds']):>14.1f}")
print(f"{'  notifications recorded per second':44}{float(n['notifications']) / float(n['seconds']):>14.1f}")
print(f"{'events → webhooks delivered (events/s)':44}{events / float(w['seconds']):>14.1f}")
print(f"{'  webhook deliveries per second':44}{float(w['deliveries_per_s']):>14.1f}")
print()
print(f"{'':44}{'p50 ms':>10}{'p99 ms':>10}")
print(f"{'event produced → webhook received':44}{float(lat['p50_ms']):>10.2f}{float(lat['p99_ms']):>10.2f}")
print(f"{'broker hop (produce → consume)':44}{float(h['p50_ms']):>10.2f}{float(h['p99_ms']):>10.2f}")
print(f"{'ratio p99 (webhook ÷ hop)':44}{'':>10}{float(lat['p99_ms']) / max(float(h['p99_ms']), 0.001):>10.1f}")
print()
print(f"notifications peak memory (VmHWM): {rss / 1024:.1f} MiB")
PY
