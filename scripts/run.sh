#!/usr/bin/env bash
# The run command: installs what is missing, starts the local stack, builds and starts the
# five services, loads demo data and prints where each answers. scripts/stop.sh stops all.
#   STYRBORD_SKIP_SETUP=1   skip scripts/setup.sh (when the machine is known to be ready)
#   STYRBORD_NO_DEMO=1      do not load demo data
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RUN_DIR="$ROOT/.local/run"
PG_PORT="${STYRBORD_PG_PORT:-55432}"
KAFKA_PORT="${STYRBORD_KAFKA_PORT:-59092}"
DATABASE="${STYRBORD_DATABASE:-styrbord}"
SERVICES=(intake:8081 analysis:8082 prioritisation:8083 benefits:8084 notifications:8085)
mkdir -p "$RUN_DIR"

[ "${STYRBORD_SKIP_SETUP:-0}" = "1" ] || bash scripts/setup.sh
bash scripts/stack.sh start
bash scripts/provision-db.sh "$DATABASE"
echo "[run] building the services"
swift build -c debug 2>&1 | grep -E "error|warning: |Build complete" || true
BIN="$(swift build -c debug --show-bin-path)"

# Bearer tokens: a secret made once for this clone (never committed), shared by the five
# services; mint tokens with: .build/debug/styrbord-intake token --subject … --organisation … --role …
SECRET_FILE="$RUN_DIR/auth-secret"
[ -s "$SECRET_FILE" ] || (umask 077; openssl rand -hex 32 >"$SECRET_FILE")
export STYRBORD_AUTH_HMAC_KEYS="local:$(cat "$SECRET_FILE")"

ready() { curl -fsS -o /dev/null "http://127.0.0.1:$1/health/ready" 2>/dev/null; }

for entry in "${SERVICES[@]}"; do
  service="${entry%%:*}"; port="${entry##*:}"
  pidfile="$RUN_DIR/$service.pid"
  if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "[run] $service already running (pid $(cat "$pidfile"))"
    continue
  fi
  STYRBORD_HTTP_HOST=127.0.0.1 STYRBORD_HTTP_PORT="$port" \
  STYRBORD_DATABASE_URL="postgresql://styrbord_$service@127.0.0.1:$PG_PORT/$DATABASE" \
  STYRBORD_KAFKA_BROKERS="127.0.0.1:$KAFKA_PORT" STYRBORD_KAFKA_PROFILE=local \
  STYRBORD_TOPIC_PARTITIONS="${STYRBORD_TOPIC_PARTITIONS:-6}" \
    nohup "$BIN/styrbord-$service" serve >>"$RUN_DIR/$service.log" 2>&1 &
  echo $! >"$pidfile"
  echo "[run] started $service (pid $!, log .local/run/$service.log)"
done

for entry in "${SERVICES[@]}"; do
  service="${entry%%:*}"; port="${entry##*:}"
  deadline=$((SECONDS + 120))
  until ready "$port"; do
    kill -0 "$(cat "$RUN_DIR/$service.pid")" 2>/dev/null || { tail -n 20 "$RUN_DIR/$service.log" >&2; echo "[run] $service exited" >&2; exit 1; }
    [ $SECONDS -lt $deadline ] || { echo "[run] $service not ready within 120 s; see .local/run/$service.log" >&2; exit 1; }
    sleep 0.2
  done
done

if [ "${STYRBORD_NO_DEMO:-0}" != "1" ]; then
  echo "[run] loading demo data"
  STYRBORD_TOKEN="$("$BIN/styrbord-intake" token --subject demo-admin --organisation slk --role admin --ttl 600)" \
    python3 scripts/demo/load.py http://127.0.0.1:8081 http://127.0.0.1:8082 http://127.0.0.1:8083 http://127.0.0.1:8084
fi

cat <<TABLE

Styrbord is running:
  intake          http://127.0.0.1:8081   /v1/needs, /v1/needs/imports, /v1/proposals, /v1/exemptions, /v1/organisations
  analysis        http://127.0.0.1:8082   GET /v1/analyses, PUT /v1/analyses/{id}/cost-benefit and /risk, POST /v1/analyses/{id}/complete
  prioritisation  http://127.0.0.1:8083   /v1/rounds (criteria, scores, selections, scenarios, budget input), /v1/decisions
  benefits        http://127.0.0.1:8084   /v1/plans, /v1/register, /v1/realisation, /v1/city-plan; open feed /public/v1/initiatives
  notifications   http://127.0.0.1:8085   GET /v1/notifications
  each also       /health/live  /health/ready  /metrics
  PostgreSQL      postgresql://postgres@127.0.0.1:$PG_PORT/$DATABASE
  Kafka (Tansu)   127.0.0.1:$KAFKA_PORT
Every /v1 call needs a bearer token, e.g. a submitter of Utbildningsnämnden:
  STYRBORD_AUTH_HMAC_KEYS="local:\$(cat .local/run/auth-secret)" $BIN/styrbord-intake token \\
      --subject anna --organisation utbildning --role submitter
Logs in .local/run/. Stop everything with: scripts/stop.sh
TABLE
