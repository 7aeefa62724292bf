// verifyPassword against hashes Dovecot's own `doveadm pw` makes at test time, for every
// supported scheme, encoding suffix, rounds option and crypt spelling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pbkdf2Sync } from 'node:crypto';
import { hash as bcryptHash } from '@node-rs/bcrypt';
import { doveVerifies, dovePw, PASSWORDS, requireDoveadm } from './doveadm-fixture.js';
import { schemeOf, verifyPassword } from './index.js';

const b = (s: string): Buffer => Buffer.from(s, 'utf8');

/** The right password verifies; a longer, a shorter and an empty one do not. */
async function assertVerifies(stored: string, pw: string): Promise<void> {
  const label = `${stored} / ${JSON.stringify(pw)}`;
  assert.equal(await verifyPassword(stored, b(pw)), true, `right password: ${label}`);
  assert.equal(await verifyPassword(stored, b(pw + 'x')), false, `longer password: ${label}`);
  assert.equal(await verifyPassword(stored, b(pw.slice(0, -1))), false, `shorter password: ${label}`);
  assert.equal(await verifyPassword(stored, Buffer.alloc(0)), false, `empty password: ${label}`);
}

test('doveadm is installed (these tests need Dovecot as the reference)', () => {
  requireDoveadm();
});

const SCHEMES: Array<[scheme: string, named: string]> = [
  ['ARGON2ID', 'ARGON2ID'],
  ['ARGON2I', 'ARGON2I'],
  ['BLF-CRYPT', 'BLF-CRYPT'],
  ['SHA512-CRYPT', 'SHA512-CRYPT'],
  ['SHA256-CRYPT', 'SHA256-CRYPT'],
  ['MD5-CRYPT', 'MD5-CRYPT'],
  ['PBKDF2', 'PBKDF2'],
  ['SSHA512', 'SSHA512'],
  ['SSHA256', 'SSHA256'],
  ['SSHA', 'SSHA'],
  ['SHA512', 'SHA512'],
  ['SHA256', 'SHA256'],
  ['SHA', 'SHA'],
  ['SHA1', 'SHA1'],
  ['PLAIN', 'PLAIN'],
  ['CLEAR', 'CLEAR'],
  ['CLEARTEXT', 'CLEARTEXT'],
  // Dovecot's CRYPT makes bcrypt ($2y$) hashes; schemeOf names what is inside.
  ['CRYPT', 'BLF-CRYPT'],
];

for (const [scheme, named] of SCHEMES) {
  test(`${scheme}: doveadm's hashes verify, wrong and empty passwords do not`, async () => {
    for (const pw of PASSWORDS) {
      const stored = dovePw(scheme, pw);
      assert.equal(schemeOf(stored), named);
      await assertVerifies(stored, pw);
    }
  });
}

test('encoding suffixes (.hex, .b64, .base64, any case) on digests, cleartext and crypt strings', async () => {
  const forms = [
    'SHA256.HEX', 'SHA.HEX', 'SHA1.b64', 'SHA512.BASE64', 'SSHA.HEX', 'SSHA256.hex', 'SSHA512.b64',
    'PLAIN.B64', 'PLAIN.HEX', 'CLEAR.base64', 'SHA512-CRYPT.HEX', 'SHA256-CRYPT.B64', 'BLF-CRYPT.HEX',
    'MD5-CRYPT.B64', 'PBKDF2.HEX', 'ARGON2ID.B64',
  ];
  for (const form of forms) {
    for (const pw of PASSWORDS) {
      const stored = dovePw(form, pw);
      assert.equal(schemeOf(stored), form.split('.')[0]?.toUpperCase());
      await assertVerifies(stored, pw);
    }
  }
});

test('unsalted digests are also read as hex without a suffix when the length says so (as Dovecot guesses)', async () => {
  for (const [scheme, size] of [['SHA', 20], ['SHA1', 20], ['SHA256', 32], ['SHA512', 64]] as const) {
    const hex = dovePw(`${scheme}.HEX`, 'hunter2').replace(/^\{[^}]*\}/, '');
    assert.equal(hex.length, size * 2);
    const stored = `{${scheme.toLowerCase()}}${hex.toUpperCase()}`;
    assert.ok(doveVerifies(stored, 'hunter2'), 'Dovecot reads it the same way');
    await assertVerifies(stored, 'hunter2');
  }
});

