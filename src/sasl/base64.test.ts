/** Tests for base64.ts: ngx_decode_base64's leniencies and refusals (§4.3). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeBase64Nginx, encodeBase64 } from './base64.js';

const dec = (s: string): string | undefined => decodeBase64Nginx(Buffer.from(s, 'latin1'))?.toString('latin1');

test('§4.3 standard base64 decodes, with or without padding', () => {
  assert.equal(dec('VXNlcm5hbWU6'), 'Username:');
  assert.equal(dec('YWxpY2U='), 'alice');
  assert.equal(dec('YWxpY2U'), 'alice');
  assert.equal(dec('YQ'), 'a');
});

test('§4.3 "=" alone and the empty line decode to nothing', () => {
  assert.equal(dec('='), '');
  assert.equal(dec(''), '');
});

test('§4.3 decoding stops at the first "=": anything after it is ignored, even garbage', () => {
  assert.equal(dec('YQ==!!!'), 'a');
  assert.equal(dec('YQ=Zm9v'), 'a');
});

test('§4.3 refused: a byte outside the alphabet before "=", or a length ≡ 1 (mod 4)', () => {
  for (const bad of ['*', 'YWxp Y2U=', 'YWxpY2U\t', 'YW-x', 'YW_x', 'Y', 'YWxpY', '\xff\xff\xff\xff']) {
    assert.equal(dec(bad), undefined, JSON.stringify(bad));
  }
});

test('unused low bits are not checked (RFC 4648 would reject "YR==")', () => {
  assert.equal(dec('YR=='), 'a');
  assert.equal(dec('YWF='), 'aa');
});

test('property: nginx decodes what Node encodes, and agrees with Node on canonical input', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const b64 = encodeBase64(bytes);
      assert.deepEqual(decodeBase64Nginx(Buffer.from(b64)), Buffer.from(bytes));
      assert.deepEqual(decodeBase64Nginx(Buffer.from(b64.replace(/=+$/, ''))), Buffer.from(bytes));
    }),
  );
});
