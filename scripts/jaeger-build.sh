#!/usr/bin/env bash
# Build Jaeger v2 (the collector-based `cmd/jaeger` binary) from Go modules into build/jaeger/jaeger.
#
# Jaeger's module path has no /v2, so v2.x tags are not valid module versions. Strategies, in order:
#   1. `go install github.com/jaegertracing/jaeger/cmd/jaeger@<commit>` (Jaeger v2.20.0, tag commit
#      798e4b0fcf22; no replace directive in its go.mod, so go install accepts it).
#   2. the v1.x tag of a release (same commit as the v2.y tag): its go.mod has a `replace` directive,
#      so `go install` refuses it; instead download the module source with `go mod download` and
#      `go build ./cmd/jaeger` inside it (replace directives apply in the main module).
# Override with JAEGER_COMMIT / JAEGER_V1_TAG. Cached: rebuilds only when the chosen version changes
# (FORCE=1 rebuilds). Jaeger's UI assets are not in the Go module: the query API (/api/...) works,
# the UI shows a placeholder.
set -euo pipefail

JAEGER_COMMIT="${JAEGER_COMMIT:-798e4b0fcf22}"   # Jaeger v2.20.0
JAEGER_V1_TAG="${JAEGER_V1_TAG:-v1.76.0}"         # == Jaeger v2.13.0 (collector v0.140)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT_DIR="$ROOT/build/jaeger"
BIN="$OUT_DIR/jaeger"
STAMP="$OUT_DIR/.version"

log() { printf '[jaeger-build %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[jaeger-build] ERROR: %s\n' "$*" >&2; exit 1; }

command -v go >/dev/null 2>&1 || die "Go is not installed or not on PATH. Jaeger is built from Go modules: install Go >= 1.26 (https://go.dev/dl/) and re-run 'npm run jaeger:build'."
# one build at a time (parallel test workers may call this concurrently): wait for the lock
mkdir -p "$OUT_DIR"
exec 9>"$OUT_DIR/.build.lock"
if command -v flock >/dev/null 2>&1 && ! flock -n 9; then log "another build is running; waiting for it"; flock 9; fi
export GOTOOLCHAIN=local GOWORK=off CGO_ENABLED="${CGO_ENABLED:-0}" GOFLAGS="${GOFLAGS:--buildvcs=false}"

WANT="commit=$JAEGER_COMMIT;v1tag=$JAEGER_V1_TAG;$(go env GOVERSION)"
if [ "${FORCE:-0}" != 1 ] && [ -x "$BIN" ] && [ -f "$STAMP" ] && [ "$(head -1 "$STAMP")" = "$WANT" ]; then
  log "up to date: $BIN ($(sed -n 2p "$STAMP")); FORCE=1 to rebuild"
  exit 0
fi
mkdir -p "$OUT_DIR"; rm -f "$STAMP"
START=$(date +%s)
# the sleeps hold neither our output pipes nor the build lock, so nothing waits for them after exit
( while sleep 30 </dev/null >/dev/null 2>&1 9>&-; do log "... still building ($(( $(date +%s) - START ))s elapsed)"; done ) 9>&- &
HEARTBEAT=$!
trap 'kill $HEARTBEAT 2>/dev/null || true' EXIT

built=""
log "strategy 1/2: go install github.com/jaegertracing/jaeger/cmd/jaeger@$JAEGER_COMMIT"
TMPBIN="$(mktemp -d)"
if GOBIN="$TMPBIN" go install -x=false "github.com/jaegertracing/jaeger/cmd/jaeger@$JAEGER_COMMIT" 2>&1 | sed -u 's/^/  | /' >&2 && [ -x "$TMPBIN/jaeger" ]; then
  mv "$TMPBIN/jaeger" "$BIN"; built="go install @$JAEGER_COMMIT"
else
  log "strategy 1 failed (commit not available from the module proxy?)"
  log "strategy 2/2: go mod download github.com/jaegertracing/jaeger@$JAEGER_V1_TAG, then go build ./cmd/jaeger"
  DIR="$(go mod download -json "github.com/jaegertracing/jaeger@$JAEGER_V1_TAG" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')"
  [ -n "$DIR" ] && [ -d "$DIR/cmd/jaeger" ] || die "could not download github.com/jaegertracing/jaeger@$JAEGER_V1_TAG from $(go env GOPROXY)"
  SRC="$OUT_DIR/src-$JAEGER_V1_TAG"
  if [ ! -f "$SRC/go.mod" ]; then rm -rf "$SRC"; cp -r "$DIR" "$SRC"; chmod -R u+w "$SRC"; fi
  V2="$(grep -o 'v2\.[0-9]*\.[0-9]*' "$SRC/CHANGELOG.md" 2>/dev/null | head -1 || true)"
  log "building cmd/jaeger (Jaeger ${V2:-v2} / module $JAEGER_V1_TAG); a cold build downloads and compiles for several minutes"
  ( cd "$SRC" && go build -trimpath \
      -ldflags "-s -w -X github.com/jaegertracing/jaeger/internal/version.latestVersion=${V2:-$JAEGER_V1_TAG}" \
      -o "$BIN" ./cmd/jaeger ) 2>&1 | sed -u 's/^/  | /' >&2 \
    || die "go build of jaeger $JAEGER_V1_TAG failed (see above)"
  built="source build of module $JAEGER_V1_TAG (${V2:-v2})"
fi
rm -rf "$TMPBIN"
[ -x "$BIN" ] || die "build finished but $BIN is missing"
printf '%s\n%s\n' "$WANT" "$built" > "$STAMP"
log "built $BIN in $(( $(date +%s) - START ))s via $built"
