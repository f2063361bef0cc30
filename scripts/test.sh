#!/usr/bin/env bash
# The test command: checks the operations artefacts (Tests/Deploy, Python), starts the
# local stack if it is not running (scripts/stack.sh), then runs every Swift test — unit,
# integration and end-to-end — against the real PostgreSQL and broker. Extra arguments go
# to `swift test` (e.g. --filter OutboxInboxTests).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# First, fast and without a build: the operations artefacts (compose/, deploy/, alert
# rules, Dockerfiles) against their published schemas and the project's own rules.
echo "[test] operations checks: Tests/Deploy"
python3 -m pytest -q -p no:cacheprovider Tests/Deploy

bash scripts/stack.sh start
eval "$(bash scripts/stack.sh env)"
export STYRBORD_TANSU="$(bash scripts/stack.sh tansu-path)"

swift build --build-tests
swift test --skip-build "$@"
