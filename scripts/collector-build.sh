#!/usr/bin/env bash
# Build our OpenTelemetry Collector distribution: build/collector/otelcol-devtool.
#
# - installs the OpenTelemetry Collector Builder (OCB) at a pinned version into build/tools (GOBIN)
# - builds with GOTOOLCHAIN=local GOWORK=off from collector-config/builder-config.yaml
# - cached: rebuilds only when the manifest (or the pinned builder version) changes; FORCE=1 rebuilds
#
# Usage: scripts/collector-build.sh        (npm run collector:build)
set -euo pipefail

BUILDER_VERSION="v0.161.0"   # must equal the v0.N.0 of every component in the manifest

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MANIFEST="$ROOT/collector-config/builder-config.yaml"
OUT_DIR="$ROOT/build/collector"
BIN="$OUT_DIR/otelcol-devtool"
TOOLS="$ROOT/build/tools"
BUILDER="$TOOLS/builder-$BUILDER_VERSION"
STAMP="$OUT_DIR/.manifest.sha256"

log() { printf '[collector-build %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[collector-build] ERROR: %s\n' "$*" >&2; exit 1; }

if ! command -v go >/dev/null 2>&1; then
  die "Go is not installed or not on PATH. The collector is built from Go modules: install Go >= 1.26 (https://go.dev/dl/ or 'apt-get install golang-go') and re-run 'npm run collector:build'."
fi
[ -f "$MANIFEST" ] || die "manifest not found: $MANIFEST"

# one build at a time (parallel test workers may call this concurrently): wait for the lock
mkdir -p "$OUT_DIR"
exec 9>"$OUT_DIR/.build.lock"
if command -v flock >/dev/null 2>&1 && ! flock -n 9; then log "another build is running; waiting for it"; flock 9; fi
export GOTOOLCHAIN=local GOWORK=off CGO_ENABLED="${CGO_ENABLED:-0}" GOFLAGS="${GOFLAGS:--buildvcs=false}"

# the hash covers the manifest and the sources of our own components (collector-config/components/), with the
# data files they embed (*.txt: the registry of accepted keys)
HASH="$( { cat "$MANIFEST"; echo "builder=$BUILDER_VERSION"; go env GOVERSION;
          find "$ROOT/collector-config/components" -type f \( -name '*.go' -o -name '*.txt' -o -name 'go.mod' -o -name 'go.sum' \) ! -name '*_test.go' 2>/dev/null | LC_ALL=C sort | xargs -r cat; } \
        | sha256sum | cut -d' ' -f1)"
if [ "${FORCE:-0}" != 1 ] && [ -x "$BIN" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$HASH" ]; then
  log "up to date: $BIN (manifest hash ${HASH:0:12}); FORCE=1 to rebuild"
  exit 0
fi

START=$(date +%s)
mkdir -p "$TOOLS" "$OUT_DIR"
if [ ! -x "$BUILDER" ]; then
  log "step 1/3: installing go.opentelemetry.io/collector/cmd/builder@$BUILDER_VERSION into build/tools ($(go env GOVERSION))"
  TMPBIN="$(mktemp -d)"
  GOBIN="$TMPBIN" go install "go.opentelemetry.io/collector/cmd/builder@$BUILDER_VERSION" \
    || die "could not install the collector builder $BUILDER_VERSION (Go module proxy reachable? GOPROXY=$(go env GOPROXY))"
  mv "$TMPBIN/builder" "$BUILDER"; rmdir "$TMPBIN"
  ln -sf "$(basename "$BUILDER")" "$TOOLS/builder"
else
  log "step 1/3: builder $BUILDER_VERSION already in build/tools"
fi

log "step 2/3: generating sources and resolving modules (first run downloads a few hundred modules; this takes minutes)"
log "step 3/3: compiling otelcol-devtool (progress below; a cold build takes several minutes on 2 cores)"
rm -f "$STAMP"
# The builder resolves output_path against the working directory: run from the repo root.
cd "$ROOT"
# Heartbeat so long silent phases (go mod download / link) still show progress.
# the sleeps hold neither our output pipes nor the build lock, so nothing waits for them after exit
( while sleep 30 </dev/null >/dev/null 2>&1 9>&-; do log "... still building ($(( $(date +%s) - START ))s elapsed)"; done ) 9>&- &
HEARTBEAT=$!
trap 'kill $HEARTBEAT 2>/dev/null || true' EXIT
if ! "$BUILDER" --config "$MANIFEST" --verbose 2>&1 | sed -u 's/^/  | /' >&2; then
  die "the builder failed (see output above). Most common cause: core/contrib components at different v0.N.0 releases, or confmap providers not at the paired v1.M.0."
fi
[ -x "$BIN" ] || die "the builder finished but $BIN is missing"
echo "$HASH" > "$STAMP"
log "built $BIN in $(( $(date +%s) - START ))s ($("$BIN" --version 2>/dev/null || true))"
