#!/usr/bin/env bash
# Debian's Chromium at /usr/bin/chromium, for the console's browser test (playwright-core drives
# it; Playwright's own browser download cannot run on these machines).
#
#   scripts/services/chromium.sh up       install Debian's package when it is missing
#   scripts/services/chromium.sh status   print whether it runs (exit 0 = yes, 3 = no)
#
# Idempotent and quiet when Chromium is there; works as root without a terminal (CI). The
# package index is refreshed only when apt has none for chromium yet.
set -Eeuo pipefail

runs() { command -v chromium >/dev/null 2>&1 && chromium --version >/dev/null 2>&1; }

case "${1:-up}" in
  status)
    if runs; then chromium --version 2>/dev/null; exit 0; fi
    echo "chromium: not installed"; exit 3
    ;;
  up)
    if runs; then echo "[chromium] $(chromium --version 2>/dev/null)"; exit 0; fi
    export DEBIAN_FRONTEND=noninteractive
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo -n"; fi
    if ! apt-cache show chromium >/dev/null 2>&1; then $sudo apt-get update -q; fi
    # A package index that is there but stale names files the mirror no longer has: refresh once.
    if ! $sudo apt-get install -y -q --no-install-recommends chromium; then
      $sudo apt-get update -q
      $sudo apt-get install -y -q --no-install-recommends chromium
    fi
    runs || { echo "[chromium] installed but 'chromium --version' fails" >&2; exit 1; }
    echo "[chromium] $(chromium --version 2>/dev/null)"
    ;;
  *)
    echo "usage: $0 up|status" >&2; exit 2
    ;;
esac
