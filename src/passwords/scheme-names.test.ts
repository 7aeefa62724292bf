// schemeOf, isCleartext, isSupportedScheme and the errors for broken or unsupported hashes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkStoredHash, isCleartext, isSupportedScheme, PasswordHashError, schemeOf, verifyPassword } from './index.js';

const SHA512_CRYPT = '$6$fwlKMXAwe/Q0WG5v$/2OCz8HibPIbuEeEm9gGgIBm2HA2iL.Nyej8JT6QZ9woevspH2F0PD8KavLD.MdUrsVNEO5kRanELzp3jxDs71';

test('schemeOf: prefixes, case, encoding suffixes, and bare or {CRYPT} values by $id$', () => {
  const cases: Array<[string, string]> = [
    [`{SHA512-CRYPT}${SHA512_CRYPT}`, 'SHA512-CRYPT'],
    ['{ssha512}abc', 'SSHA512'],
    ['{SHA256.HEX}00', 'SHA256'],
    ['{plain.b64}cGFzcw==', 'PLAIN'],
    ['{CLEARTEXT}x', 'CLEARTEXT'],
    ['{SHA256.FOO}x', 'SHA256'],
    ['{NOPE}x', 'NOPE'],
    [SHA512_CRYPT, 'SHA512-CRYPT'],
    [`{CRYPT}${SHA512_CRYPT}`, 'SHA512-CRYPT'],
    [`{CRYPT.HEX}${Buffer.from(SHA512_CRYPT).toString('hex')}`, 'SHA512-CRYPT'],
    ['$5$salt$x', 'SHA256-CRYPT'],
    ['$1$salt$x', 'MD5-CRYPT'],
    ['$2y$05$x', 'BLF-CRYPT'],
    ['$2a$05$x', 'BLF-CRYPT'],
    ['$2b$05$x', 'BLF-CRYPT'],
    ['$argon2id$v=19$x', 'ARGON2ID'],
    ['$argon2i$v=19$x', 'ARGON2I'],
    ['$y$j9T$abc$def', 'YESCRYPT'],
    ['$7$abc', 'SCRYPT'],
    ['abJnggxhB/yWI', 'DES-CRYPT'],
    ['{CRYPT}abJnggxhB/yWI', 'DES-CRYPT'],
    ['garbage', 'CRYPT'],
    ['', 'CRYPT'],
    ['{unterminated', 'CRYPT'],
  ];
  for (const [stored, scheme] of cases) assert.equal(schemeOf(stored), scheme, stored);
});

test('isCleartext: PLAIN, CLEAR and CLEARTEXT in any case or encoding, nothing else', () => {
  for (const s of ['{PLAIN}pw', '{clear}pw', '{CLEARTEXT}pw', '{PLAIN.B64}cHc=']) assert.equal(isCleartext(s), true, s);
  for (const s of ['{PLAIN-MD5}x', '{SHA256}x', 'pw', SHA512_CRYPT, '{PLAIN-TRUNC}pw']) assert.equal(isCleartext(s), false, s);
});

