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
BENCH_NAME=bench-reuse
# shellcheck source=bench/lib.sh
source scripts/bench/lib.sh
bench_build styrbord-analysis styrbord-bench
DATABASE=""
trap '[ -n "$DATABASE" ] && bench_drop_database' EXIT
bench_database "bench_reuse_$$"
STYRBORD_DATABASE_URL="postgresql://styrbord_analysis@127.0.0.1:$PG_PORT/$DATABASE" STYRBORD_LOG_LEVEL=warning \
STYRBORD_AUTH_HMAC_KEYS="bench:$(openssl rand -hex 32)" "$BIN/styrbord-analysis" migrate >&2
"$BIN/styrbord-bench" reuse-precision --database-url "postgresql://styrbord_analysis@127.0.0.1:$PG_PORT/$DATABASE" \
  --labels bench/reuse-labels.json
