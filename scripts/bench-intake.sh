#!/usr/bin/env bash
# Intake benchmark (issue 4), every figure beside the baseline it is compared with,
# measured in the same run on the local stack (scripts/stack.sh):
#
#   1. PostgreSQL kit: plain single-row autocommit inserts (styrbord-bench postgres-insert).
#   2. One intake instance (release build): authenticated POST /v1/needs — durable write of
#      the need and its outbox event in one transaction — at its sustained rate (wrk, closed
#      loop, BENCH_CONNECTIONS connections). Target: >= 0.5 x (1).
#   3. Two instances, the connections split round-robin between them (two wrk processes
#      started together, one per instance). Target: >= 1.7 x (2).
#   4. Latency at 80 % of (2): open-loop load at a fixed rate (bench/http_load.py), each
#      latency measured from its scheduled start; p50 and p99.
#   5. Bulk import of a BENCH_IMPORT_ROWS-row CSV through POST /v1/needs/imports vs
#      PostgreSQL's own COPY of the same file into a plain table. Target: >= 0.25 x COPY.
#      Beside it, PostgreSQL's own INSERT of the same rows into a table shaped and indexed
#      like intake.needs (no checks, no events): the ceiling for durable, indexed needs.
#   The machine's CPU use during (2) and (3) is printed: a second instance can only add
#   throughput when the first one leaves cores idle.
#      The intake process's peak memory (VmHWM) is read from /proc before and after.
#
# The relay publishes the outbox to the broker during the runs, as in production.
# Exits 0 whatever the ratios (it prints them); 1 only when a measurement failed.
#
# Knobs: BENCH_SECONDS [15] BENCH_CONNECTIONS [32] BENCH_KEYS [1] (Idempotency-Key on every
# POST) BENCH_IMPORT_ROWS [100000] BENCH_PG_INSERTS [5000] BENCH_SKIP_BUILD [0]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SECONDS_PER_RUN="${BENCH_SECONDS:-15}"
CONNECTIONS="${BENCH_CONNECTIONS:-32}"
KEYS="${BENCH_KEYS:-1}"
IMPORT_ROWS="${BENCH_IMPORT_ROWS:-100000}"
INSERTS="${BENCH_PG_INSERTS:-5000}"
BENCH_NAME=bench-intake
# shellcheck source=bench/lib.sh
source scripts/bench/lib.sh
command -v wrk >/dev/null || die "wrk is missing: apt-get install wrk (scripts/setup.sh installs it)"
bench_build styrbord-intake styrbord-bench
DATABASE=""
WORK="$(mktemp -d "${TMPDIR:-/tmp}/styrbord-bench-intake.XXXXXX")"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "$DATABASE" ] && bench_drop_database
  rm -rf "$WORK"
}
trap cleanup EXIT
bench_database "bench_intake_$$"
ADMIN_URL="postgresql://postgres@127.0.0.1:$PG_PORT/$DATABASE"
export STYRBORD_AUTH_HMAC_KEYS="bench:$(openssl rand -hex 32)"

