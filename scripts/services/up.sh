#!/usr/bin/env bash
# Start every real service the integration tests need (PostgreSQL, then Kafka), and install
# Prometheus's binaries the alert-rule tests run (no daemon: the tests start their own) and
# Debian's Chromium for the console's browser test.
# Idempotent: services already up are left as they are, so dev and CI can
# call this before every test run. Stop them again with scripts/services/down.sh.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
t0=$SECONDS

step() {
  local name="$1"
  echo "[services] $name: up"
  if ! bash "$SCRIPT_DIR/$name.sh" up; then
    echo "[services] FAILED: $name did not start (see the messages above; rerun: bash $SCRIPT_DIR/$name.sh up)" >&2
    exit 1
  fi
}

echo "[services] starting services (state: ${ENGINE_SERVICES_HOME:-$HOME/.cache/engine-services})"
step postgres
step kafka
step prometheus
step chromium
echo "[services] all services up in $((SECONDS - t0))s: postgres 127.0.0.1:5432, kafka 127.0.0.1:9092, promtool on PATH, chromium /usr/bin/chromium"
