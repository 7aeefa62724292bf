/** The start-up check against a (fake) store: refusal, degraded mode, warnings, canaries written. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { VaultCanary } from '../directory/types.js';
import { makeCanary } from '../vault/index.js';
import { keySpellings, testKeyring } from '../vault/test-support.js';
import { vaultStartup, type VaultStore } from './vault-check.js';

function fakeStore(counts: Record<string, number>, canaries: VaultCanary[] = []): VaultStore & { canaries: VaultCanary[] } {
  return {
    canaries,
    listCanaries: async () => [...canaries],
    saveCanary: async (keyId, ciphertext) => {
      const i = canaries.findIndex((c) => c.keyId === keyId);
      const row = { keyId, ciphertext, createdAt: new Date().toISOString() };
      if (i >= 0) canaries[i] = row;
      else canaries.push(row);
    },
    secretsPerKeyId: async () => new Map(Object.entries(counts)),
  };
}

describe('vaultStartup', () => {
  it('is off with no keys and no secrets', async () => {
    assert.deepEqual(await vaultStartup(null, fakeStore({}), { degraded: false }), { kind: 'off' });
  });

  it('refuses when secrets exist but no keys are configured, naming the ids and counts; degraded starts', async () => {
    const store = fakeStore({ k1: 3, k0: 1 });
    const r = await vaultStartup(null, store, { degraded: false });
    assert.equal(r.kind, 'refused');
    if (r.kind !== 'refused') return;
    assert.match(r.message, /4 secrets in the database are encrypted with vault keys, but no vault keys are configured/);
    assert.match(r.message, /key "k0" is not configured; 1 secret needs it/);
    assert.match(r.message, /key "k1" is not configured; 3 secrets need it/);
    assert.match(r.message, /Way out 1: add the key back/);
    assert.match(r.message, /Way out 2: reset those secrets/);
    assert.match(r.message, /postern serve --degraded/);
    const d = await vaultStartup(null, store, { degraded: true });
    assert.equal(d.kind, 'ok');
    if (d.kind !== 'ok') return;
    assert.match(d.degraded[0] ?? '', /DEGRADED MODE: 4 secrets cannot be decrypted/);
    assert.deepEqual(d.warnings, []);
  });

  it('writes canaries after an ok check and proves them at the next start', async () => {
    const keys = new Map();
    const ring = testKeyring([['k1', 'active']], keys);
    const store = fakeStore({ k1: 2 });
    const first = await vaultStartup(ring, store, { degraded: false });
    assert.equal(first.kind, 'ok');
    if (first.kind !== 'ok') return;
    assert.deepEqual(first.canariesWritten, ['k1']);
    assert.match(first.warnings[0] ?? '', /had no canary/);
    assert.equal(store.canaries.length, 1);
    const second = await vaultStartup(ring, store, { degraded: false });
    assert.deepEqual(second, { kind: 'ok', degraded: [], warnings: [], canariesWritten: [] });
  });

  it('refuses a missing key, degraded mode starts with its lines apart from the ordinary warnings', async () => {
    const keys = new Map();
    const ring = testKeyring([['k2', 'active'], ['k0', 'decrypt-only']], keys);
    const store = fakeStore({ k1: 1 }, [{ ...makeCanary(ring, 'k2'), createdAt: '' }, { ...makeCanary(ring, 'k0'), createdAt: '' }]);
    const r = await vaultStartup(ring, store, { degraded: false });
    assert.equal(r.kind, 'refused');
    if (r.kind === 'refused') {
      assert.match(r.message, /key "k1" is not configured; 1 secret needs it/);
      for (const k of keySpellings(keys)) assert.ok(!r.message.includes(k));
    }
    const d = await vaultStartup(ring, store, { degraded: true });
    assert.equal(d.kind, 'ok');
    if (d.kind !== 'ok') return;
    assert.ok(d.degraded.length >= 2 && d.degraded.every((w) => /^(DEGRADED MODE|to recover)/.test(w)), d.degraded.join('\n'));
    assert.deepEqual(d.warnings.map((w) => /decrypt-only key "k0" is no longer used/.test(w)), [true]);
  });

  it('refuses an impostor active key even in degraded mode', async () => {
    const original = testKeyring([['k1', 'active']]);
    const canary = makeCanary(original, 'k1');
    const store = fakeStore({ k1: 1 }, [{ ...canary, createdAt: '' }]);
    const impostor = testKeyring([['k1', 'active']]);
    const r = await vaultStartup(impostor, store, { degraded: true });
    assert.equal(r.kind, 'refused');
    assert.deepEqual(store.canaries.map((c) => c.ciphertext), [canary.ciphertext], 'the failing canary is kept');
  });
});
