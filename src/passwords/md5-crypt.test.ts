// Our md5crypt against Dovecot's output and OpenSSL's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { doveVerifies, dovePw, PASSWORDS } from './doveadm-fixture.js';
import { md5Crypt } from './md5-crypt.js';

test('reproduces doveadm MD5-CRYPT hashes exactly, short and long passwords', () => {
  for (const pw of [...PASSWORDS, 'x'.repeat(16), 'y'.repeat(17), 'z'.repeat(100)]) {
    const stored = dovePw('MD5-CRYPT', pw).replace(/^\{[^}]*\}/, '');
    const salt = stored.split('$')[2] ?? '';
    assert.equal(md5Crypt(Buffer.from(pw), Buffer.from(salt)), stored);
  }
});

test('short salts and known OpenSSL output', () => {
  for (const salt of ['a', 'ab.', '12345678']) {
    const hash = md5Crypt(Buffer.from('hunter2'), Buffer.from(salt));
    assert.ok(doveVerifies(`{MD5-CRYPT}${hash}`, 'hunter2'), hash);
  }
  // `openssl passwd -1 -salt saltsalt password`
  assert.equal(md5Crypt(Buffer.from('password'), Buffer.from('saltsalt')), '$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/');
});