test('rounds: SHA-crypt rounds=N (minimum, custom, default spelled out), bcrypt cost, PBKDF2 rounds', async () => {
  const cases: Array<[string, number, RegExp]> = [
    ['SHA512-CRYPT', 10000, /^\{SHA512-CRYPT\}\$6\$rounds=10000\$/],
    ['SHA256-CRYPT', 1000, /^\{SHA256-CRYPT\}\$5\$rounds=1000\$/],
    ['SHA256-CRYPT', 12345, /^\{SHA256-CRYPT\}\$5\$rounds=12345\$/],
    ['BLF-CRYPT', 4, /^\{BLF-CRYPT\}\$2y\$04\$/],
    ['BLF-CRYPT', 7, /^\{BLF-CRYPT\}\$2y\$07\$/],
    ['PBKDF2', 1234, /^\{PBKDF2\}\$1\$[^$]+\$1234\$/],
  ];
  for (const [scheme, rounds, shape] of cases) {
    for (const pw of PASSWORDS) {
      const stored = dovePw(scheme, pw, rounds);
      assert.match(stored, shape);
      await assertVerifies(stored, pw);
    }
  }
});

test('SHA-crypt with the default rounds=5000 spelled out is the same hash, in Dovecot and here', async () => {
  for (const pw of PASSWORDS) {
    const stored = dovePw('SHA512-CRYPT', pw).replace('$6$', '$6$rounds=5000$');
    assert.ok(doveVerifies(stored, pw), `Dovecot accepts ${stored}`);
    await assertVerifies(stored, pw);
  }
});

test('bare crypt strings and {CRYPT} prefixes are classified by $id$ and verify, as in Dovecot', async () => {
  for (const [scheme, named] of [
    ['SHA512-CRYPT', 'SHA512-CRYPT'],
    ['SHA256-CRYPT', 'SHA256-CRYPT'],
    ['MD5-CRYPT', 'MD5-CRYPT'],
    ['BLF-CRYPT', 'BLF-CRYPT'],
    ['ARGON2ID', 'ARGON2ID'],
  ] as const) {
    for (const pw of PASSWORDS) {
      const bare = dovePw(scheme, pw).replace(/^\{[^}]*\}/, '');
      for (const stored of [bare, `{CRYPT}${bare}`, `{crypt}${bare}`]) {
        assert.equal(schemeOf(stored), named);
        await assertVerifies(stored, pw);
      }
      if (scheme !== 'ARGON2ID') assert.ok(doveVerifies(`{CRYPT}${bare}`, pw), `Dovecot accepts {CRYPT}${bare}`);
    }
  }
});

test('bcrypt $2a$ and $2b$ (made by @node-rs/bcrypt) verify here and in Dovecot, like $2y$', async () => {
  for (const version of ['2a', '2b', '2y'] as const) {
    for (const pw of PASSWORDS) {
      // @node-rs/bcrypt 1.x always writes $2b$; the three prefixes name the same algorithm
      // for these inputs, so the other two are made by relabelling.
      const bare = (await bcryptHash(b(pw), 4)).replace(/^\$2b\$/, `$${version}$`);
      assert.ok(doveVerifies(`{BLF-CRYPT}${bare}`, pw), `Dovecot accepts ${bare}`);
      await assertVerifies(bare, pw);
      await assertVerifies(`{BLF-CRYPT}${bare}`, pw);
    }
  }
});

test('PBKDF2: Dovecot hashes the password bytes with the salt *as text*, HMAC-SHA1, 20-byte key', () => {
  for (const pw of PASSWORDS) {
    const stored = dovePw('PBKDF2', pw, 2000);
    const m = /^\{PBKDF2\}\$1\$([^$]+)\$(\d+)\$([0-9a-f]{40})$/.exec(stored);
    assert.ok(m, stored);
    const [, salt = '', rounds = '', hex = ''] = m;
    assert.equal(salt.length, 16, 'Dovecot makes 16-character salts from ./0-9A-Za-z');
    assert.equal(pbkdf2Sync(b(pw), Buffer.from(salt, 'ascii'), Number(rounds), 20, 'sha1').toString('hex'), hex);
  }
});

test('labels Dovecot does not hold to: {SHA512-CRYPT}$5$... and {ARGON2I}$argon2id$... verify in both', async () => {
  const sha256 = dovePw('SHA256-CRYPT', 'hunter2').replace(/^\{[^}]*\}/, '');
  const argon2id = dovePw('ARGON2ID', 'hunter2').replace(/^\{[^}]*\}/, '');
  for (const stored of [`{SHA512-CRYPT}${sha256}`, `{ARGON2I}${argon2id}`]) {
    assert.ok(doveVerifies(stored, 'hunter2'), `Dovecot accepts ${stored}`);
    await assertVerifies(stored, 'hunter2');
  }
});

test('scheme names are case-insensitive', async () => {
  for (const scheme of ['SSHA512', 'SHA512-CRYPT', 'PLAIN', 'ARGON2ID']) {
    const stored = dovePw(scheme, 'hunter2').replace(/^\{([^}]*)\}/, (_, s: string) => `{${s.toLowerCase()}}`);
    assert.equal(schemeOf(stored), scheme);
    await assertVerifies(stored, 'hunter2');
  }
});
