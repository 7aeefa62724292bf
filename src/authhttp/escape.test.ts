/** Tests for escape.ts: nginx's examples (nginx-auth-http.md §1.5) and round-trip properties. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { escapeMailAuth, unescapeMailAuth } from './escape.js';

const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');

function decoded(s: string): Buffer {
  const r = unescapeMailAuth(latin1(s));
  assert.ok(r.ok, `expected ${JSON.stringify(s)} to decode`);
  return r.value;
}

test('escapes like nginx: the verified examples of §1.5', () => {
  assert.deepEqual(escapeMailAuth(latin1('pa\r\nss\t')), latin1('pa%0D%0Ass%09'));
  assert.deepEqual(escapeMailAuth(latin1('p a%s\\s')), latin1('p%20a%25s\\s'));
  // DEL and 0x80-0xFF go through raw.
  assert.deepEqual(escapeMailAuth(latin1('j\xc3\xbcrg\x7f')), latin1('j\xc3\xbcrg\x7f'));
  // `+ / = " \ :` are not escaped.
  assert.deepEqual(escapeMailAuth(latin1('+/="\\:')), latin1('+/="\\:'));
  assert.deepEqual(escapeMailAuth(latin1('\x00\x1f ')), latin1('%00%1F%20'));
});

test('decodes %HH of either case to the byte and nothing else', () => {
  assert.deepEqual(decoded('p%20a%25s\\s'), latin1('p a%s\\s'));
  assert.deepEqual(decoded('%0d%0A%7f%C3%bc'), latin1('\r\n\x7f\xc3\xbc'));
  // No form decoding: + stays +.
  assert.deepEqual(decoded('a+b'), latin1('a+b'));
  // %2541 is "%41", not "A": one level only.
  assert.deepEqual(decoded('%2541'), latin1('%41'));
  assert.deepEqual(decoded(''), Buffer.alloc(0));
  assert.deepEqual(decoded('zo\xc3\xab'), latin1('zo\xc3\xab'));
});

test('refuses a % that nginx could not have written', () => {
  for (const s of ['%', 'a%', '%4', 'x%4', '%zz', '%g0', '%0g', '%%41', '100%', '% 20']) {
    const r = unescapeMailAuth(latin1(s));
    assert.equal(r.ok, false, s);
    if (!r.ok) assert.equal(r.error.code, 'bad-escape');
  }
});

test('property: unescape(escape(b)) = b for any bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
      const r = unescapeMailAuth(escapeMailAuth(b));
      assert.ok(r.ok);
      assert.deepEqual(r.value, Buffer.from(b));
    }),
    { numRuns: 2000 },
  );
});

test('property: escape output is what nginx would send (no raw control, SP or lone %)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
      const s = escapeMailAuth(b).toString('latin1');
      assert.doesNotMatch(s, /[\x00-\x20]/);
      assert.doesNotMatch(s, /%(?![0-9A-F]{2})/);
      // Reference: byte by byte with the §1.5 table.
      const ref = [...b].map((x) => (x <= 0x20 || x === 0x25 ? `%${x.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(x))).join('');
      assert.equal(s, ref);
    }),
  );
});

test('property: unescape never throws and never grows its input', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
      const r = unescapeMailAuth(b);
      if (r.ok) assert.ok(r.value.length <= b.length);
    }),
    { numRuns: 2000 },
  );
});
