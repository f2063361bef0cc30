#!/usr/bin/env bash
# The test command: starts the local stack if it is not running (scripts/stack.sh), then
# runs every test — unit, integration and end-to-end — against the real PostgreSQL and
# broker. Extra arguments go to `swift test` (e.g. --filter OutboxInboxTests).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/stack.sh start
eval "$(bash scripts/stack.sh env)"
export STYRBORD_TANSU="$(bash scripts/stack.sh tansu-path)"

swift build --build-tests
swift test --skip-build "$@"
