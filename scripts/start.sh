#!/usr/bin/env bash
# The README's first command: installs what is missing (scripts/bootstrap.sh), builds the engine
# and the packages it uses (turbo: a no-op when nothing changed), and starts it: on its embedded
# default, or on Kafka and PostgreSQL when KAFKA_BROKERS and DATABASE_URL are set.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh

pnpm exec turbo run build --filter=@engine/engine... --output-logs=errors-only
exec node apps/engine/dist/main.js start
