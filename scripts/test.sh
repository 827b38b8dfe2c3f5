#!/usr/bin/env bash
# The whole suite: starts the real services the integration tests need (idempotent), then
# lints, builds, typechecks and runs every package's tests, integration tests included.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/services/up.sh
pnpm exec biome check .
pnpm exec turbo run build typecheck test --output-logs=new-only
