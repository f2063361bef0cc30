#!/usr/bin/env bash
# Kit benchmark: Styrbord's Kafka and PostgreSQL kits against the native tools, side by
# side in one run, on the local stack (scripts/stack.sh):
#
#   Kafka produce   styrbord-bench kafka-produce    vs  rdkafka_performance -P
#   Kafka consume   styrbord-bench kafka-consume    vs  rdkafka_performance -G
#   PostgreSQL      styrbord-bench postgres-insert  vs  pgbench -M prepared -c 1
#
# rdkafka_performance comes from the same librdkafka source build as the installed library
# (scripts/install-librdkafka.sh --perf-tool). Both sides get the same librdkafka settings:
# the kit's own (idempotent, acks=all, the local profile's group timeouts and
# fetch.wait.max.ms) and the same linger.ms; rdkafka_performance's own defaults that differ
# from librdkafka's (linger.ms=1000, retries=3, retry.backoff.ms=500,
# queued.min.messages=1000000, auto commit) are set back. pgbench runs a one-INSERT script
# with -M prepared (the kit prepares each statement once per session) over one session, as
# the kit's benchmark does; both insert the same row (a bigint and a 200-character text)
# into the same unindexed table, emptied and checkpointed before every run.
# Each pair runs REPEATS times, alternating which side goes first; the table shows medians
# and the ratio kit/native (target: >= 0.8). Other load on the machine moves the figures a
# lot: the header prints the load average. Exits 0 whatever the ratios; 1 only when a
# measurement failed.
#
#   scripts/bench-kits.sh
#
# Knobs (environment, defaults in brackets):
#   BENCH_KAFKA_MESSAGES [300000]  records per Kafka run      BENCH_MESSAGE_SIZE [200]
#   BENCH_LINGER_MS [5]            producer linger.ms, both sides
#   BENCH_PG_INSERTS [5000]        single-row inserts per PostgreSQL run
#   BENCH_REPEATS [5]              runs per pair (median reported)
#   BENCH_RESTART_BROKER [1]       restart Tansu first: its memory storage keeps every record
#                                  (0 when something else is using the local broker)
#   BENCH_TARGET [0.8]
#   BENCH_SKIP_BUILD [0]           1: use the styrbord-bench already built in .build-bench
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

MESSAGES="${BENCH_KAFKA_MESSAGES:-300000}"
SIZE="${BENCH_MESSAGE_SIZE:-200}"
LINGER="${BENCH_LINGER_MS:-5}"
INSERTS="${BENCH_PG_INSERTS:-5000}"
REPEATS="${BENCH_REPEATS:-5}"
RESTART_BROKER="${BENCH_RESTART_BROKER:-1}"
TARGET="${BENCH_TARGET:-0.8}"
SKIP_BUILD="${BENCH_SKIP_BUILD:-0}"
SCRATCH=".build-bench"
TABLE="bench_insert"

log() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] error: %s\n' "$*" >&2; exit 1; }

pg_bin() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null || ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)"
  [ -n "$dir" ] || die "PostgreSQL client binaries (pgbench, psql) not found; run scripts/setup.sh"
  echo "$dir"
}

WORK="$(mktemp -d "${TMPDIR:-/tmp}/styrbord-bench.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
RUN_ID="$(date +%Y%m%d%H%M%S)-$$"

# --- build and tools --------------------------------------------------------------------
BENCH="$ROOT/$SCRATCH/release/styrbord-bench"
if [ "$SKIP_BUILD" = "1" ]; then
  log "using the existing $BENCH (BENCH_SKIP_BUILD=1)"
else
  log "building styrbord-bench (release, --scratch-path $SCRATCH)"
  swift build -c release --scratch-path "$SCRATCH" --product styrbord-bench >"$WORK/build.log" 2>&1 \
    || { tail -n 40 "$WORK/build.log" >&2; die "build failed"; }
fi
[ -x "$BENCH" ] || die "no binary at $BENCH"

