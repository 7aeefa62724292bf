import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkCanaries, makeCanary } from './canary.js';
import { decrypt, keyIdOf } from './envelope.js';
import { VaultError } from './errors.js';
import { testKeyring, type TestKeys } from './test-support.js';

test('a canary proves the key that made it', () => {
  const keys: TestKeys = new Map();
  const ring = testKeyring([['k2', 'active'], ['k1', 'decrypt-only']], keys);
  const stored = [makeCanary(ring, 'k1'), makeCanary(ring, 'k2')];
  assert.equal(keyIdOf(stored[0]!.ciphertext), 'k1', 'made under the key asked for, not the active one');
  assert.deepEqual(checkCanaries(ring, stored), [
    { keyId: 'k2', status: 'proven', state: 'active' },
    { keyId: 'k1', status: 'proven', state: 'decrypt-only' },
  ]);
});

test('a replaced key with the same id is detected (FreeScout: someone replaced APP_KEY)', () => {
  const keys: TestKeys = new Map();
  const original = testKeyring([['k1', 'active']], keys);
  const stored = [makeCanary(original, 'k1')];
  const replaced = testKeyring([['k1', 'active']]); // new random bytes under the old id
  assert.deepEqual(checkCanaries(replaced, stored), [{ keyId: 'k1', status: 'wrong-key', state: 'active' }]);
});

test('missing, no-canary and retired keys; damaged or misplaced canaries do not prove anything', () => {
  const keys: TestKeys = new Map();
  const full = testKeyring([['k3', 'active'], ['k2', 'decrypt-only'], ['k1', 'decrypt-only']], keys);
  const c1 = makeCanary(full, 'k1');
  const c2 = makeCanary(full, 'k2');
  const ring = testKeyring([['k3', 'active'], ['k2', 'retired'], ['k4', 'decrypt-only']], keys);
  const stored = [c1, c2, { keyId: 'k4', ciphertext: c1.ciphertext }, { keyId: 'k3', ciphertext: 'garbage' }];
  assert.deepEqual(checkCanaries(ring, stored), [
    { keyId: 'k3', status: 'wrong-key', state: 'active' },
    { keyId: 'k2', status: 'retired', state: 'retired' },
    { keyId: 'k4', status: 'wrong-key', state: 'decrypt-only' },
    { keyId: 'k1', status: 'missing', state: null },
  ]);
  assert.deepEqual(checkCanaries(ring, []).map((r) => r.status), ['no-canary', 'retired', 'no-canary']);
});

test('canaries cannot be made for unknown or retired keys, and are not secrets of any purpose', () => {
  const ring = testKeyring([['k2', 'active'], ['k1', 'retired']]);
  assert.throws(() => makeCanary(ring, 'k9'), (e: unknown) => e instanceof VaultError && e.code === 'unknown-key');
  assert.throws(() => makeCanary(ring, 'k1'), (e: unknown) => e instanceof VaultError && e.code === 'retired-key');
  const c = makeCanary(ring, 'k2');
  const asSecret = decrypt(ring, 'credentials', c.ciphertext, { table: 'vault_canaries', recordId: 'k2', field: 'canary' });
  assert.equal(asSecret.ok, false, 'the canary subkey is its own');
});
