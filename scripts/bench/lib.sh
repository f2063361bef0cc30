# Shared by the scripts/bench-*.sh benchmarks; sourced, not run. Expects ROOT (the
# repository) and BENCH_NAME (for messages) to be set, and `set -euo pipefail`.
#
#   bench_build PRODUCT…   release build of the products into .build-bench (BENCH_SKIP_BUILD=1
#                          skips it); sets BIN to the folder of the binaries
#   bench_database NAME    starts the local stack and provisions database NAME;
#                          sets PG_PORT and DATABASE; bench_drop_database drops it again
SCRATCH=".build-bench"
log() { printf '[%s] %s\n' "$BENCH_NAME" "$*" >&2; }
die() { printf '[%s] error: %s\n' "$BENCH_NAME" "$*" >&2; exit 1; }

bench_build() {
  if [ "${BENCH_SKIP_BUILD:-0}" != "1" ]; then
    log "building $* (release, --scratch-path $SCRATCH)"
    local product
    for product in "$@"; do swift build -c release --scratch-path "$SCRATCH" --product "$product" >&2; done
  fi
  BIN="$ROOT/$SCRATCH/release"
  local product
  for product in "$@"; do [ -x "$BIN/$product" ] || die "release binary $product missing in $BIN"; done
}

bench_database() {
  bash scripts/stack.sh start >&2
  eval "$(bash scripts/stack.sh env)"
  PG_PORT="${STYRBORD_PG_PORT:-55432}"
  DATABASE="$1"
  bash scripts/provision-db.sh "$DATABASE" >&2
}

bench_drop_database() {
  psql -q -X "postgresql://postgres@127.0.0.1:$PG_PORT/postgres" -c "DROP DATABASE IF EXISTS $DATABASE WITH (FORCE)" \
    >/dev/null 2>&1 || true
}
