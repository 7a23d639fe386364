#!/usr/bin/env bash
# Can our collector be built at another release? For each candidate, rewrite builder-config.yaml to it,
# install that release's builder into a temporary GOBIN and run it with --skip-compilation: it generates
# the sources and runs `go mod tidy` / `go mod download`, i.e. exactly the module resolution of a real
# build, without the minutes of compiling. Prints "resolves", or the module versions the Go module proxy
# refused (a component resolving alone is not enough: its dependencies must be served at that release too).
#
# Usage: scripts/collector-probe.sh CORE[:CONTRIB] ...     e.g.  scripts/collector-probe.sh v0.165.0:v0.165.1 v0.161.0
#        MANIFEST=path/to/other-builder-config.yaml scripts/collector-probe.sh ...
# The stable confmap providers are moved to the paired v1.(N-94).0. Nothing in the repository is changed;
# the module downloads land in the shared Go module cache (a later real build reuses them).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MANIFEST="${MANIFEST:-$ROOT/collector-config/builder-config.yaml}"
[ $# -gt 0 ] || { sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
command -v go >/dev/null 2>&1 || { echo "collector-probe: Go is not on PATH" >&2; exit 1; }
export GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0 GOFLAGS="${GOFLAGS:--buildvcs=false}"

status=0
for cand in "$@"; do
  core="${cand%%:*}"
  contrib="${cand#*:}"
  [[ "$core" =~ ^v0\.([0-9]+)\.[0-9]+$ ]] || { echo "$cand: not a v0.N.M core version" >&2; status=2; continue; }
  providers="v1.$((BASH_REMATCH[1] - 94)).0"
  work="$(mktemp -d)"
  sed -E -e "s#(go\.opentelemetry\.io/collector/[^ ]+) v0\.[0-9]+\.[0-9]+#\1 $core#" \
    -e "s#(opentelemetry-collector-contrib/[^ ]+) v0\.[0-9]+\.[0-9]+#\1 $contrib#" \
    -e "s#(go\.opentelemetry\.io/collector/confmap/provider/[^ ]+) v1\.[0-9]+\.[0-9]+#\1 $providers#" \
    -e "s#^([[:space:]]*output_path:).*#\1 $work/dist#" "$MANIFEST" >"$work/manifest.yaml"
  if ! GOBIN="$work/bin" go install "go.opentelemetry.io/collector/cmd/builder@$core" >"$work/install.log" 2>&1; then
    echo "$cand: the builder $core is not served"
    status=1
    rm -rf "$work"
    continue
  fi
  # Resolution stops at the first refused module: drop the components that need it and go on, so one run
  # names every component that holds the release back.
  held=()
  for _ in 1 2 3 4 5 6 7 8 9 10 11 12; do
    # the builder resolves `path:` of local components against the working directory: run from the repo root
    if (cd "$ROOT" && "$work/bin/builder" --config "$work/manifest.yaml" --skip-compilation) >"$work/build.log" 2>&1; then break; fi
    refused="$(grep -oE '[A-Za-z0-9./_~-]+@v[0-9][A-Za-z0-9.+-]*: (reading|verifying)[^\\"]*(403|404|410)' "$work/build.log" |
      sed -E 's/: (reading|verifying).*//' | sort -u | head -n 1)"
    if [ -z "$refused" ]; then held+=("(not a refused module; last lines of the builder log:)"); while IFS= read -r l; do held+=("| $l"); done < <(tail -n 5 "$work/build.log" | cut -c1-300); break; fi
    mod="${refused%@*}"
    # the manifest components that need it: the module itself, or those above it in the module graph
    comps="$(cd "$work/dist" && go mod graph 2>/dev/null | awk -v target="$mod" '
      { sub(/@.*/, "", $1); sub(/@.*/, "", $2); parents[$2] = parents[$2] " " $1 }
      END { queue[1] = target; n = 1; seen[target] = 1
            for (i = 1; i <= n; i++) { print queue[i]; k = split(parents[queue[i]], p, " ")
              for (j = 1; j <= k; j++) if (!(p[j] in seen)) { seen[p[j]] = 1; queue[++n] = p[j] } } }' |
      grep -Fxf <(grep -oE 'gomod: [^ ]+' "$work/manifest.yaml" | cut -d' ' -f2) || true)"
    [ -n "$comps" ] || comps="$mod"
    for c in $comps; do
      held+=("${c##*/} (needs $refused)")
      grep -vF "gomod: $c " "$work/manifest.yaml" >"$work/m2" && mv "$work/m2" "$work/manifest.yaml"
    done
  done
  if [ ${#held[@]} -eq 0 ]; then
    echo "$cand: resolves (core $core, contrib $contrib, providers $providers)"
  else
    status=1
    echo "$cand: does not resolve (core $core, contrib $contrib, providers $providers); held back by:"
    printf '  %s\n' "${held[@]}"
  fi
  rm -rf "$work"
done
exit "$status"