PERF="$(bash scripts/install-librdkafka.sh --perf-tool)"
[ -x "$PERF" ] || die "rdkafka_performance not available"
PG="$(pg_bin)"

# --- stack ------------------------------------------------------------------------------
bash scripts/stack.sh start >&2
eval "$(bash scripts/stack.sh env)"
BROKERS="$STYRBORD_KAFKA_BROKERS"
DB_URL="$STYRBORD_DATABASE_URL"
if [ "$RESTART_BROKER" = "1" ]; then
  log "restarting the broker (memory storage: frees earlier records)"
  { bash scripts/stack.sh stop broker && bash scripts/stack.sh start broker; } >&2
fi

# --- helpers ----------------------------------------------------------------------------
# Median of the numbers given as arguments (mean of the middle two for an even count).
median() {
  [ "$#" -gt 0 ] || { echo "n/a"; return; }
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "n/a"; exit }
    if (NR % 2) printf "%.0f\n", v[(NR + 1) / 2]; else printf "%.0f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# The rate= field of the RESULT line in a file.
result_rate() { sed -n 's/^RESULT .* rate=\([0-9.]*\).*/\1/p' "$1" | tail -n1 | awk '{ printf "%.0f\n", $1 }'; }

FAILED=0
fail_run() { # fail_run WHAT LOGFILE
  log "FAILED: $1 (last lines of its output follow)"
  tail -n 15 "$2" >&2 || true
  FAILED=1
}

# librdkafka properties both sides share. The kit sets these itself (KafkaConfiguration:
# producer defaults + localProfile); rdkafka_performance gets them explicitly.
PRODUCER_PROPS=(
  -X enable.idempotence=true -X acks=all -X "linger.ms=$LINGER"
  -X message.send.max.retries=2147483647 -X retry.backoff.ms=100
)
CONSUMER_PROPS=(
  -X auto.offset.reset=earliest -X enable.auto.commit=false -X enable.auto.offset.store=false
  -X session.timeout.ms=6000 -X max.poll.interval.ms=7000 -X heartbeat.interval.ms=500
  -X fetch.wait.max.ms=10 -X queued.min.messages=100000
)

native_produce() { # native_produce TOPIC LOG -> rate on stdout
  local topic="$1" out="$2"
  timeout 180 "$PERF" -P -t "$topic" -b "$BROKERS" -s "$SIZE" -c "$MESSAGES" "${PRODUCER_PROPS[@]}" >"$out" 2>&1 || return 1
  # "% N messages produced (B bytes), D delivered (offset O, F failed) in Tms: R msgs/s and …"
  local line; line="$(grep 'messages produced' "$out" | tail -n1)"
  local delivered; delivered="$(sed -n 's/.* \([0-9]*\) delivered .*/\1/p' <<<"$line")"
  [ "$delivered" = "$MESSAGES" ] || return 1
  sed -n 's/.*: \([0-9]*\) msgs\/s.*/\1/p' <<<"$line"
}

swift_produce() { # swift_produce TOPIC LOG
  local topic="$1" out="$2"
  timeout 180 "$BENCH" kafka-produce --brokers "$BROKERS" --topic "$topic" --messages "$MESSAGES" \
    --size "$SIZE" --linger-ms "$LINGER" >"$out" 2>&1 || return 1
  result_rate "$out"
}

native_consume() { # native_consume TOPIC GROUP LOG
  local topic="$1" group="$2" out="$3"
  timeout 180 "$PERF" -G "$group" -t "$topic" -b "$BROKERS" -c "$MESSAGES" "${CONSUMER_PROPS[@]}" >"$out" 2>&1 || return 1
  # "% N messages (B bytes) consumed in Tms: R msgs/s (X MB/s)"
  local line; line="$(grep 'messages (.*consumed in' "$out" | tail -n1)"
  local count; count="$(sed -n 's/^% \([0-9]*\) messages .*/\1/p' <<<"$line")"
  [ "${count:-0}" -ge "$MESSAGES" ] || return 1
  sed -n 's/.*: \([0-9]*\) msgs\/s.*/\1/p' <<<"$line"
}

