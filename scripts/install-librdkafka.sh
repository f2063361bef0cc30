#!/usr/bin/env bash
# Makes the machine's librdkafka-dev >= 2.2 by building Debian's newer source package
# (trixie) as local backport .debs and installing them in place of bookworm's 2.0.2.
#
# Why: librdkafka 2.0.2 fails the ApiVersions handshake against brokers that send tagged
# fields (fixed upstream in 2.2.0). See docs/operations.md, "librdkafka backport".
#
# The deb-src entry is derived from the machine's own apt configuration: no mirror host is
# written into the repository. The temporary sources list is only used through
# apt-get -o options with a private lists folder, so no trixie binary can be installed.
set -euo pipefail

REQUIRED_MIN="2.2.0"
VERSION="${STYRBORD_LIBRDKAFKA_VERSION:-2.8.0-1}"
# Outside the work tree so that a fresh clone on the same machine finds the build again.
WORK="${STYRBORD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/styrbord}/librdkafka-backport"
PERF_TOOL="$WORK/bin/rdkafka_performance"

# --perf-tool: make sure librdkafka's own rdkafka_performance (from the same source build)
# exists, build it if needed, and print its path. Used by the benchmark.
want_perf_tool=0
[ "${1:-}" = "--perf-tool" ] && want_perf_tool=1

log() { printf '[librdkafka] %s\n' "$*"; }

version_ge() { # version_ge A B: true when A >= B
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

current="$(pkg-config --modversion rdkafka 2>/dev/null || true)"
if [ "$want_perf_tool" -eq 1 ] && [ -x "$PERF_TOOL" ]; then echo "$PERF_TOOL"; exit 0; fi
if [ "$want_perf_tool" -eq 0 ] && [ -n "$current" ] && version_ge "$current" "$REQUIRED_MIN"; then
  log "librdkafka $current is installed (>= $REQUIRED_MIN): nothing to do"
  exit 0
fi
if [ "$want_perf_tool" -eq 1 ]; then
  exec 3>&1 1>&2  # keep stdout for the path alone
  log "building rdkafka_performance from the $VERSION source package"
else
  log "librdkafka ${current:-not installed} is older than $REQUIRED_MIN: building the $VERSION backport"
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

$SUDO apt-get install -y --no-install-recommends \
  debhelper dpkg-dev devscripts pkgconf build-essential \
  libcurl4-openssl-dev liblz4-dev libsasl2-dev libssl-dev libzstd-dev \
  python3 rapidjson-dev zlib1g-dev >/dev/null

mkdir -p "$WORK/lists/partial" "$WORK/src"

# Derive a deb-src entry from the first stanza of the machine's apt sources.
sources_file=""
for candidate in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list.d/*.sources; do
  if [ -f "$candidate" ] && grep -q '^URIs:' "$candidate"; then sources_file="$candidate"; break; fi
done
if [ -n "$sources_file" ]; then
  uri="$(awk '/^URIs:/ {print $2; exit}' "$sources_file")"
  signed_by="$(awk '/^Signed-By:/ {print $2; exit}' "$sources_file")"
else
  uri="$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' /etc/apt/sources.list)"
  signed_by=""
fi
if [ -z "$uri" ]; then
  echo "error: could not find a Debian archive in the machine's apt sources; add one or install librdkafka-dev >= $REQUIRED_MIN by hand" >&2
  exit 1
fi
{
  echo "Types: deb-src"
  echo "URIs: $uri"
  echo "Suites: trixie"
  echo "Components: main"
  [ -n "$signed_by" ] && echo "Signed-By: $signed_by"
} > "$WORK/backport.sources"

apt_private=(-o "Dir::Etc::sourcelist=$WORK/backport.sources" -o "Dir::Etc::sourceparts=-"
  -o "Dir::State::Lists=$WORK/lists" -o "APT::Get::List-Cleanup=0")
# A .sources file given as sourcelist must have the deb822 form; apt detects it by suffix.
log "fetching the source package index"
apt-get "${apt_private[@]}" update >/dev/null
cd "$WORK/src"
rm -rf librdkafka-*/
log "downloading librdkafka=$VERSION source"
apt-get "${apt_private[@]}" source --download-only "librdkafka=$VERSION" >/dev/null
dsc="$(ls -1 librdkafka_*.dsc | head -n1)"
dpkg-source -x "$dsc" >/dev/null
srcdir="$(find . -maxdepth 1 -type d -name 'librdkafka-*' | head -n1)"
cd "$srcdir"
log "building .debs (DEB_BUILD_OPTIONS=nocheck)"
DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" dpkg-buildpackage -b -uc -us -d >"$WORK/build.log" 2>&1 || {
  echo "error: dpkg-buildpackage failed; see $WORK/build.log" >&2; tail -n 30 "$WORK/build.log" >&2; exit 1; }
mkdir -p "$WORK/bin"
cp examples/rdkafka_performance "$PERF_TOOL"
cd ..
if [ "$want_perf_tool" -eq 1 ]; then
  if [ -z "$current" ] || ! version_ge "$current" "$REQUIRED_MIN"; then
    log "note: the system librdkafka is ${current:-missing}; run scripts/install-librdkafka.sh to install the backport"
  fi
  echo "$PERF_TOOL" >&3
  exit 0
fi
# librdkafka-dev depends on librdkafka++1 of the same version: without it dpkg leaves the
# dev package unconfigured and every later apt-get install refuses to run.
debs=(librdkafka1_*.deb librdkafka++1_*.deb librdkafka-dev_*.deb)
log "installing ${debs[*]}"
$SUDO dpkg -i "${debs[@]}" >/dev/null
log "librdkafka $(pkg-config --modversion rdkafka) installed"
