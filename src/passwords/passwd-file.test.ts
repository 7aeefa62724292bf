// parsePasswdFile: one test per rule, then a realistic file of doveadm-made hashes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dovePw } from './doveadm-fixture.js';
import { parsePasswdFile, verifyPassword } from './index.js';

const SSHA = '{SSHA}CsvNC3FxPSsd0t52zmkgPyxykJkw2Zsy';

test('comments, blank and whitespace-only lines are ignored; CRLF is fine; line numbers are 1-based', () => {
  const r = parsePasswdFile(`# users\r\n\r\n   \n\t# indented comment\nann@x.org:${SSHA}\r\n`);
  assert.deepEqual(r.skipped, []);
  assert.deepEqual(r.entries, [{ line: 5, user: 'ann@x.org', passwordHash: SSHA, extra: {} }]);
});

test('user names are lower-cased; a user without @ gets the default domain or is skipped', () => {
  const text = `Ann@X.Org:${SSHA}\nBob:${SSHA}\n`;
  const none = parsePasswdFile(text);
  assert.deepEqual(none.entries.map((e) => e.user), ['ann@x.org']);
  assert.deepEqual(none.skipped, [
    { line: 2, user: 'bob', reason: 'no-domain: user "bob" has no @domain and no default domain was given' },
  ]);
  const withDefault = parsePasswdFile(text, { defaultDomain: 'Example.COM' });
  assert.deepEqual(withDefault.entries.map((e) => e.user), ['ann@x.org', 'bob@example.com']);
  assert.deepEqual(withDefault.skipped, []);
});

test('malformed lines: a user alone, an empty or odd user name', () => {
  const r = parsePasswdFile(`carol@x.org\n:${SSHA}\nda ve@x.org:${SSHA}\n@x.org:${SSHA}\neve@:${SSHA}\n`);
  assert.deepEqual(r.entries, []);
  assert.deepEqual(r.skipped, [
    { line: 1, user: 'carol@x.org', reason: 'malformed: fewer than 2 fields' },
    { line: 2, reason: 'malformed: empty user name' },
    { line: 3, reason: 'malformed: user name contains spaces or control characters' },
    { line: 4, user: '@x.org', reason: 'malformed: user name has an empty local part or domain' },
    { line: 5, user: 'eve@', reason: 'malformed: user name has an empty local part or domain' },
  ]);
});

test('duplicates: the first line wins (as in Dovecot), also across case and default domain', () => {
  const r = parsePasswdFile(`bob@x.org:${SSHA}\nBOB@x.org:{PLAIN}other\nbob:{PLAIN}third\n`, { defaultDomain: 'x.org' });
  assert.deepEqual(r.entries.map((e) => [e.line, e.user]), [[1, 'bob@x.org']]);
  assert.deepEqual(r.skipped, [
    { line: 2, user: 'bob@x.org', reason: 'duplicate: bob@x.org already on line 1' },
    { line: 3, user: 'bob@x.org', reason: 'duplicate: bob@x.org already on line 1' },
  ]);
  // Even when the first line itself was skipped: Dovecot would have used that one.
  const r2 = parsePasswdFile(`amy@x.org:{MD5}$1$abc$def\namy@x.org:${SSHA}\n`);
  assert.deepEqual(r2.entries, []);
  assert.equal(r2.skipped[1]?.reason, 'duplicate: amy@x.org already on line 1');
});

test('empty password is skipped, never imported as null', () => {
  const r = parsePasswdFile(`frank@x.org::1000:1000::/home/frank::\n`);
  assert.deepEqual(r.entries, []);
  assert.deepEqual(r.skipped, [{ line: 1, user: 'frank@x.org', reason: 'empty-password' }]);
});

test('unsupported and malformed hashes are skipped with the scheme named and no hash shown', () => {
  const hashes = [
    '{MD5}$1$abcdefgh$0123456789012345678901',
    '{PLAIN-MD5}5f4dcc3b5aa765d61d8327deb882cf99',
    '$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7',
    '{SHA512-CRYPT}garbage',
    'abJnggxhB/yWI',
    'abJnggxhB/yWI[13]',
    '5f4dcc3b5aa765d61d8327deb882cf99[34]',
  ];
  const r = parsePasswdFile(hashes.map((h, i) => `u${i}@x.org:${h}`).join('\n'));
  assert.deepEqual(r.entries, []);
  assert.deepEqual(r.skipped.map((s) => s.reason), [
    'unsupported-scheme: MD5 (weak, disabled in Dovecot 2.4)',
    'unsupported-scheme: PLAIN-MD5 (weak, disabled in Dovecot 2.4)',
    'unsupported-scheme: YESCRYPT (a libc crypt() format Postern cannot verify)',
    'malformed-hash: SHA512-CRYPT (not a $6$[rounds=N$]salt$hash string with a 86-character hash)',
    'unsupported-scheme: DES-CRYPT (weak, disabled in Dovecot 2.4)',
    'unsupported-scheme: DES-CRYPT (weak, disabled in Dovecot 2.4)',
    'unsupported-scheme: PLAIN-MD5 (weak, disabled in Dovecot 2.4)',
  ]);
  for (const s of r.skipped) for (const h of hashes) assert.ok(!s.reason.includes(h.replace(/^\{[^}]*\}/, '')), s.reason);
});

