#!/usr/bin/env bash
# Portfolio selection benchmark (issue 6): time of one selection pass at 1 000, 5 000 and
# 10 000 synthetic candidates (release build), the growth of time / (n log n) across them,
# and the optimality gap of the fast pass against the exact branch and bound on small
# instances (required ≤ 1 %; the service itself solves pools of up to 300 exactly).
# Needs neither the broker nor the database.
#
# Knobs: BENCH_SIZES [1000,5000,10000] BENCH_REPETITIONS [3] BENCH_SMALL [10] instances of
# BENCH_SMALL_SIZE [100] candidates, BENCH_SKIP_BUILD [0]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
  swift build -c release --product styrbord-bench >&2
fi
BIN="$(swift build -c release --show-bin-path)/styrbord-bench"
"$BIN" selection --sizes "${BENCH_SIZES:-1000,5000,10000}" --repetitions "${BENCH_REPETITIONS:-3}" \
  --small-instances "${BENCH_SMALL:-10}" --small-size "${BENCH_SMALL_SIZE:-100}"
