#!/usr/bin/env bash
# Installs Debian's Chromium for the web console's browser tests
# (adminhttp console tests drive it with chromedp). Needs root (or sudo).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  echo "chromium already installed: $(chromium --version 2>/dev/null || true)"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null
echo "installed: $(chromium --version)"
