#!/usr/bin/env bash
# Installs Debian's prometheus package (prometheus and promtool) when promtool is missing: the
# alert rule tests run `promtool test rules`, the dashboard test runs a real Prometheus. Needs root
# (or sudo); without either it says so and the tests that need them skip.
set -euo pipefail
if command -v promtool >/dev/null && command -v prometheus >/dev/null; then exit 0; fi
if ! command -v apt-get >/dev/null; then
  echo "promtool not found and no apt-get: install Prometheus (promtool) yourself; its tests skip" >&2
  exit 0
fi
sudo=()
if [[ $(id -u) != 0 ]]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo=(sudo -n); else
    echo "promtool not found and not root: run 'apt-get install prometheus' as root; its tests skip" >&2
    exit 0
  fi
fi
echo "installing Debian's prometheus package (prometheus, promtool)" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq >&2
# --no-install-recommends: the node exporter and the web console libraries are not needed.
"${sudo[@]}" apt-get install -y -qq --no-install-recommends prometheus >&2
# The package's service would start a Prometheus on :9090 where systemd runs; the tests start their own.
if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
  "${sudo[@]}" systemctl disable --now prometheus >/dev/null 2>&1 || true
fi
