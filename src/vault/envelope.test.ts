import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decrypt, describeUndecryptable, encrypt, keyIdOf, needsReencrypt, reencrypt, MAX_PLAINTEXT_BYTES, type Binding } from './envelope.js';
import { PURPOSES } from './purposes.js';
import { VaultError } from './errors.js';
import { testKeyring, type TestKeys } from './test-support.js';

const binding: Binding = { table: 'mailboxes', recordId: '42', field: 'reversible_password' };
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

test('round trip: any bytes (empty and binary included), any binding, every purpose', () => {
  const ring = testKeyring([['k1', 'active']]);
  const text = fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' });
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2000 }), fc.constantFrom(...PURPOSES), text, text, text, (bytes, purpose, table, recordId, field) => {
      const b = { table, recordId, field };
      const plaintext = Buffer.from(bytes);
      const ct = encrypt(ring, purpose, plaintext, b);
      const r = decrypt(ring, purpose, ct, b);
      assert.ok(r.ok);
      assert.ok(r.plaintext.equals(plaintext));
    }),
    { numRuns: 300 },
  );
  for (const p of [Buffer.alloc(0), Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.alloc(MAX_PLAINTEXT_BYTES, 0xff)]) {
    const r = decrypt(ring, 'credentials', encrypt(ring, 'credentials', p, binding), binding);
    assert.ok(r.ok && r.plaintext.equals(p), `${p.length} bytes`);
  }
});

test('the ciphertext is pv1.<keyId>.<80-char wrapped DEK>.<sealed>, fresh each time', () => {
  const ring = testKeyring([['2026-11', 'active']]);
  const secret = Buffer.from('s3cret');
  const ct = encrypt(ring, 'credentials', secret, binding);
  assert.match(ct, /^pv1\.2026-11\.[A-Za-z0-9_-]{80}\.[A-Za-z0-9_-]+$/);
  assert.equal(Buffer.from(ct.split('.')[3]!, 'base64url').length, 12 + secret.length + 16);
  assert.notEqual(encrypt(ring, 'credentials', secret, binding), ct, 'new DEK and nonces every time');
  assert.ok(!ct.includes(secret.toString('base64url')) && !ct.includes('s3cret'));
});

test('a ciphertext moved to another table, record, field or purpose fails to decrypt', () => {
  const ring = testKeyring([['k1', 'active']]);
  const ct = encrypt(ring, 'credentials', Buffer.from('alice-password'), binding);
  const moved: Array<[string, Binding, (typeof PURPOSES)[number]]> = [
    ['recordId', { ...binding, recordId: '43' }, 'credentials'],
    ['field', { ...binding, field: 'master_password' }, 'credentials'],
    ['table', { ...binding, table: 'backends' }, 'credentials'],
    ['purpose', binding, 'totp'],
    ['ambiguous split', { table: 'mailboxes', recordId: '4', field: '2reversible_password' }, 'credentials'],
  ];
  for (const [what, b, purpose] of moved) {
    assert.deepEqual(decrypt(ring, purpose, ct, b), { ok: false, keyId: 'k1', reason: 'tampered-or-wrong-binding' }, what);
  }
});