start_intake() { # start_intake PORT -> pid on stdout
  STYRBORD_HTTP_HOST=127.0.0.1 STYRBORD_HTTP_PORT="$1" STYRBORD_LOG_LEVEL=warning \
  STYRBORD_DATABASE_URL="postgresql://styrbord_intake@127.0.0.1:$PG_PORT/$DATABASE" STYRBORD_DATABASE_POOL_SIZE=16 \
    "$BIN/styrbord-intake" serve >"$WORK/intake-$1.log" 2>&1 &
  local pid=$!
  local deadline=$((SECONDS + 120))
  until curl -fsS -o /dev/null "http://127.0.0.1:$1/health/ready" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || { tail -n 20 "$WORK/intake-$1.log" >&2; die "intake on $1 exited"; }
    [ $SECONDS -lt $deadline ] || die "intake on $1 not ready"
    sleep 0.2
  done
  echo "$pid"
}
# Machine-wide CPU use between two snapshots of /proc/stat: busy % of all cores (what a
# second instance could still use on this machine).
cpu_snapshot() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }
cpu_busy() { # cpu_busy "BEFORE" -> busy percent since BEFORE
  awk -v before="$1" -v after="$(cpu_snapshot)" 'BEGIN { split(before, b, " "); split(after, a, " ");
    total = a[2] - b[2]; busy = 0; if (total > 0) busy = 100 * (a[1] - b[1]) / total; printf "%.0f", busy }'
}
# CPU time (jiffies, user + system) of processes by name pattern, for their share of the
# machine during a run: intake (with its outbox relay), PostgreSQL, the broker. (wrk exits
# before the second snapshot, so its share is what is left of the busy figure.)
proc_jiffies() { # proc_jiffies PGREP-PATTERN -> summed jiffies
  local total=0 pid fields
  for pid in $(pgrep -f "$1" || true); do
    fields="$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0)"
    total=$((total + fields))
  done
  echo "$total"
}
shares_snapshot() { echo "$(cpu_snapshot) $(proc_jiffies styrbord-intake) $(proc_jiffies 'postgres') $(proc_jiffies 'tansu')"; }
shares_since() { # shares_since "SNAPSHOT" -> "intake X %, PostgreSQL Y %, broker Z %" of the machine
  awk -v before="$1" -v after="$(shares_snapshot)" 'BEGIN { split(before, b, " "); split(after, a, " ");
    total = a[2] - b[2]; if (total <= 0) total = 1;
    printf "intake %.0f %%, PostgreSQL %.0f %%, broker %.0f %%",
      100 * (a[3] - b[3]) / total, 100 * (a[4] - b[4]) / total, 100 * (a[5] - b[5]) / total }'
}
field() { sed -n "s/.* $1=\([0-9.na]*\).*/\1/p" | tail -n1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

P1=$((20000 + RANDOM % 10000)); P2=$((P1 + 1))
PID1="$(start_intake "$P1")"; PIDS+=("$PID1")
TOKEN="$("$BIN/styrbord-intake" token --subject bench --organisation utbildning --role submitter --ttl 3600)"
export TOKEN KEYS

log "1. PostgreSQL kit: $INSERTS single-row inserts"
"$BIN/styrbord-bench" postgres-insert --database-url "$ADMIN_URL" --table bench_insert --inserts "$INSERTS" \
  --truncate >"$WORK/pg.out" 2>"$WORK/pg.err" || { cat "$WORK/pg.err" >&2; die "postgres-insert failed"; }
PG_RATE="$(sed -n 's/^RESULT .* rate=\([0-9.]*\).*/\1/p' "$WORK/pg.out")"

log "warming up"
wrk -t2 -c"$CONNECTIONS" -d3s -s bench/post_need.lua "http://127.0.0.1:$P1" >/dev/null
log "2. one instance: ${SECONDS_PER_RUN}s, $CONNECTIONS connections"
CPU_BEFORE="$(cpu_snapshot)"
SHARES_BEFORE="$(shares_snapshot)"
wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" -s bench/post_need.lua "http://127.0.0.1:$P1" >"$WORK/one.out"
ONE_REQ="$(field requests <"$WORK/one.out")"; ONE_SEC="$(field seconds <"$WORK/one.out")"
ONE_BAD="$(field non2xx <"$WORK/one.out")"
ONE_CPU="$(cpu_busy "$CPU_BEFORE")"
ONE_SHARES="$(shares_since "$SHARES_BEFORE")"
ONE_RATE="$(awk -v r="$ONE_REQ" -v s="$ONE_SEC" 'BEGIN { printf "%.0f", r / s }')"

log "3. two instances: ${SECONDS_PER_RUN}s, $((CONNECTIONS / 2)) connections each"
PID2="$(start_intake "$P2")"; PIDS+=("$PID2")
wrk -t1 -c"$((CONNECTIONS / 2))" -d3s -s bench/post_need.lua "http://127.0.0.1:$P2" >/dev/null
CPU_BEFORE="$(cpu_snapshot)"
wrk -t1 -c"$((CONNECTIONS / 2))" -d"${SECONDS_PER_RUN}s" -s bench/post_need.lua "http://127.0.0.1:$P1" >"$WORK/two-a.out" &
WA=$!
wrk -t1 -c"$((CONNECTIONS / 2))" -d"${SECONDS_PER_RUN}s" -s bench/post_need.lua "http://127.0.0.1:$P2" >"$WORK/two-b.out" &
WB=$!
wait "$WA" "$WB"
TWO_CPU="$(cpu_busy "$CPU_BEFORE")"
TWO_RATE="$(awk -v a="$(field requests <"$WORK/two-a.out")" -v sa="$(field seconds <"$WORK/two-a.out")" \
  -v b="$(field requests <"$WORK/two-b.out")" -v sb="$(field seconds <"$WORK/two-b.out")" 'BEGIN { printf "%.0f", a / sa + b / sb }')"
TWO_BAD=$(( $(field non2xx <"$WORK/two-a.out") + $(field non2xx <"$WORK/two-b.out") ))
kill "$PID2"; wait "$PID2" 2>/dev/null || true

TARGET_RATE="$(awk -v r="$ONE_RATE" 'BEGIN { printf "%.0f", r * 0.8 }')"
log "4. latency at 80 % of one instance: $TARGET_RATE requests/s for ${SECONDS_PER_RUN}s"
python3 bench/http_load.py "http://127.0.0.1:$P1/v1/needs" --rate "$TARGET_RATE" --duration "$SECONDS_PER_RUN" \
  --connections 64 --header "Authorization: Bearer $TOKEN" --body-file bench/need.json \
  $([ "$KEYS" = "1" ] && echo --unique-keys) >"$WORK/latency.out"
LAT="$(cat "$WORK/latency.out")"

log "5. bulk import of $IMPORT_ROWS rows"
python3 - "$WORK/needs.csv" "$IMPORT_ROWS" <<'PY'
import sys
rows = int(sys.argv[2])
with open(sys.argv[1], "w", encoding="utf-8", newline="") as out:
    out.write("Spår;Titel;Beskrivning;Kategori;Drivkraft;Målgrupper;Angelägenhet;Engångskostnad;Referens\r\n")
    for i in range(rows):
        track = "gemensam" if i % 3 == 0 else "verksamhetsspecifik"
        out.write(f"{track};Behov nr {i} – åäö;Beskrivning av behov {i}: manuell hantering ersätts;"
                  f"effektiviserande;eget behov;invånare, medarbetare;medel;{100000 + i};B-{i}\r\n")
PY
SIZE_MB="$(du -m "$WORK/needs.csv" | cut -f1)"
kill "$PID1"; wait "$PID1" 2>/dev/null || true
PID1="$(start_intake "$P1")"; PIDS+=("$PID1")
RSS_BEFORE="$(awk '/VmRSS/ { print $2 }' "/proc/$PID1/status")"
START_NS="$(date +%s%N)"
curl -fsS -o "$WORK/import.json" -H "Authorization: Bearer $TOKEN" -H "Content-Type: text/csv; charset=utf-8" -H "Expect:" \
  --data-binary @"$WORK/needs.csv" "http://127.0.0.1:$P1/v1/needs/imports" || { cat "$WORK/import.json" >&2 || true; die "import failed"; }
IMPORT_SEC="$(awk -v s="$START_NS" -v e="$(date +%s%N)" 'BEGIN { printf "%.3f", (e - s) / 1e9 }')"
PEAK_KB="$(awk '/VmHWM/ { print $2 }' "/proc/$PID1/status")"
IMPORTED="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["imported"])' "$WORK/import.json")"
[ "$IMPORTED" = "$IMPORT_ROWS" ] || die "imported $IMPORTED of $IMPORT_ROWS rows"
IMPORT_RATE="$(awk -v r="$IMPORT_ROWS" -v s="$IMPORT_SEC" 'BEGIN { printf "%.0f", r / s }')"
psql -q -X "$ADMIN_URL" -c "CREATE TABLE bench_copy (track text, title text, description text, category text, driver text, target_groups text, urgency text, one_off text, reference text)"
START_NS="$(date +%s%N)"
psql -q -X "$ADMIN_URL" -c "\\copy bench_copy FROM '$WORK/needs.csv' WITH (FORMAT csv, HEADER true, DELIMITER ';')"
COPY_SEC="$(awk -v s="$START_NS" -v e="$(date +%s%N)" 'BEGIN { printf "%.3f", (e - s) / 1e9 }')"
COPY_RATE="$(awk -v r="$IMPORT_ROWS" -v s="$COPY_SEC" 'BEGIN { printf "%.0f", r / s }')"
# What PostgreSQL alone needs to store the same rows in a table shaped and indexed like
# intake.needs, without validation, mapping or events: the ceiling any import with durable,
# indexed needs can reach on this machine.
psql -q -X "$ADMIN_URL" -c "CREATE TABLE bench_needs (LIKE intake.needs INCLUDING ALL)"
START_NS="$(date +%s%N)"
psql -q -X "$ADMIN_URL" -c "INSERT INTO bench_needs (initiative_id, organisation_id, track, title, description, category,
  driver, target_groups, urgency, status, created_by, import_key)
  SELECT gen_random_uuid(), 'utbildning', track, title, description, category, driver,
         string_to_array(target_groups, ', '), urgency, 'submitted', 'bench', reference FROM bench_copy"
