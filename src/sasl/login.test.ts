/** Tests for login.ts and external.ts: LOGIN's prompts and answers, EXTERNAL's authzid (§4.3). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeExternal } from './external.js';
import { LOGIN_PASSWORD_CHALLENGE, LOGIN_USERNAME_CHALLENGE, decodeLoginPassword, decodeLoginUsername } from './login.js';

test('§4.3 the prompts are base64 of "Username:" and "Password:"', () => {
  assert.equal(Buffer.from(LOGIN_USERNAME_CHALLENGE, 'base64').toString(), 'Username:');
  assert.equal(Buffer.from(LOGIN_PASSWORD_CHALLENGE, 'base64').toString(), 'Password:');
  assert.deepEqual([LOGIN_USERNAME_CHALLENGE, LOGIN_PASSWORD_CHALLENGE], ['VXNlcm5hbWU6', 'UGFzc3dvcmQ6']);
});

test('§4.3 LOGIN answers are any bytes, empty included', () => {
  const u = decodeLoginUsername(Buffer.from('YWxpY2U='));
  assert.ok(u.ok && u.value.toString() === 'alice');
  const p = decodeLoginPassword(Buffer.from(Buffer.from('a\r\nb\0').toString('base64')));
  assert.ok(p.ok && p.value.equals(Buffer.from('a\r\nb\0')));
  const empty = decodeLoginPassword(Buffer.alloc(0));
  assert.ok(empty.ok && empty.value.length === 0);
});

test('§4.3 (verified) a cancel line "*" is invalid base64: the invalid-command reply', () => {
  const detail = 'client sent invalid base64 encoding in AUTH LOGIN command';
  assert.deepEqual(decodeLoginUsername(Buffer.from('*')), { ok: false, error: { code: 'bad-base64', detail } });
  assert.deepEqual(decodeLoginPassword(Buffer.from('*')), { ok: false, error: { code: 'bad-base64', detail } });
});

test('§4.3 (verified) EXTERNAL: the authzid is the login, "=" gives an empty one', () => {
  const r = decodeExternal(Buffer.from('Ym9i'));
  assert.ok(r.ok && r.value.toString() === 'bob');
  const empty = decodeExternal(Buffer.from('='));
  assert.ok(empty.ok && empty.value.length === 0);
  assert.deepEqual(decodeExternal(Buffer.from('*')), {
    ok: false,
    error: { code: 'bad-base64', detail: 'client sent invalid base64 encoding in AUTH EXTERNAL command' },
  });
});
