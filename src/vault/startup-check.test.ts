import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeCanary, type StoredCanary } from './canary.js';
import { startupCheck, type StartupCheckResult } from './startup-check.js';
import { keySpellings, testKeyring, type TestKeys } from './test-support.js';

function noKeyMaterial(result: StartupCheckResult, keys: TestKeys): void {
  const text = result.ok ? result.warnings.join('\n') : result.message;
  for (const s of keySpellings(keys)) assert.ok(!text.includes(s), 'no key material in operator messages');
}

test('all keys present and proven: starts without warnings', () => {
  const keys: TestKeys = new Map();
  const ring = testKeyring([['k1', 'active']], keys);
  const r = startupCheck({ keyring: ring, canaries: [makeCanary(ring, 'k1')], secretsPerKeyId: new Map([['k1', 5]]), degraded: false });
  assert.deepEqual(r, { ok: true, warnings: [], canariesToWrite: [] });
});

test('the FreeScout sequence: data under k1, only k2 configured → refuses, names k1, the count and both ways out', () => {
  const keys: TestKeys = new Map();
  const before = testKeyring([['k1', 'active']], keys);
  const canaries: StoredCanary[] = [makeCanary(before, 'k1')];
  const secretsPerKeyId = new Map([['k1', 12]]);

  const onlyK2 = testKeyring([['k2', 'active']], keys);
  const refused = startupCheck({ keyring: onlyK2, canaries, secretsPerKeyId, degraded: false });
  assert.ok(!refused.ok);
  const m = refused.message;
  assert.match(m, /^Postern will not start: 12 secrets in the database are encrypted with vault keys it cannot use\./);
  assert.match(m, /key "k1" is not configured; 12 secrets need it/);
  assert.match(m, /Way out 1: add the key as decrypt-only\.\n {2}- k1: put the original key in a file and add \{ id = "k1", state = "decrypt-only", file = "\/etc\/postern\/keys\/k1\.key" \} to vault\.keys \(or set POSTERN_KEY_K1\)/);
  assert.match(m, /run `postern secrets reencrypt` to move these secrets to the active key "k2"/);
  assert.match(m, /Way out 2: reset those secrets .*\n {2}- postern secrets reset --key k1 {4}\(12 secrets\)/);
  assert.match(m, /run `postern serve --degraded` or set vault\.allow_degraded = true/);
  noKeyMaterial(refused, keys);

  const degraded = startupCheck({ keyring: onlyK2, canaries, secretsPerKeyId, degraded: true });
  assert.ok(degraded.ok);
  assert.match(degraded.warnings[0]!, /^DEGRADED MODE: 12 secrets cannot be decrypted; they are shown as unreadable and the logins that need them get a temporary failure/);
  assert.match(degraded.warnings[1]!, /^DEGRADED MODE: key "k1" is not configured; 12 secrets need it/);
  assert.deepEqual(degraded.canariesToWrite, ['k2'], 'the new key gets its canary');
  noKeyMaterial(degraded, keys);

  const withK1 = testKeyring([['k2', 'active'], ['k1', 'decrypt-only']], keys);
  const canariesNow = [...canaries, makeCanary(withK1, 'k2')];
  const recovered = startupCheck({ keyring: withK1, canaries: canariesNow, secretsPerKeyId, degraded: false });
  assert.deepEqual(recovered, {
    ok: true,
    canariesToWrite: [],
    warnings: ['12 secrets still use decrypt-only key "k1": run `postern secrets reencrypt` to move them to the active key "k2"'],
  });

  const reencrypted = startupCheck({ keyring: withK1, canaries: canariesNow, secretsPerKeyId: new Map([['k1', 0], ['k2', 12]]), degraded: false });
  assert.ok(reencrypted.ok);
  assert.deepEqual(reencrypted.warnings, ['decrypt-only key "k1" is no longer used by any stored secret: it can be retired (`postern keys retire k1`)']);

  const retired = testKeyring([['k2', 'active'], ['k1', 'retired']], keys);
  assert.deepEqual(startupCheck({ keyring: retired, canaries: canariesNow, secretsPerKeyId: new Map([['k2', 12]]), degraded: false }), {
    ok: true,
    warnings: [],
    canariesToWrite: [],
  });
});