test('PLAIN-family passwords are allowed, including base64 for a password with ":"', async () => {
  const r = parsePasswdFile(`a@x.org:{PLAIN}secret\nb@x.org:{CLEAR}secret\nc@x.org:{PLAIN.b64}${Buffer.from('se:cret').toString('base64')}\n`);
  assert.equal(r.entries.length, 3);
  const c = r.entries[2];
  assert.ok(c);
  assert.equal(await verifyPassword(c.passwordHash, Buffer.from('se:cret')), true);
});

test('extra fields: key=value, flags become "y", values may contain ":" and "=", old mail format', () => {
  const r = parsePasswdFile(
    [
      `a@x.org:${SSHA}:1000:1000::/home/a::userdb_quota_rule=*:storage=1G nologin  proxy host=10.0.0.1`,
      `b@x.org:${SSHA}:1000:1000::/home/b::noauthenticate reason=moved=elsewhere`,
      `c@x.org:${SSHA}:1000:1000::/home/c:::maildir:~/Maildir`,
      `d@x.org:${SSHA}:1000:1000::/home/d:/bin/false`,
      `e@x.org:${SSHA}`,
    ].join('\n'),
  );
  assert.deepEqual(r.skipped, []);
  assert.deepEqual(r.entries.map((e) => e.extra), [
    { userdb_quota_rule: '*:storage=1G', nologin: 'y', proxy: 'y', host: '10.0.0.1' },
    { noauthenticate: 'y', reason: 'moved=elsewhere' },
    { userdb_mail: 'maildir:~/Maildir' },
    {},
    {},
  ]);
});

test('a realistic file of doveadm-made hashes: every imported hash verifies, every skip is explained', async () => {
  const pw = (user: string): string => `${user}'s pässword: 100%`;
  const supported = ['ARGON2ID', 'BLF-CRYPT', 'SHA512-CRYPT', 'SHA256-CRYPT', 'MD5-CRYPT', 'SSHA512', 'SSHA', 'SHA256.HEX', 'PBKDF2'];
  const users = supported.map((s, i) => `user${i}`);
  const lines = [
    '# Dovecot passwd-file, migrated from mail1',
    '',
    ...supported.map((s, i) => {
      const user = users[i] ?? '';
      const hash = dovePw(s, pw(user));
      return i % 2 ? `${user}@example.org:${hash}:5000:5000::/var/vmail/example.org/${user}::` : `${user}:${hash}::::::`;
    }),
    `retired@example.org:${dovePw('SHA512-CRYPT', 'x')}:5000:5000::/var/vmail/retired::nologin reason=left`,
    `legacy@example.org:${dovePw('PLAIN-MD5', 'x')}:5000:5000::/var/vmail/legacy::`,
    `cram@example.org:${dovePw('CRAM-MD5', 'x')}`,
    'nopass@example.org::5000:5000::/var/vmail/nopass::',
    `USER0@Example.org:${dovePw('SSHA512', 'again')}`,
  ];
  const r = parsePasswdFile(lines.join('\n') + '\n', { defaultDomain: 'example.org' });
  assert.equal(r.entries.length, supported.length + 1);
  for (const [i, user] of users.entries()) {
    const e = r.entries[i];
    assert.ok(e);
    assert.equal(e.user, `${user}@example.org`);
    assert.equal(await verifyPassword(e.passwordHash, Buffer.from(pw(user))), true, e.passwordHash);
  }
  assert.deepEqual(r.entries.at(-1)?.extra, { nologin: 'y', reason: 'left' });
  assert.deepEqual(
    r.skipped.map((s) => [s.user, s.reason]),
    [
      ['legacy@example.org', 'unsupported-scheme: PLAIN-MD5 (weak, disabled in Dovecot 2.4)'],
      ['cram@example.org', 'unsupported-scheme: CRAM-MD5 (a mechanism-specific scheme Postern does not verify)'],
      ['nopass@example.org', 'empty-password'],
      ['user0@example.org', 'duplicate: user0@example.org already on line 3'],
    ],
  );
});
