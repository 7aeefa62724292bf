import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hkdfSync } from 'node:crypto';
import { PURPOSES, isPurpose, purposeKeyrings, subkey } from './purposes.js';
import { decrypt, encrypt } from './envelope.js';
import { keyMaterial } from './keyring.js';
import { VaultError } from './errors.js';
import { testKeyring } from './test-support.js';

const binding = { table: 'mailboxes', recordId: '42', field: 'reversible_password' };

test('each purpose gets its own HKDF-SHA256 subkey of the KEK, never the KEK itself', () => {
  const ring = testKeyring([['k1', 'active']]);
  const kek = ring.active;
  const keys = [...PURPOSES, 'canary' as const].map((p) => subkey(kek, p));
  assert.equal(new Set(keys.map((k) => k.toString('hex'))).size, 4);
  assert.ok(keys.every((k) => k.length === 32 && !k.equals(keyMaterial(kek))));
  const expected = Buffer.from(hkdfSync('sha256', keyMaterial(kek), 'postern-vault/v1', 'postern-vault/v1 subkey credentials', 32));
  assert.ok(subkey(kek, 'credentials').equals(expected), 'the derivation documented in the header');
  assert.ok(isPurpose('totp') && !isPurpose('canary') && !isPurpose('CREDENTIALS'));
});

test('a sessions ciphertext does not decrypt as credentials or totp, even under one shared keyring', () => {
  const ring = testKeyring([['k1', 'active']]);
  const ct = encrypt(ring, 'sessions', Buffer.from('session state'), binding);
  assert.ok(decrypt(ring, 'sessions', ct, binding).ok);
  for (const other of ['credentials', 'totp'] as const) {
    assert.deepEqual(decrypt(ring, other, ct, binding), { ok: false, keyId: 'k1', reason: 'tampered-or-wrong-binding' });
  }
});

test('rotating and retiring the sessions keyring never touches stored credentials', () => {
  const shared = testKeyring([['k1', 'active']]);
  let rings = purposeKeyrings(shared, { sessions: testKeyring([['s1', 'active']]) });
  assert.equal(rings.credentials, shared);
  assert.equal(rings.totp, shared);
  const password = encrypt(rings.credentials, 'credentials', Buffer.from('hunter2'), binding);
  const session = encrypt(rings.sessions, 'sessions', Buffer.from('cookie'), binding);

  // Session key leaked: new session key, old one retired at once (everyone logs in again).
  rings = purposeKeyrings(shared, { sessions: testKeyring([['s2', 'active'], ['s1', 'retired']]) });
  assert.equal(decrypt(rings.sessions, 'sessions', session, binding).ok, false);
  const r = decrypt(rings.credentials, 'credentials', password, binding);
  assert.ok(r.ok && r.plaintext.toString() === 'hunter2');
});

test('two keyrings may not share a key id', () => {
  const shared = testKeyring([['k1', 'active']]);
  assert.throws(
    () => purposeKeyrings(shared, { totp: testKeyring([['k1', 'active']]) }),
    (err: unknown) => err instanceof VaultError && err.code === 'keyring-conflict' && /key id "k1" is in both the credentials and the totp keyring/.test(err.message),
  );
  assert.doesNotThrow(() => purposeKeyrings(shared, { totp: shared }), 'the same keyring twice is fine');
});
