import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { createKeyring, generateKey, keyEnvName, keyMaterial, loadKeyring, parseKeyText, type KeySpec } from './keyring.js';
import { KeyringError } from './errors.js';

const k1 = randomBytes(32);
const k2 = randomBytes(32);

function files(map: Record<string, string | NodeJS.ErrnoException>): (path: string) => string {
  return (path) => {
    const v = map[path];
    if (v === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    if (typeof v !== 'string') throw v;
    return v;
  };
}

test('loads keys from files (base64 or base64url, one line) and from POSTERN_KEY_<ID>', () => {
  const specs: KeySpec[] = [
    { id: 'k1', state: 'decrypt-only', file: '/keys/k1' },
    { id: '2026-11', state: 'active' },
    { id: 'k0', state: 'retired', file: '/gone' },
  ];
  const r = loadKeyring(specs, { POSTERN_KEY_2026_11: k2.toString('base64url') }, files({ '/keys/k1': `${k1.toString('base64')}\n` }));
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  const ring = r.keyring;
  assert.equal(ring.active.id, '2026-11');
  assert.deepEqual(ring.keys.map((k) => [k.id, k.state, k.source]), [
    ['k1', 'decrypt-only', 'file'],
    ['2026-11', 'active', 'env'],
    ['k0', 'retired', 'none'],
  ]);
  assert.ok(keyMaterial(ring.get('k1')!).equals(k1));
  assert.ok(keyMaterial(ring.get('2026-11')!).equals(k2));
  assert.throws(() => keyMaterial(ring.get('k0')!), /no material/, 'a retired key is never read');
  assert.equal(ring.get('nope'), undefined);
});

test('a key prints and serialises as id, state and source only', () => {
  const r = createKeyring([{ id: 'k1', state: 'active', material: k1 }]);
  assert.ok(r.ok);
  const shown = [JSON.stringify(r.keyring), inspect(r.keyring, { depth: 9, showHidden: true }), String(r.keyring.active)];
  for (const text of shown) {
    for (const spelling of [k1.toString('hex'), k1.toString('base64'), k1.toString('base64url')]) assert.ok(!text.includes(spelling));
  }
  assert.match(JSON.stringify(r.keyring.active), /"id":"k1","state":"active"/);
});

test('reports every keyring problem at once, each with what to do and no key bytes', () => {
  const short = randomBytes(31).toString('base64');
  const pasted = randomBytes(32).toString('base64'); // a key pasted into the id field
  const specs: KeySpec[] = [
    { id: 'gone', state: 'decrypt-only', file: '/keys/gone' },
    { id: 'locked', state: 'decrypt-only', file: '/keys/locked' },
    { id: 'short', state: 'decrypt-only', file: '/keys/short' },
    { id: 'junk', state: 'decrypt-only', file: '/keys/junk' },
    { id: 'hex', state: 'decrypt-only', file: '/keys/hex' },
    { id: 'both', state: 'decrypt-only', file: '/keys/both' },
    { id: 'none', state: 'decrypt-only' },
    { id: 'zero', state: 'decrypt-only', file: '/keys/zero' },
    { id: 'a1', state: 'active', file: '/keys/a1' },
    { id: 'a2', state: 'active', file: '/keys/a1' },
    { id: 'a1', state: 'retired' },
    { id: pasted, state: 'decrypt-only', file: '/keys/a1' },
  ];
  const r = loadKeyring(
    specs,
    { POSTERN_KEY_BOTH: k2.toString('base64') },
    files({
      '/keys/locked': Object.assign(new Error('EACCES'), { code: 'EACCES' }),
      '/keys/short': short,
      '/keys/junk': 'not a key at all!\n',
      '/keys/hex': k1.toString('hex'),
      '/keys/both': k2.toString('base64'),
      '/keys/zero': Buffer.alloc(32).toString('base64'),
      '/keys/a1': k1.toString('base64'),
    }),
  );
  assert.ok(!r.ok);
  assert.ok(r.error instanceof KeyringError);
  const byCode = (code: string) => r.error.problems.filter((p) => p.code === code);
  assert.deepEqual(byCode('missing-file').map((p) => p.keyId), ['gone']);
  assert.match(byCode('missing-file')[0]!.message, /\/keys\/gone does not exist: restore it from your key backup/);
  assert.deepEqual(byCode('unreadable-file').map((p) => p.keyId), ['locked']);
  assert.match(byCode('unreadable-file')[0]!.message, /EACCES/);
  assert.match(byCode('wrong-length')[0]!.message, /key "short" \(file \/keys\/short\): it decodes to 31 bytes, not 32/);
  assert.match(byCode('not-base64').find((p) => p.keyId === 'junk')!.message, /more than one line or word/);
  assert.match(byCode('not-base64').find((p) => p.keyId === 'hex')!.message, /looks like 64 hex digits.*xxd -r -p/);
  assert.match(byCode('two-sources')[0]!.message, /both by file \/keys\/both and by POSTERN_KEY_BOTH: keep one/);
  assert.match(byCode('no-material')[0]!.message, /key "none" \(decrypt-only\) has no key: set file = .* or set POSTERN_KEY_NONE/);
  assert.match(byCode('weak-key')[0]!.message, /key "zero" is all zero bytes/);
  assert.match(byCode('same-material')[0]!.message, /keys "a1" and "a2" hold the same key/);
  assert.match(byCode('duplicate-id')[0]!.message, /key id "a1" is listed 2 times/);
  assert.match(byCode('several-active')[0]!.message, /"a1", "a2" are all active: exactly one may be/);
  assert.deepEqual(byCode('invalid-id').map((p) => p.message), [
    'key #12 has an invalid id: use 1-32 lower-case letters, digits and "-", starting with a letter or digit (e.g. k1, 2026-11)',
  ]);
  const text = r.error.message;
  assert.match(text, /^keyring-invalid: the vault keyring has 12 problems:\n {2}- /);
  for (const secret of [k1, k2].flatMap((k) => [k.toString('hex'), k.toString('base64'), k.toString('base64url')]).concat(short, pasted)) {
    assert.ok(!text.includes(secret), 'no key text in the message');
  }
});

test('no keys, or no active key, is refused with a way to make one', () => {
  const none = loadKeyring([], {}, files({}));
  assert.ok(!none.ok);
  assert.match(none.error.message, /no vault keys are configured: create one with `openssl rand -base64 32/);
  const noActive = createKeyring([{ id: 'k1', state: 'decrypt-only', material: k1 }]);
  assert.ok(!noActive.ok);
  assert.deepEqual(noActive.error.problems.map((p) => p.code), ['no-active']);
  assert.match(noActive.error.message, /mark exactly one key state = "active"/);
});

test('parseKeyText accepts padded or unpadded base64 and base64url, and only 32 bytes', () => {
  for (const text of [k1.toString('base64'), k1.toString('base64').replace(/=+$/, ''), k1.toString('base64url'), ` ${k1.toString('base64url')}\r\n`]) {
    const r = parseKeyText(text);
    assert.ok(r.ok && r.key.equals(k1), text);
  }
  assert.equal(parseKeyText('').ok, false);
  assert.equal(parseKeyText(randomBytes(33).toString('base64')).ok, false);
  assert.equal(parseKeyText(`${k1.toString('base64')}\n${k2.toString('base64')}`).ok, false, 'one line only');
  const sloppy = k1.toString('base64url'); // 43 characters: the last one carries 2 spare bits
  const last = sloppy.at(-1)!;
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const variant = sloppy.slice(0, -1) + alphabet[(alphabet.indexOf(last) ^ 1)]!;
  assert.equal(parseKeyText(variant).ok, false, 'non-canonical ending refused: one key, one spelling');
});

test('generateKey suggests an unused date id and 32 random bytes as base64', () => {
  const now = new Date('2026-11-05T10:00:00Z');
  const a = generateKey({ now });
  assert.equal(a.id, '2026-11-05');
  const b = generateKey({ now, existingIds: ['2026-11-05', '2026-11-05-2'] });
  assert.equal(b.id, '2026-11-05-3');
  const parsed = parseKeyText(a.text);
  assert.ok(parsed.ok && parsed.key.length === 32);
  assert.notEqual(a.text, b.text);
  const r = createKeyring([{ id: b.id, state: 'active', material: Buffer.from(b.text, 'base64') }]);
  assert.ok(r.ok, 'the suggested id is a valid id');
});

test('key environment variable names', () => {
  assert.equal(keyEnvName('k1'), 'POSTERN_KEY_K1');
  assert.equal(keyEnvName('2026-11'), 'POSTERN_KEY_2026_11');
});
