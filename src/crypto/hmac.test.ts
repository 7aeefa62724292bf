import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { hmacSha256 } from './hmac.js';

test('RFC 4231 test cases 1, 2 and 6 (short key, text key, key longer than a block)', () => {
  const cases: Array<[Buffer, Buffer, string]> = [
    [Buffer.alloc(20, 0x0b), Buffer.from('Hi There'), 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7'],
    [Buffer.from('Jefe'), Buffer.from('what do ya want for nothing?'), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'],
    [Buffer.alloc(131, 0xaa), Buffer.from('Test Using Larger Than Block-Size Key - Hash Key First'), '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54'],
  ];
  for (const [key, data, hex] of cases) assert.equal(hmacSha256(key)(data).toString('hex'), hex);
});

test('equals node:crypto createHmac over the concatenated parts, for any key and parts', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.array(fc.oneof(fc.string(), fc.uint8Array()), { maxLength: 4 }), (key, parts) => {
      const buffers = parts.map((p) => (typeof p === 'string' ? p : Buffer.from(p)));
      const want = createHmac('sha256', Buffer.from(key));
      for (const p of buffers) want.update(p);
      assert.deepEqual(hmacSha256(Buffer.from(key))(...buffers), want.digest());
    }),
  );
});

test('different keys give different MACs', () => {
  assert.notDeepEqual(hmacSha256(randomBytes(32))('x'), hmacSha256(randomBytes(32))('x'));
});
