#!/usr/bin/env bash
# Stops the services started by scripts/run.sh (graceful SIGTERM), then the local stack.
#   scripts/stop.sh            services and stack
#   scripts/stop.sh services   services only
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN_DIR="$ROOT/.local/run"
for service in intake analysis prioritisation benefits notifications; do
  pidfile="$RUN_DIR/$service.pid"
  [ -s "$pidfile" ] || continue
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    deadline=$((SECONDS + 20))
    while kill -0 "$pid" 2>/dev/null; do
      [ $SECONDS -lt $deadline ] || { kill -KILL "$pid" 2>/dev/null || true; break; }
      sleep 0.1
    done
    echo "[stop] $service stopped"
  fi
  rm -f "$pidfile"
done
[ "${1:-all}" = "services" ] || bash "$ROOT/scripts/stack.sh" stop
