#!/usr/bin/env bash
# Reuse-precision benchmark (issue 5), on demand, not part of the tests: on a database of
# its own, the analysis migrations (service catalogue included) are applied with the
# service's own `migrate` command, the labelled set's known initiatives are loaded as
# analysis cases, and every query of bench/reuse-labels.json is ranked exactly as a new
# case's reuse candidates are. Prints each query's top 3 (standard error) and
#   precision_at_3  mean over queries of |top 3 ∩ relevant| / min(3, |relevant|)
#   hit_rate_at_3   share of queries with at least one relevant candidate in the top 3
#   recall_at_3     share of all labelled (query, candidate) pairs found in the top 3
# Exits 0 whatever the figures; 1 only when the measurement failed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SCRATCH=".build-bench"
log() { printf '[bench-reuse] %s\n' "$*" >&2; }
if [ "${BENCH_SKIP_BUILD:-0}" != "1" ]; then
  log "building styrbord-analysis and styrbord-bench (release, --scratch-path $SCRATCH)"
  swift build -c release --scratch-path "$SCRATCH" --product styrbord-analysis >&2
  swift build -c release --scratch-path "$SCRATCH" --product styrbord-bench >&2
fi
BIN="$ROOT/$SCRATCH/release"
bash scripts/stack.sh start >&2
eval "$(bash scripts/stack.sh env)"
PG_PORT="${STYRBORD_PG_PORT:-55432}"
DATABASE="bench_reuse_$$"
cleanup() {
  psql -q -X "postgresql://postgres@127.0.0.1:$PG_PORT/postgres" -c "DROP DATABASE IF EXISTS $DATABASE WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT
bash scripts/provision-db.sh "$DATABASE" >&2
STYRBORD_DATABASE_URL="postgresql://styrbord_analysis@127.0.0.1:$PG_PORT/$DATABASE" STYRBORD_LOG_LEVEL=warning \
STYRBORD_AUTH_HMAC_KEYS="bench:$(openssl rand -hex 32)" "$BIN/styrbord-analysis" migrate >&2
"$BIN/styrbord-bench" reuse-precision --database-url "postgresql://styrbord_analysis@127.0.0.1:$PG_PORT/$DATABASE" \
  --labels bench/reuse-labels.json