swift_consume() { # swift_consume TOPIC GROUP LOG
  local topic="$1" group="$2" out="$3"
  timeout 180 "$BENCH" kafka-consume --brokers "$BROKERS" --topic "$topic" --group "$group" \
    --messages "$MESSAGES" >"$out" 2>&1 || return 1
  result_rate "$out"
}

psql_run() { PGOPTIONS="-c client_min_messages=warning" "$PG/psql" "$DB_URL" -v ON_ERROR_STOP=1 -qtAc "$1" >/dev/null; }

# The same row both sides insert: a bigint and a text of 200 characters, sent as
# parameters of a prepared statement.
PAYLOAD="$(printf "%${SIZE}s" '' | tr ' ' 'x')"
cat >"$WORK/insert.sql" <<SQL
\\set id random(1, 1000000000)
INSERT INTO $TABLE (id, payload) VALUES (:id, :payload);
SQL

pg_fresh() { psql_run "TRUNCATE $TABLE; CHECKPOINT;"; }

native_insert() { # native_insert LOG
  local out="$1"
  pg_fresh
  timeout 300 "$PG/pgbench" -n -M prepared -c 1 -j 1 -t "$INSERTS" -f "$WORK/insert.sql" \
    -D "payload=$PAYLOAD" "$DB_URL" >"$out" 2>&1 || return 1
  grep -q "actually processed: $INSERTS/$INSERTS" "$out" || return 1
  # "tps = 4712.345 (without initial connection time)"
  sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$out" | tail -n1 | awk '{ printf "%.0f\n", $1 }'
}

swift_insert() { # swift_insert LOG
  local out="$1"
  pg_fresh
  timeout 300 "$BENCH" postgres-insert --database-url "$DB_URL" --table "$TABLE" --inserts "$INSERTS" \
    --payload-size "$SIZE" >"$out" 2>&1 || return 1
  result_rate "$out"
}

# run_pair NAME REPEAT NATIVE_CMD... -- SWIFT_CMD...: runs both (alternating which goes
# first), appends the rates to NATIVE_<NAME> / SWIFT_<NAME>.
declare -a NATIVE_produce=() SWIFT_produce=() NATIVE_consume=() SWIFT_consume=() NATIVE_insert=() SWIFT_insert=()
record() { # record ARRAY VALUE
  local -n target="$1"
  target+=("$2")
}
measure() { # measure SIDE NAME REPEAT FUNCTION ARGS...
  local side="$1" name="$2" repeat="$3"; shift 3
  local out="$WORK/$side-$name-$repeat.log" rate
  if rate="$("$@" "$out")" && [ -n "$rate" ]; then
    log "  $name run $repeat: $side $rate/s"
    record "${side^^}_$name" "$rate"
  else
    fail_run "$side $name run $repeat" "$out"
  fi
}
run_pair() { # run_pair NAME REPEAT "NATIVE ARGS" "SWIFT ARGS" (word-split on purpose)
  local name="$1" repeat="$2" native="$3" swift="$4"
  # shellcheck disable=SC2086
  if [ $((repeat % 2)) -eq 1 ]; then
    measure native "$name" "$repeat" $native
    measure swift "$name" "$repeat" $swift
  else
    measure swift "$name" "$repeat" $swift
    measure native "$name" "$repeat" $native
  fi
}

# --- Kafka ------------------------------------------------------------------------------
LIBRDKAFKA_VERSION="$("$PERF" -? 2>&1 | sed -n 's/^librdkafka version \([^ ]*\).*/\1/p' | head -n1 || true)"
log "Kafka: $MESSAGES records of $SIZE bytes per run, linger.ms=$LINGER, $REPEATS runs per side"
TOPICS=()
for repeat in $(seq 1 "$REPEATS"); do
  TOPICS+=(--topic "bench-$RUN_ID-produce-native-$repeat" --topic "bench-$RUN_ID-produce-swift-$repeat")
