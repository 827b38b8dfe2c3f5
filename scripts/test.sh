#!/usr/bin/env bash
# The README's second command, the whole suite: installs what is missing (scripts/bootstrap.sh),
# starts the real services the integration tests need (idempotent), then lints, builds,
# typechecks and runs every package's tests, integration tests included.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh

bash scripts/services/up.sh
pnpm exec biome check .
# The workspace's package.json files agree with each other (versions, private flags, fields).
pnpm exec sherif
# One licence: every package's field is the root's, and a published package carries LICENSE.
node scripts/check-licence.mjs
# The alert rules load, and each fires on the synthetic series it is for (and only those).
promtool check rules apps/engine/ops/prometheus/engine-alerts.yml
promtool test rules apps/engine/ops/prometheus/engine-alerts.test.yml
# Arguments go to turbo: `pnpm test --filter @engine/trader-example` runs one package's tests.
pnpm exec turbo run build typecheck --output-logs=errors-only "$@"
# Every export of the published packages documented (typedoc.base.json: which kinds count).
pnpm exec turbo run docs:check --output-logs=errors-only "$@"
# One package's tests at a time: the integration suites share the broker, the database and two
# cores with the Kite emulator's and the traders' suites.
pnpm exec turbo run test --concurrency=1 --output-logs=new-only "$@"
