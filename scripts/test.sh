#!/usr/bin/env bash
# The whole suite: starts the real services the integration tests need (idempotent), then
# lints, builds, typechecks and runs every package's tests, integration tests included.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node/pinned-node.sh

bash scripts/services/up.sh
pnpm exec biome check .
# Arguments go to turbo: `pnpm test --filter @engine/trader-example` runs one package's tests.
pnpm exec turbo run build typecheck --output-logs=errors-only "$@"
# One package's tests at a time: the integration suites share the broker, the database and two
# cores with the Kite emulator's and the traders' suites.
pnpm exec turbo run test --concurrency=1 --output-logs=new-only "$@"
