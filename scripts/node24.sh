#!/usr/bin/env bash
# Runs a command with Node >= 22 first on PATH and the project's dependencies installed.
# The machine's own Node may be older (20): then Node 24 comes from the npm package node@24,
# installed once into .tools/node24. Dependencies are installed from the lockfile when
# node_modules is missing or older than package-lock.json, so `npm start` and `npm test`
# work on a fresh clone with nothing else done first.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [ "$major" -lt 22 ]; then
  tools="$root/.tools/node24"
  if [ ! -x "$tools/node_modules/.bin/node" ]; then
    echo "node24: the machine's Node is $(node --version 2>/dev/null || echo absent); installing node@24 into .tools/" >&2
    mkdir -p "$tools"
    # A package.json of its own keeps npm from walking up into the project's.
    [ -f "$tools/package.json" ] || echo '{"private":true}' >"$tools/package.json"
    (cd "$tools" && npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error node@24 >&2)
  fi
  export PATH="$tools/node_modules/.bin:$PATH"
fi

if [ ! -f "$root/node_modules/.package-lock.json" ] || [ "$root/package-lock.json" -nt "$root/node_modules/.package-lock.json" ]; then
  echo "node24: installing dependencies from package-lock.json" >&2
  (cd "$root" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi

export PATH="$root/node_modules/.bin:$PATH"
exec "$@"