FLOOR_SEC="$(awk -v s="$START_NS" -v e="$(date +%s%N)" 'BEGIN { printf "%.3f", (e - s) / 1e9 }')"
FLOOR_RATE="$(awk -v r="$IMPORT_ROWS" -v s="$FLOOR_SEC" 'BEGIN { printf "%.0f", r / s }')"

cat <<TABLE

Intake benchmark — $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), Idempotency-Key on every POST: $KEYS
  PostgreSQL kit single-row inserts        $PG_RATE /s
  one instance, POST /v1/needs             $ONE_RATE /s   ($ONE_BAD non-2xx)   ratio to kit inserts $(ratio "$ONE_RATE" "$PG_RATE")  (target >= 0.5)
                                           machine CPU busy $ONE_CPU % of $(nproc) cores: $ONE_SHARES
  two instances, round-robin               $TWO_RATE /s   ($TWO_BAD non-2xx)   ratio to one instance $(ratio "$TWO_RATE" "$ONE_RATE")  (target >= 1.7)
                                           machine CPU busy $TWO_CPU %
  at 80 % of one instance ($TARGET_RATE /s)    $LAT
  bulk import, $IMPORT_ROWS rows ($SIZE_MB MB)       $IMPORT_RATE rows/s in ${IMPORT_SEC}s
  PostgreSQL COPY of the same file         $COPY_RATE rows/s in ${COPY_SEC}s   ratio $(ratio "$IMPORT_RATE" "$COPY_RATE")  (target >= 0.25)
  PostgreSQL INSERT of the same rows into a table indexed like needs (no checks, no events)
                                           $FLOOR_RATE rows/s in ${FLOOR_SEC}s   ratio to COPY $(ratio "$FLOOR_RATE" "$COPY_RATE")
  intake memory                            RSS $((RSS_BEFORE / 1024)) MB before the import, peak (VmHWM) $((PEAK_KB / 1024)) MB
TABLE