test('a retired key still needed, and a replaced decrypt-only key, are refused with their own fixes', () => {
  const keys: TestKeys = new Map();
  const first = testKeyring([['k3', 'active'], ['k2', 'decrypt-only'], ['k1', 'decrypt-only']], keys);
  const canaries = ['k1', 'k2', 'k3'].map((id) => makeCanary(first, id));
  keys.delete('k2'); // k2's file was overwritten with a new key
  const ring = testKeyring([['k3', 'active'], ['k2', 'decrypt-only'], ['k1', 'retired']], keys);
  const secretsPerKeyId = new Map([['k1', 1], ['k2', 4], ['k3', 7]]);
  const r = startupCheck({ keyring: ring, canaries, secretsPerKeyId, degraded: false });
  assert.ok(!r.ok);
  assert.match(r.message, /^Postern will not start: 5 secrets/);
  assert.match(r.message, /key "k1" is retired, but 1 secret still needs it/);
  assert.match(r.message, /- k1: it is listed as retired in vault\.keys; change its state to "decrypt-only"/);
  assert.match(r.message, /key "k2" is configured, but it is not the key that wrote the 4 secrets naming it \(its canary does not verify: was the key file or POSTERN_KEY_K2 replaced\?\)/);
  assert.match(r.message, /- k2: put the original key back under this id \(decrypt-only\); if the key now configured as k2 is meant to be used, give it a new id/);
  assert.match(r.message, /postern secrets reset --key k1 {4}\(1 secret\)\n {2}- postern secrets reset --key k2 {4}\(4 secrets\)/);
  assert.ok(!/k3/.test(r.message.split('Way out 1')[0]!), 'the proven key is not blamed');
  noKeyMaterial(r, keys);

  const d = startupCheck({ keyring: ring, canaries, secretsPerKeyId, degraded: true });
  assert.ok(d.ok);
  assert.equal(d.warnings.filter((w) => w.startsWith('DEGRADED MODE: key')).length, 2);
  assert.deepEqual(d.canariesToWrite, [], 'a failing canary is evidence: never overwritten while secrets name its key');
});

test('an active key that is not the original refuses even in degraded mode', () => {
  const keys: TestKeys = new Map();
  const canaries = [makeCanary(testKeyring([['k1', 'active']], keys), 'k1')];
  keys.delete('k1');
  const impostor = testKeyring([['k1', 'active']], keys);
  for (const degraded of [false, true]) {
    const r = startupCheck({ keyring: impostor, canaries, secretsPerKeyId: new Map([['k1', 3]]), degraded });
    assert.ok(!r.ok);
    assert.match(r.message, /Degraded mode cannot help here: the active key "k1" is a different key from the one that wrote the 3 secrets naming it/);
    assert.ok(!r.message.includes('--degraded'));
    noKeyMaterial(r, keys);
  }
  // Nothing stored under it: nothing lost; the canary is re-made for the key in use.
  const empty = startupCheck({ keyring: impostor, canaries, secretsPerKeyId: new Map(), degraded: false });
  assert.ok(empty.ok);
  assert.deepEqual(empty.canariesToWrite, ['k1']);
  assert.match(empty.warnings[0]!, /no stored secret names it, so nothing is lost/);
});

test('keys without a canary yet start, with a warning when secrets name them, and get one', () => {
  const keys: TestKeys = new Map();
  const ring = testKeyring([['k2', 'active'], ['k1', 'decrypt-only']], keys);
  const r = startupCheck({ keyring: ring, canaries: [], secretsPerKeyId: new Map([['k2', 2], ['k1', 1]]), degraded: false });
  assert.ok(r.ok);
  assert.deepEqual(r.canariesToWrite, ['k2', 'k1']);
  assert.match(r.warnings.join('\n'), /key "k2" had no canary, so Postern cannot prove it is the key that wrote the 2 secrets naming it/);
  assert.match(r.warnings.join('\n'), /1 secret still uses decrypt-only key "k1"/);
  noKeyMaterial(r, keys);
});
