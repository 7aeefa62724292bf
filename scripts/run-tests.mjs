#!/usr/bin/env node
// Runs the compiled test files with Node's built-in runner.
//   node scripts/run-tests.mjs            every test (unit, then end-to-end)
//   node scripts/run-tests.mjs unit       unit tests only (no servers needed)
//   node scripts/run-tests.mjs e2e        end-to-end tests (real nginx, Dovecot, clients)
// Extra arguments after the suite name filter by path substring.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const [suite = 'all', ...filters] = process.argv.slice(2);

function find(dir) {
  let out = [];
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const name of entries) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(find(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out.sort();
}

const dist = join(root, 'dist');
const unit = find(join(dist, 'src'));
const e2e = find(join(dist, 'test'));
const chosen = { unit, e2e, all: [...unit, ...e2e] }[suite];
if (!chosen) {
  console.error(`unknown suite "${suite}": use unit, e2e or nothing for all`);
  process.exit(2);
}
const files = chosen.filter((f) => filters.every((s) => relative(root, f).includes(s)));
if (files.length === 0) {
  console.error('no compiled test files found: run `npm run build` first');
  process.exit(1);
}
const concurrency = process.env.POSTERN_TEST_CONCURRENCY ?? '2';
const res = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, ...files], { stdio: 'inherit', cwd: root });
process.exit(res.status ?? 1);
