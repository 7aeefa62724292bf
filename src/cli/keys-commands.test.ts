/** `postern keys status` through commander against a real SQLite directory and test keyrings. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { reversibleSecretBinding } from '../directory/types.js';
import type { DirectoryWithBans } from '../store/index.js';
import { tempFolder } from '../store/test-support.js';
import { encrypt, loadKeyring, makeCanary, type Keyring } from '../vault/index.js';
import { keySpellings, testKeyring, type TestKeys } from '../vault/test-support.js';
import { directoryAt, runCli, type CliResult } from './test-support.js';
import { registerKeysCommands } from './keys-commands.js';

describe('keys status', () => {
  let tmp: ReturnType<typeof tempFolder>;
  let file: string;
  let keys: TestKeys;
  let keyring: Keyring | null;
  const withDirectory = directoryAt(() => file);

  function cli(...args: string[]): Promise<CliResult> {
    return runCli((program, out) => registerKeysCommands(program, { withDirectory, out, keyring: () => keyring }), args);
  }
  async function ok(...args: string[]): Promise<string> {
    const r = await cli(...args);
    assert.equal(r.code, 0, `postern ${args.join(' ')} failed: ${r.err}`);
    for (const k of keySpellings(keys)) assert.ok(!r.out.includes(k), 'no key material is printed');
    return r.out;
  }
  async function secret(dir: DirectoryWithBans, address: string, ring: Keyring): Promise<void> {
    const m = (await dir.getMailbox(address)) ?? (await dir.addMailbox({ address, passwordHash: null }));
    await dir.setReversibleSecret(address, encrypt(ring, 'credentials', Buffer.from('pw'), reversibleSecretBinding(m.id)));
  }

  beforeEach(async () => {
    tmp = tempFolder();
    file = path.join(tmp.folder, 'directory.db');
    keys = new Map();
    await withDirectory((d) => d.addDomain('example.com'));
  });
  afterEach(() => tmp.remove());

  it('says when the vault is off and nothing needs a key', async () => {
    keyring = null;
    assert.equal(await ok('keys', 'status'), 'the vault is off: no keys in vault.keys\nno stored secret needs a key\n');
    assert.deepEqual(JSON.parse(await ok('keys', 'status', '--json')), { vault: 'off', active: null, keys: [], missing: [] });
  });

  it('shows states, secrets per key, canaries and which keys can be retired', async () => {
    const k1 = testKeyring([['k1', 'active']], keys);
    await withDirectory(async (d) => {
      await secret(d, 'a@example.com', k1);
      await secret(d, 'b@example.com', k1);
    });
    // Rotated: k2 active, k1 decrypt-only (proven), old gone (retired), k0 decrypt-only (unused, no canary).
    keyring = testKeyring([['k2', 'active'], ['k1', 'decrypt-only'], ['k0', 'decrypt-only'], ['old', 'retired']], keys);
    const ring = keyring;
    await withDirectory(async (d) => {
      await secret(d, 'c@example.com', ring);
      for (const id of ['k1', 'k2']) await d.saveCanary(id, makeCanary(ring, id).ciphertext);
    });
    const lines = (await ok('keys', 'status')).trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^KEY\s+STATE\s+SECRETS\s+CANARY\s+VERDICT$/);
    assert.match(lines[1] ?? '', /^k2\s+active\s+1\s+proven\s+active: new secrets use it$/);
    assert.match(lines[2] ?? '', /^k1\s+decrypt-only\s+2\s+proven\s+not yet retirable: 2 secrets still use it/);
    assert.match(lines[3] ?? '', /^k0\s+decrypt-only\s+0\s+no-canary\s+can be retired$/);
    assert.match(lines[4] ?? '', /^old\s+retired\s+0\s+retired\s+retired: nothing uses it$/);
    assert.equal(lines.length, 5);
    const json = JSON.parse(await ok('keys', 'status', '--json')) as { active: string; keys: Array<Record<string, unknown>>; missing: unknown[] };
    assert.equal(json.active, 'k2');
    assert.deepEqual(
      json.keys.map((k) => [k.id, k.state, k.secrets, k.canary, k.retirable]),
      [
        ['k2', 'active', 1, 'proven', false],
        ['k1', 'decrypt-only', 2, 'proven', false],
        ['k0', 'decrypt-only', 0, 'no-canary', true],
        ['old', 'retired', 0, 'retired', true],
      ],
    );
    assert.deepEqual(json.missing, []);
  });

  it('names key ids the data needs but the configuration lacks, and a replaced key', async () => {
    const k1 = testKeyring([['k1', 'active']], keys);
    await withDirectory(async (d) => {
      await secret(d, 'a@example.com', k1);
      await d.saveCanary('k1', makeCanary(k1, 'k1').ciphertext);
    });
    keyring = testKeyring([['k2', 'active']], keys);
    let lines = (await ok('keys', 'status')).trimEnd().split('\n');
    assert.match(lines[1] ?? '', /^k2\s+active\s+0\s+no-canary\s+active/);
    assert.match(lines[2] ?? '', /^k1\s+missing\s+1\s+missing\s+NOT CONFIGURED: 1 secret needs it$/);
    assert.equal(lines[3], '');
    assert.match(lines[4] ?? '', /^key "k1" is not configured, but 1 secret needs it: add it to vault\.keys as \{ id = "k1", state = "decrypt-only", .*postern secrets reset --key k1/);
    assert.deepEqual(JSON.parse(await ok('keys', 'status', '--json')).missing, [{ id: 'k1', secrets: 1 }]);

    // Vault off while data needs k1.
    keyring = null;
    lines = (await ok('keys', 'status')).trimEnd().split('\n');
    assert.equal(lines[0], 'the vault is off: no keys in vault.keys');
    assert.match(lines[2] ?? '', /^k1\s+missing\s+1\s+missing\s+NOT CONFIGURED/);
    assert.match(lines.at(-1) ?? '', /state = "active"/);

    // A different key under the id k1 (the FreeScout replacement).
    keyring = testKeyring([['k2', 'active'], ['k1', 'decrypt-only']], new Map());
    lines = (await ok('keys', 'status')).trimEnd().split('\n');
    assert.match(lines[2] ?? '', /^k1\s+decrypt-only\s+1\s+wrong-key\s+WRONG KEY: .*1 secret cannot be decrypted$/);
  });
});

describe('keys rotate', () => {
  it('writes a new 0600 key beside the active one and prints vault.keys with it active and the old key decrypt-only', async () => {
    const tmp = tempFolder();
    try {
      const configFile = path.join(tmp.folder, 'postern.toml');
      const k1 = path.join(tmp.folder, 'postern-data', 'keys', 'k1.key');
      mkdirSync(path.dirname(k1), { recursive: true });
      writeFileSync(k1, randomBytes(32).toString('base64') + '\n');
      const vaultKeys = () => ({ configFile, keys: [{ id: 'k1', state: 'active', file: k1 }] });
      const withDirectory = directoryAt(() => path.join(tmp.folder, 'd.db'));
      const r = await runCli((program, out) => registerKeysCommands(program, { withDirectory, out, keyring: () => null, vaultKeys }), ['keys', 'rotate']);
      assert.equal(r.code, 0, r.err);
      const id = /created vault key "([^"]+)"/.exec(r.out)?.[1];
      assert.ok(id, r.out);
      const created = path.join(tmp.folder, 'postern-data', 'keys', `${id}.key`);
      assert.equal(statSync(created).mode & 0o777, 0o600);
      assert.ok(!r.out.includes(readFileSync(created, 'utf8').trim()), 'the key itself is not printed');
      const printed = parseToml(r.out.slice(r.out.indexOf('[vault]'), r.out.indexOf(']\n', r.out.indexOf('keys = [')) + 2)) as { vault: { keys: Array<{ id: string; state: string; file: string }> } };
      assert.deepEqual(printed.vault.keys.map((k) => [k.id, k.state]), [[id, 'active'], ['k1', 'decrypt-only']]);
      // The printed change is a keyring Postern loads.
      const specs = printed.vault.keys.map((k) => ({ id: k.id, state: k.state as 'active' | 'decrypt-only', file: path.resolve(tmp.folder, k.file) }));
      const loaded = loadKeyring(specs, {}, (f) => readFileSync(f));
      assert.ok(loaded.ok && loaded.keyring.active.id === id);
      assert.match(r.out, /run "postern secrets reencrypt", and "postern keys retire k1"/);
      const off = await runCli((program, out) => registerKeysCommands(program, { withDirectory, out, keyring: () => null, vaultKeys: () => ({ configFile, keys: [] }) }), ['keys', 'rotate']);
      assert.equal(off.code, 1);
      assert.match(off.err, /the vault is off/);
    } finally {
      tmp.remove();
    }
  });
});
