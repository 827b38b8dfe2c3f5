# Sourced first by scripts/start.sh and scripts/test.sh (what `npm start` and `npm test` run, or
# their pnpm equivalents): makes a fresh clone runnable on a machine with only Node (20 or later)
# and npm.
# - pnpm: the version package.json's `packageManager` pins, the one on PATH when it is that
#   version, else installed once from the npm registry into .tools/ (git-ignored; no root needed).
# - Dependencies: `pnpm install --frozen-lockfile` when node_modules is missing or older than the
#   lockfile. The project's pinned Node LTS is one of them (scripts/node/pinned-node.sh).
# - Then the pinned Node goes first on PATH for the rest of the calling script.

bootstrap_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bootstrap_pnpm=$(node -p "require('$bootstrap_root/package.json').packageManager.split('@')[1]")
if [ "$(pnpm --version 2>/dev/null || true)" != "$bootstrap_pnpm" ]; then
  bootstrap_tools="$bootstrap_root/.tools/pnpm-$bootstrap_pnpm"
  if ! "$bootstrap_tools/node_modules/.bin/pnpm" --version >/dev/null 2>&1; then
    echo "[bootstrap] installing pnpm $bootstrap_pnpm into .tools/"
    npm install --prefix "$bootstrap_tools" --no-save --no-fund --no-audit --loglevel=error \
      "pnpm@$bootstrap_pnpm"
  fi
  export PATH="$bootstrap_tools/node_modules/.bin:$PATH"
fi
if [ ! -f "$bootstrap_root/node_modules/.modules.yaml" ] ||
  [ "$bootstrap_root/pnpm-lock.yaml" -nt "$bootstrap_root/node_modules/.modules.yaml" ]; then
  echo "[bootstrap] installing dependencies"
  (cd "$bootstrap_root" && pnpm install --frozen-lockfile)
fi
source "$bootstrap_root/scripts/node/pinned-node.sh"