test('changing any character or any byte of a ciphertext makes it fail', () => {
  const ring = testKeyring([['k1', 'active'], ['k2', 'decrypt-only']]);
  const ct = encrypt(ring, 'credentials', Buffer.from('pw'), binding);
  for (let i = 0; i < ct.length; i++) {
    const c = ct[i]!;
    const others = c === '.' ? ['_', 'A'] : c === 'p' || c === 'v' ? ['q', 'x'] : [BASE64URL[(BASE64URL.indexOf(c) + 1) % 64]!, BASE64URL[BASE64URL.indexOf(c) ^ 1]!];
    for (const o of others) {
      const r = decrypt(ring, 'credentials', ct.slice(0, i) + o + ct.slice(i + 1), binding);
      assert.equal(r.ok, false, `character ${i} ${c}→${o}`);
    }
  }
  const [v, id, wrapped, sealed] = ct.split('.') as [string, string, string, string];
  for (const [name, part] of [['wrapped', wrapped], ['sealed', sealed]] as const) {
    const bytes = Buffer.from(part, 'base64url');
    for (let i = 0; i < bytes.length; i++) {
      for (const mask of [0x01, 0x80]) {
        const flipped = Buffer.from(bytes);
        flipped[i]! ^= mask;
        const text = name === 'wrapped' ? [v, id, flipped.toString('base64url'), sealed] : [v, id, wrapped, flipped.toString('base64url')];
        assert.deepEqual(decrypt(ring, 'credentials', text.join('.'), binding), { ok: false, keyId: 'k1', reason: 'tampered-or-wrong-binding' }, `${name} byte ${i}`);
      }
    }
  }
  // Relabelled to another configured key, or truncated, or extended.
  assert.equal(decrypt(ring, 'credentials', ct.replace('pv1.k1.', 'pv1.k2.'), binding).ok, false);
  assert.equal(decrypt(ring, 'credentials', ct.slice(0, -4), binding).ok, false);
  assert.equal(decrypt(ring, 'credentials', `${ct}AAAA`, binding).ok, false);
});

test('decrypt-only keys decrypt, retired and missing keys are reported with their id', () => {
  const keys: TestKeys = new Map();
  const old = testKeyring([['k1', 'active']], keys);
  const ct = encrypt(old, 'credentials', Buffer.from('pw'), binding);

  const rotated = testKeyring([['k2', 'active'], ['k1', 'decrypt-only']], keys);
  const r = decrypt(rotated, 'credentials', ct, binding);
  assert.ok(r.ok && r.plaintext.toString() === 'pw');

  const retired = testKeyring([['k2', 'active'], ['k1', 'retired']], keys);
  assert.deepEqual(decrypt(retired, 'credentials', ct, binding), { ok: false, keyId: 'k1', reason: 'retired-key' });

  const without = testKeyring([['k2', 'active']], keys);
  const missing = decrypt(without, 'credentials', ct, binding);
  assert.deepEqual(missing, { ok: false, keyId: 'k1', reason: 'missing-key' });
  assert.ok(!missing.ok && describeUndecryptable(missing) === 'unreadable: key k1 is not configured (add it as decrypt-only, or reset this secret)');

  const replaced = testKeyring([['k1', 'active']]); // same id, different bytes: FreeScout's new APP_KEY
  assert.deepEqual(decrypt(replaced, 'credentials', ct, binding), { ok: false, keyId: 'k1', reason: 'tampered-or-wrong-binding' });
});

test('rotation: new ciphertexts always carry the active key id; old ones still decrypt and need re-encryption', () => {
  const keys: TestKeys = new Map();
  const before = testKeyring([['k1', 'active']], keys);
  const old = encrypt(before, 'credentials', Buffer.from('pw'), binding);
  assert.equal(keyIdOf(old), 'k1');
  assert.equal(needsReencrypt(before, old), false);

  // The decrypt-only key is listed first on purpose: order must not pick the writing key (Flask CVE-2025-47278).
  const after = testKeyring([['k1', 'decrypt-only'], ['k2', 'active']], keys);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => keyIdOf(encrypt(after, 'credentials', Buffer.from(bytes), binding)) === 'k2'),
    { numRuns: 50 },
  );
  assert.ok(decrypt(after, 'credentials', old, binding).ok);
  assert.equal(needsReencrypt(after, old), true);

  const moved = reencrypt(after, 'credentials', old, binding);
  assert.ok(moved.ok && moved.changed);
  assert.equal(keyIdOf(moved.ciphertext), 'k2');
  assert.equal(needsReencrypt(after, moved.ciphertext), false);
  const again = reencrypt(after, 'credentials', moved.ciphertext, binding);
  assert.ok(again.ok && !again.changed && again.ciphertext === moved.ciphertext);
  const back = decrypt(after, 'credentials', moved.ciphertext, binding);
  assert.ok(back.ok && back.plaintext.toString() === 'pw');

  const lost = reencrypt(testKeyring([['k3', 'active']]), 'credentials', old, binding);
  assert.deepEqual(lost, { ok: false, keyId: 'k1', reason: 'missing-key' });
});

