/** Tests for oauthbearer.ts and xoauth2.ts: bearer-token initial responses (RFC 7628, Google's XOAUTH2). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeOauthBearer } from './oauthbearer.js';
import { decodeXoauth2 } from './xoauth2.js';

const b64 = (s: string): Buffer => Buffer.from(Buffer.from(s, 'latin1').toString('base64'));
const TOKEN = 'vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==';

test('RFC 7628 §4.1 example: authzid, host, port and token', () => {
  const r = decodeOauthBearer(b64(`n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer ${TOKEN}\x01\x01`));
  assert.ok(r.ok, r.ok ? '' : r.error.detail);
  assert.deepEqual({ ...r.value, user: r.value.user.toString() }, { user: 'user@example.com', token: TOKEN, host: 'server.example.com', port: 143 });
});

test('RFC 7628: the authzid is optional; "y" is accepted; =2C and =3D are unescaped; the scheme is case-insensitive', () => {
  const r = decodeOauthBearer(b64(`y,,\x01auth=bearer  ${TOKEN}\x01\x01`));
  assert.ok(r.ok && r.value.user.length === 0 && r.value.token === TOKEN);
  const esc = decodeOauthBearer(b64(`n,a=a=2Cb=3Dc,\x01auth=Bearer t\x01\x01`));
  assert.ok(esc.ok && esc.value.user.toString() === 'a,b=c');
  const utf8 = decodeOauthBearer(Buffer.from(Buffer.from(`n,a=j\u00fcrg,\x01auth=Bearer t\x01\x01`, 'utf8').toString('base64')));
  assert.ok(utf8.ok && utf8.value.user.toString('utf8') === 'j\u00fcrg');
});

test('RFC 7628 refusals', () => {
  const cases: Array<[string, string]> = [
    [`p=tls-unique,,\x01auth=Bearer t\x01\x01`, 'channel binding is not supported'],
    [`n,a=u\x01auth=Bearer t\x01\x01`, 'bad GS2 header'],
    [`n,,\x01auth=Bearer t\x01`, 'a key-value pair does not end with kvsep'],
    [`n,,\x01host=h\x01\x01`, 'no auth key'],
    [`n,,\x01auth=Basic dTpw\x01\x01`, 'auth is not "Bearer <b64token>"'],
    [`n,,\x01auth=Bearer a b\x01\x01`, 'auth is not "Bearer <b64token>"'],
    [`n,,\x01auth=Bearer t\x01auth=Bearer u\x01\x01`, 'duplicate auth'],
    [`n,,\x01auth=Bearer t\x01port=x\x01\x01`, 'port is not a number'],
    [`n,a=a=41,\x01auth=Bearer t\x01\x01`, 'bad escape in the authzid'],
    [`n,a=,\x01auth=Bearer t\x01\x01`, 'empty authzid'],
    [`n,,auth=Bearer t`, 'no kvsep after the GS2 header'],
    ['\x01', 'aborted'],
  ];
  for (const [data, why] of cases) assert.deepEqual(decodeOauthBearer(b64(data)), { ok: false, error: { code: 'bad-bearer', detail: why } }, JSON.stringify(data));
  assert.equal(decodeOauthBearer(Buffer.from('*')).ok ? '' : 'refused', 'refused');
});

test('XOAUTH2: user=...^Aauth=Bearer token^A^A', () => {
  const r = decodeXoauth2(b64(`user=someuser@example.com\x01auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg\x01\x01`));
  assert.ok(r.ok);
  assert.deepEqual([r.value.user.toString(), r.value.token], ['someuser@example.com', 'ya29.vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg']);
});

test('XOAUTH2 refusals', () => {
  for (const data of [
    'user=u\x01auth=Bearer t\x01',
    'auth=Bearer t\x01user=u\x01\x01',
    'user=u\x01\x01',
    'user=u\x01auth=Bearer \x01\x01',
    'user=u\x01auth=t\x01\x01',
    'user=u\x01auth=Bearer t\x01x=1\x01\x01',
  ]) {
    assert.equal(decodeXoauth2(b64(data)).ok, false, JSON.stringify(data));
  }
  assert.deepEqual(decodeXoauth2(Buffer.from('*')), { ok: false, error: { code: 'bad-base64', detail: 'client sent invalid base64 encoding in AUTH XOAUTH2 command' } });
});
