#!/usr/bin/env bash
# Stop the services started by scripts/services/up.sh, in reverse order
# (Kafka, then PostgreSQL). Each script stops only what it started itself, so
# a PostgreSQL that was already running before up.sh keeps running.
# Both are always attempted; the exit code is non-zero if either failed.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
t0=$SECONDS
failed=()

for name in kafka postgres; do
  echo "[services] $name: down"
  if ! bash "$SCRIPT_DIR/$name.sh" down; then
    echo "[services] FAILED: could not stop $name (rerun: bash $SCRIPT_DIR/$name.sh down)" >&2
    failed+=("$name")
  fi
done

if ((${#failed[@]})); then
  echo "[services] down finished with failures: ${failed[*]}" >&2
  exit 1
fi
echo "[services] all services down in $((SECONDS - t0))s"