test('bad input never throws and never decrypts: malformed, unsupported version', () => {
  const ring = testKeyring([['k1', 'active']]);
  const good = encrypt(ring, 'credentials', Buffer.from('pw'), binding);
  const cases: Array<[unknown, string, string | null]> = [
    ['', 'malformed', null],
    ['hunter2', 'malformed', null],
    ['eyJpdiI6IjEyMyJ9', 'malformed', null], // a Laravel payload
    ['pv1', 'malformed', null],
    ['pv1.K1.a.b', 'malformed', null],
    ['pv1.k1', 'malformed', 'k1'],
    ['pv1.k1.abc.def', 'malformed', 'k1'],
    [`${good}.extra`, 'malformed', 'k1'],
    [good.replace(/\.[^.]+$/, '.AAAA'), 'malformed', 'k1'], // sealed part shorter than nonce + tag
    ['pv1.k1.' + 'A'.repeat(200000), 'malformed', null],
    [good.replace('pv1.', 'pv2.'), 'unsupported-version', null],
    [null, 'malformed', null],
    [42, 'malformed', null],
  ];
  for (const [input, reason, keyId] of cases) {
    assert.deepEqual(decrypt(ring, 'credentials', input as string, binding), { ok: false, keyId, reason }, String(input).slice(0, 40));
  }
  assert.deepEqual(decrypt(ring, 'credentials', good, { ...binding, recordId: '' }), { ok: false, keyId: 'k1', reason: 'tampered-or-wrong-binding' });
  assert.deepEqual(decrypt(ring, 'credentials', good, null as unknown as Binding), { ok: false, keyId: 'k1', reason: 'tampered-or-wrong-binding' });
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (s) => {
      const r = decrypt(ring, 'credentials', s, binding);
      return !r.ok && describeUndecryptable(r).startsWith('unreadable: ');
    }),
  );
  assert.equal(keyIdOf(good), 'k1');
  assert.equal(keyIdOf('pv2.k1.x.y'), null);
  assert.equal(keyIdOf('hunter2'), null);
  assert.equal(needsReencrypt(ring, 'hunter2'), true, 'unreadable text is never counted as done');
});

test('encrypt throws VaultError instead of writing anything doubtful', () => {
  const ring = testKeyring([['k1', 'active']]);
  const code = (c: string) => (err: unknown) => err instanceof VaultError && err.code === c;
  assert.throws(() => encrypt(ring, 'credentials', Buffer.from('x'), { ...binding, recordId: '' }), code('invalid-binding'));
  assert.throws(() => encrypt(ring, 'credentials', Buffer.from('x'), { ...binding, table: undefined as unknown as string }), code('invalid-binding'));
  assert.throws(() => encrypt(ring, 'sesions' as 'sessions', Buffer.from('x'), binding), code('invalid-purpose'));
  assert.throws(() => encrypt(ring, 'credentials', 'text' as unknown as Buffer, binding), code('invalid-plaintext'));
  assert.throws(() => encrypt(ring, 'credentials', Buffer.alloc(MAX_PLAINTEXT_BYTES + 1), binding), code('invalid-plaintext'));
  const noActive = { ...ring, active: { id: 'k1', state: 'decrypt-only' as const, source: 'given' as const } };
  assert.throws(() => encrypt(noActive, 'credentials', Buffer.from('x'), binding), /no active key; nothing was written/);
});