const BROKEN: Array<[stored: string, code: string, scheme: string]> = [
  ['{SHA512-CRYPT}garbage', 'malformed-hash', 'SHA512-CRYPT'],
  ['{SHA512-CRYPT}$6$salt$tooshort', 'malformed-hash', 'SHA512-CRYPT'],
  ['{SHA256-CRYPT}$5$rounds=999$salt$' + 'a'.repeat(43), 'malformed-hash', 'SHA256-CRYPT'],
  ['{NOPE}x', 'unsupported-scheme', 'NOPE'],
  ['{MD5}$1$abc$def', 'unsupported-scheme', 'MD5'],
  ['{PLAIN-MD5}5f4dcc3b5aa765d61d8327deb882cf99', 'unsupported-scheme', 'PLAIN-MD5'],
  ['{CRAM-MD5}abc', 'unsupported-scheme', 'CRAM-MD5'],
  ['{SHA256.FOO}x', 'unsupported-scheme', 'SHA256'],
  ['$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7', 'unsupported-scheme', 'YESCRYPT'],
  ['{CRYPT}$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7', 'unsupported-scheme', 'YESCRYPT'],
  ['{SHA512-CRYPT}$y$j9T$abc$def', 'unsupported-scheme', 'YESCRYPT'],
  ['abJnggxhB/yWI', 'unsupported-scheme', 'DES-CRYPT'],
  ['$2x$05$abcdefghijklmnopqrstuuhKF09ZYWwH2zP/0fwE1X8e/Q1YNx/hO', 'unsupported-scheme', 'BLF-CRYPT'],
  ['not a hash at all', 'unsupported-scheme', 'CRYPT'],
  ['', 'unsupported-scheme', 'CRYPT'],
  ['{PLAIN}', 'malformed-hash', 'PLAIN'],
  ['{PLAIN.B64}!!!', 'malformed-hash', 'PLAIN'],
  ['{SHA256}not*base64', 'malformed-hash', 'SHA256'],
  ['{SHA256}c2hvcnQ=', 'malformed-hash', 'SHA256'],
  ['{SSHA256}' + Buffer.alloc(32).toString('base64'), 'malformed-hash', 'SSHA256'],
  ['{SHA}' + 'zz'.repeat(20), 'malformed-hash', 'SHA'],
  ['{BLF-CRYPT}$2y$03$abcdefghijklmnopqrstuuhKF09ZYWwH2zP/0fwE1X8e/Q1YNx/hO', 'malformed-hash', 'BLF-CRYPT'],
  ['{ARGON2ID}$argon2id$v=19$m=abc,t=2,p=1$c2FsdHNhbHQ$aGFzaA', 'malformed-hash', 'ARGON2ID'],
  ['{ARGON2ID}$6$salt$x', 'malformed-hash', 'ARGON2ID'],
  ['{PBKDF2}$1$salt$0$' + 'a'.repeat(40), 'malformed-hash', 'PBKDF2'],
  ['{PBKDF2}$1$salt$5000$' + 'a'.repeat(39), 'malformed-hash', 'PBKDF2'],
  ['{MD5-CRYPT}$1$toolongsalt$' + 'a'.repeat(22), 'malformed-hash', 'MD5-CRYPT'],
];

test('malformed and unsupported hashes throw PasswordHashError with scheme and code, never the hash or password', async () => {
  const password = 'S3cret-pässwörd';
  for (const [stored, code, scheme] of BROKEN) {
    await assert.rejects(verifyPassword(stored, Buffer.from(password)), (err: unknown) => {
      assert.ok(err instanceof PasswordHashError, stored);
      assert.equal(err.code, code, stored);
      assert.equal(err.scheme, scheme, stored);
      assert.ok(err.message.startsWith(`${code}: ${scheme} (`), err.message);
      assert.ok(!err.message.includes(password), err.message);
      if (stored !== '') assert.ok(!err.message.includes(stored), err.message);
      const body = stored.replace(/^\{[^}]*\}/, '');
      if (body.length > 3) assert.ok(!err.message.includes(body), `${err.message} shows the value`);
      return true;
    });
    assert.equal(isSupportedScheme(stored), false, stored);
    assert.equal(checkStoredHash(stored)?.code, code, stored);
  }
});

test('unsupported schemes say why: weak ones name Dovecot 2.4', () => {
  assert.equal(checkStoredHash('{MD5}$1$abc$def')?.message, 'unsupported-scheme: MD5 (weak, disabled in Dovecot 2.4)');
  assert.match(checkStoredHash('$y$j9T$abc$def')?.message ?? '', /^unsupported-scheme: YESCRYPT \(.*crypt\(\)/);
  assert.match(checkStoredHash('{NOPE}x')?.message ?? '', /^unsupported-scheme: NOPE \(unknown scheme\)$/);
});

test('supported values are recognised without verifying anything', () => {
  for (const s of [`{SHA512-CRYPT}${SHA512_CRYPT}`, SHA512_CRYPT, '{PLAIN}x', '{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=']) {
    assert.equal(isSupportedScheme(s), true, s);
    assert.equal(checkStoredHash(s), null, s);
  }
});

test('passwords are raw bytes: non-UTF-8 works, a NUL byte never matches', async () => {
  const latin1 = Buffer.from([0x70, 0xe4, 0x73, 0x73]); // "päss" in Latin-1
  assert.equal(await verifyPassword(`{PLAIN.HEX}${latin1.toString('hex')}`, latin1), true);
  assert.equal(await verifyPassword(`{PLAIN.HEX}${latin1.toString('hex')}`, Buffer.from('päss')), false);
  assert.equal(await verifyPassword('{PLAIN}pass', Buffer.from('pass\0')), false);
  assert.equal(await verifyPassword('{PLAIN}pass', Buffer.from('pass\0more')), false);
  assert.equal(await verifyPassword('{PLAIN}pass', Buffer.from('pass')), true);
});
