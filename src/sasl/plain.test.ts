/** Tests for plain.ts: SASL PLAIN as ngx_mail_auth_plain decodes it (§4.3), down to the captured request. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeAuthRequest } from '../authclient/index.js';
import { bytes, capture } from '../authhttp/testdata/captures.js';
import { decodePlain } from './plain.js';

const b64 = (s: string): Buffer => Buffer.from(Buffer.from(s, 'latin1').toString('base64'));

function creds(s: string): [string, string] {
  const r = decodePlain(b64(s));
  assert.ok(r.ok, r.ok ? '' : r.error.detail);
  return [r.value.user.toString('latin1'), r.value.pass.toString('latin1')];
}

function refused(data: Buffer): string {
  const r = decodePlain(data);
  assert.equal(r.ok, false);
  return r.ok ? '' : r.error.code;
}

test('§1.4 (verified) the authzid is dropped: admin\\0bob\\0pw logs in as bob', () => {
  assert.deepEqual(creds('admin\0bob\0pw'), ['bob', 'pw']);
  assert.deepEqual(creds('\0alice\0alicepw'), ['alice', 'alicepw']);
});

test('§4.3 empty login and empty password are allowed; the password may hold NULs', () => {
  assert.deepEqual(creds('\0\0'), ['', '']);
  assert.deepEqual(creds('\0u\0'), ['u', '']);
  assert.deepEqual(creds('\0u\0p\0w\0'), ['u', 'p\0w\0']);
});

test('§4.3 refusals, with nginx\'s log lines', () => {
  assert.deepEqual(decodePlain(Buffer.from('*')), { ok: false, error: { code: 'bad-base64', detail: 'client sent invalid base64 encoding in AUTH PLAIN command' } });
  // "=" is empty data: no NUL at all.
  assert.deepEqual(decodePlain(Buffer.from('=')), { ok: false, error: { code: 'bad-login', detail: 'client sent invalid login in AUTH PLAIN command' } });
  assert.equal(refused(b64('alice')), 'bad-login');
  assert.equal(refused(b64('authz\0')), 'bad-login');
  assert.equal(refused(b64('\0')), 'bad-login');
  assert.deepEqual(decodePlain(b64('\0alice')), { ok: false, error: { code: 'bad-password', detail: 'client sent invalid password in AUTH PLAIN command' } });
});

test('capture #45: AUTHENTICATE PLAIN with special characters becomes exactly the captured request', () => {
  const user = Buffer.from('zo\xc3\xab "q" 100% o\'k', 'latin1');
  const pass = Buffer.from('p\xc3\xa4 ss%41 "w" \'x\' \\b', 'latin1');
  const r = decodePlain(Buffer.from(Buffer.concat([Buffer.from('\0'), user, Buffer.from('\0'), pass]).toString('base64')));
  assert.ok(r.ok);
  const req = encodeAuthRequest(
    { protocol: 'imap', method: 'plain', user: r.value.user, pass: r.value.pass, attempt: 1, clientIp: '127.0.0.1' },
    { uri: '/auth', host: '127.0.0.1', headers: [['X-Auth-Key', 'secret'], ['X-Listener', 'imap']] },
  );
  assert.ok(req.ok && req.value.bytes.equals(bytes(capture(45).lines)));
});

test('property: any authzid without NUL, authcid without NUL and password round-trip', () => {
  const noNul = fc.uint8Array({ maxLength: 20 }).map((u) => Buffer.from(u.filter((b) => b !== 0)));
  fc.assert(
    fc.property(noNul, noNul, fc.uint8Array({ maxLength: 20 }), (authz, user, pass) => {
      const data = Buffer.concat([authz, Buffer.from([0]), user, Buffer.from([0]), pass]);
      const r = decodePlain(Buffer.from(data.toString('base64')));
      assert.ok(r.ok);
      assert.deepEqual([r.value.user, r.value.pass], [user, Buffer.from(pass)]);
    }),
  );
});
