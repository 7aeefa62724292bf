/**
 * The vault's start-up check with the real `postern` command (issue 4, the FreeScout sequence up
 * to "k1 added back"): a reversible credential written under key k1 with `postern mailbox secret
 * set`, then the configuration changed to only a new active key k2. `postern serve` refuses
 * (exit code 2, naming k1, the count and both ways out) without listening; `serve --degraded`
 * starts; `keys status` shows k1 missing with 1 secret; with k1 back as decrypt-only beside k2,
 * `serve` starts normally and `keys status` shows k1 not yet retirable.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initConfig } from '../../src/config/init.js';
import { loadConfig } from '../../src/config/load.js';
import { openDirectory } from '../../src/store/index.js';
import { generateKey } from '../../src/vault/index.js';
import { canConnect, freePort, makeTempDir, removeTempDir, runProcess } from '../harness/index.js';
import { posternBin, spawnPostern, waitForLog, type PosternProcess } from '../harness/postern.js';

let folder: string;
let configFile: string;
let port: number;
let env: NodeJS.ProcessEnv;
let running: PosternProcess | undefined;
const keyTexts: string[] = [];

function postern(args: string[], input?: string) {
  return runProcess(process.execPath, [posternBin, ...args, '-c', configFile], { env, ...(input !== undefined ? { input } : {}) });
}

function setKeys(lines: string[]): void {
  const text = readFileSync(configFile, 'utf8').replace(/^keys = \[[\s\S]*?\n\]/m, `keys = [\n${lines.map((l) => `  ${l},`).join('\n')}\n]`);
  writeFileSync(configFile, text);
}

function assertNoKeyMaterial(text: string): void {
  for (const k of keyTexts) assert.ok(!text.includes(k.trim()), 'no key material is printed');
}

async function healthz(): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`);
  assert.equal(res.status, 200);
  return res.text();
}

before(async () => {
  folder = makeTempDir('postern-vault-startup');
  port = await freePort();
  configFile = join(folder, 'postern.toml');
  initConfig(configFile, { port });
  env = { ...process.env, POSTERN_LOG_LEVEL: 'info' };
  const cfg = loadConfig(configFile, env);
  assert.equal(cfg.listen.host, '127.0.0.1');
  keyTexts.push(readFileSync(join(folder, 'postern-data', 'keys', 'k1.key'), 'utf8'));
  const dir = await openDirectory({ kind: 'sqlite', path: cfg.database.path });
  try {
    await dir.addDomain('example.com');
    await dir.addMailbox({ address: 'alice@example.com', passwordHash: null });
  } finally {
    await dir.close();
  }
  const set = await postern(['mailbox', 'secret', 'set', 'alice@example.com', '--stdin'], 'apop secret\n');
  assert.equal(set.code, 0, set.stderr);
  assert.match(set.stdout, /encrypted with vault key k1/);

  // The operator "rotated" by replacing the key list: only a new k2 (generated as init does).
  const k2 = generateKey({ existingIds: ['k1'] }).text;
  keyTexts.push(k2);
  writeFileSync(join(folder, 'postern-data', 'keys', 'k2.key'), k2 + '\n', { mode: 0o600 });
  setKeys(['{ id = "k2", state = "active", file = "postern-data/keys/k2.key" }']);
});

after(async () => {
  await running?.stop();
  if (folder) removeTempDir(folder);
});

describe('the vault start-up check', () => {
  test('serve refuses with only k2 configured: exit code 2, names k1, 1 secret and both ways out, never listens', async () => {
    const r = await postern(['serve']);
    assert.equal(r.code, 2, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
    assert.match(r.stderr, /Postern will not start: 1 secret in the database/);
    assert.match(r.stderr, /key "k1" is not configured; 1 secret needs it/);
    assert.match(r.stderr, /Way out 1: add the key as decrypt-only/);
    assert.match(r.stderr, /state = "decrypt-only"/);
    assert.match(r.stderr, /Way out 2: reset those secrets/);
    assert.match(r.stderr, /postern secrets reset --key k1/);
    assert.match(r.stderr, /postern serve --degraded/);
    assertNoKeyMaterial(r.stdout + r.stderr);
    assert.equal(await canConnect(port), false, 'nothing listens');
  });

  test('serve --degraded starts, logs why, and keys status shows k1 missing with 1 secret', async () => {
    running = await spawnPostern(['serve', '--degraded', '-c', configFile], { env, port });
    assert.equal(await healthz(), 'ok\n');
    const line = await waitForLog(running.logs, (l) => l.event === 'vault-degraded' && /key "k1" is not configured/.test(String(l.msg)), { diagnostics: running.output });
    assert.equal(line.level, 'warn');
    await waitForLog(running.logs, (l) => l.event === 'listening', { diagnostics: running.output });

    const status = await postern(['keys', 'status']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^KEY\s+STATE\s+SECRETS\s+CANARY\s+VERDICT$/m);
    assert.match(status.stdout, /^k2\s+active\s+0\s+proven\s+active/m, 'the canary for k2 was written at the degraded start');
    assert.match(status.stdout, /^k1\s+missing\s+1\s+missing\s+NOT CONFIGURED: 1 secret needs it$/m);
    assert.match(status.stdout, /^key "k1" is not configured, but 1 secret needs it/m);
    assertNoKeyMaterial(status.stdout + status.stderr);
    const json = JSON.parse((await postern(['keys', 'status', '--json'])).stdout) as { missing: unknown };
    assert.deepEqual(json.missing, [{ id: 'k1', secrets: 1 }]);

    assert.equal(await running.stop(), 0);
    running = undefined;
  });

  test('with k1 back as decrypt-only beside k2: serve starts normally; keys status shows k1 not yet retirable', async () => {
    setKeys(['{ id = "k2", state = "active", file = "postern-data/keys/k2.key" }', '{ id = "k1", state = "decrypt-only", file = "postern-data/keys/k1.key" }']);
    running = await spawnPostern(['serve', '-c', configFile], { env, port });
    assert.equal(await healthz(), 'ok\n');
    const warning = await waitForLog(running.logs, (l) => l.event === 'vault-warning' && /decrypt-only key "k1"/.test(String(l.msg)), { diagnostics: running.output });
    assert.match(String(warning.msg), /1 secret still uses decrypt-only key "k1": run `postern secrets reencrypt`/);
    await waitForLog(running.logs, (l) => l.event === 'listening', { diagnostics: running.output });
    assert.ok(!running.logs.some((l) => l.event === 'vault-degraded'), 'not degraded');

    const status = await postern(['keys', 'status']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^k2\s+active\s+0\s+proven\s+active/m);
    assert.match(status.stdout, /^k1\s+decrypt-only\s+1\s+proven\s+not yet retirable: 1 secret still uses it/m);
    assert.ok(!/not configured/.test(status.stdout));
    assertNoKeyMaterial(running.output() + status.stdout + status.stderr);

    assert.equal(await running.stop(), 0);
    running = undefined;
  });
});
