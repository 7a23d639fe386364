#!/usr/bin/env bash
# Install Prometheus from Debian's `prometheus` package if it is missing (the binary only: the Debian
# service is neither enabled nor started; our stack runs its own process with collector-config/prometheus.yml).
# Needs root (or sudo) and apt. Set PROMETHEUS_BIN to use a prometheus binary from elsewhere.
set -euo pipefail
log() { printf '[prometheus-install %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[prometheus-install] ERROR: %s\n' "$*" >&2; exit 1; }

if [ -n "${PROMETHEUS_BIN:-}" ]; then
  [ -x "$PROMETHEUS_BIN" ] || die "PROMETHEUS_BIN=$PROMETHEUS_BIN is not an executable"
  log "using PROMETHEUS_BIN=$PROMETHEUS_BIN ($("$PROMETHEUS_BIN" --version 2>&1 | head -1))"; exit 0
fi
if command -v prometheus >/dev/null 2>&1; then
  log "already installed: $(command -v prometheus) ($(prometheus --version 2>&1 | head -1))"; exit 0
fi
LOCK="${TMPDIR:-/tmp}/devtool-prometheus-install.lock"
exec 9>"$LOCK"
if command -v flock >/dev/null 2>&1; then flock 9; fi
command -v prometheus >/dev/null 2>&1 && { log "already installed: $(command -v prometheus)"; exit 0; }
command -v apt-get >/dev/null 2>&1 || die "prometheus is not installed and apt-get is not available: install Prometheus (https://prometheus.io/download/) and put it on PATH, or set PROMETHEUS_BIN."
SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || die "installing the Debian 'prometheus' package needs root: run 'sudo apt-get install prometheus' or set PROMETHEUS_BIN."
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
# policy-rc.d returning 101 tells invoke-rc.d not to start the package's service during installation
POLICY=/usr/sbin/policy-rc.d; CREATED_POLICY=0
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null && $SUDO chmod +x "$POLICY" && CREATED_POLICY=1
fi
cleanup() { [ "$CREATED_POLICY" = 1 ] && $SUDO rm -f "$POLICY" || true; }
trap cleanup EXIT
log "apt-get update"
$SUDO apt-get update -qq || die "apt-get update failed"
log "apt-get install prometheus (no recommends; the Debian service is not started)"
$SUDO apt-get install -y -qq --no-install-recommends prometheus >&2 || die "apt-get install prometheus failed"
# belt and braces: make sure the Debian service does not run (it would take port 9090)
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  $SUDO systemctl disable --now prometheus >/dev/null 2>&1 || true
fi
command -v prometheus >/dev/null 2>&1 || die "the package installed but 'prometheus' is not on PATH"
log "installed $(prometheus --version 2>&1 | head -1)"