done
CONSUME_TOPIC="bench-$RUN_ID-consume"
"$BENCH" kafka-create-topics --brokers "$BROKERS" --partitions 1 "${TOPICS[@]}" --topic "$CONSUME_TOPIC" \
  >"$WORK/topics.log" 2>&1 || { cat "$WORK/topics.log" >&2; die "could not create the benchmark topics"; }

log "produce: idempotent, acks=all"
for repeat in $(seq 1 "$REPEATS"); do
  run_pair produce "$repeat" \
    "native_produce bench-$RUN_ID-produce-native-$repeat" \
    "swift_produce bench-$RUN_ID-produce-swift-$repeat"
done

log "consume: filling $CONSUME_TOPIC with $MESSAGES records (rdkafka_performance), then new groups read it from the start"
native_produce "$CONSUME_TOPIC" "$WORK/fill.log" >/dev/null || { tail -n 15 "$WORK/fill.log" >&2; die "could not fill $CONSUME_TOPIC"; }
for repeat in $(seq 1 "$REPEATS"); do
  run_pair consume "$repeat" \
    "native_consume $CONSUME_TOPIC bench-$RUN_ID-native-$repeat" \
    "swift_consume $CONSUME_TOPIC bench-$RUN_ID-swift-$repeat"
done

# --- PostgreSQL -------------------------------------------------------------------------
log "PostgreSQL: $INSERTS single-row autocommit inserts per run, one session, $REPEATS runs per side"
psql_run "CREATE TABLE IF NOT EXISTS $TABLE (id bigint, payload text)"
for repeat in $(seq 1 "$REPEATS"); do
  run_pair insert "$repeat" "native_insert" "swift_insert"
done
psql_run "DROP TABLE IF EXISTS $TABLE"

# --- report -----------------------------------------------------------------------------
row() { # row LABEL NAME UNIT
  local label="$1" name="$2" unit="$3"
  local -n natives="NATIVE_$name" swifts="SWIFT_$name"
  local native swift ratio verdict
  native="$(median "${natives[@]}")"
  swift="$(median "${swifts[@]}")"
  if [ "$native" = "n/a" ] || [ "$swift" = "n/a" ]; then
    ratio="n/a"; verdict="NOT MEASURED"
  else
    ratio="$(awk -v s="$swift" -v n="$native" 'BEGIN { printf "%.2f", s / n }')"
    verdict="$(awk -v r="$ratio" -v t="$TARGET" 'BEGIN { print (r + 0 >= t + 0) ? "meets target" : "BELOW TARGET" }')"
  fi
  printf '%-28s %-8s %12s %12s %7s   %s\n' "$label" "$unit" "$native" "$swift" "$ratio" "$verdict"
  printf '%-28s %-8s %s\n' "" "" "runs: native ${natives[*]:-none}; kit ${swifts[*]:-none}"
}

echo
echo "Styrbord kit benchmark ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))"
echo "librdkafka ${LIBRDKAFKA_VERSION:-?} (rdkafka_performance) / $(pkg-config --modversion rdkafka 2>/dev/null || echo '?') (linked by the kit); pgbench $("$PG/pgbench" --version | awk '{ print $3 }')"
echo "Kafka: Tansu on $BROKERS, $MESSAGES x $SIZE-byte records, linger.ms=$LINGER; PostgreSQL: $INSERTS inserts, 1 session"
echo "Medians of $REPEATS runs; ratio = kit / native; target >= $TARGET"
echo
printf '%-28s %-8s %12s %12s %7s   %s\n' "benchmark" "unit" "native" "Swift kit" "ratio" "verdict"
row "Kafka produce (acks=all)" produce "msg/s"
row "Kafka consume" consume "msg/s"
row "PostgreSQL single-row insert" insert "rows/s"
echo
echo "native: rdkafka_performance -P / -G, pgbench -M prepared -c 1; kit: $BENCH"

exit "$FAILED"
