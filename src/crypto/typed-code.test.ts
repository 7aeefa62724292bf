/** Typed codes: made in Crockford's base32, read back kindly, and anything of another shape refused before any work. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CODE_BITS, newTypedCode, normaliseTypedCode } from './typed-code.js';

test('a new code is 16 characters of the alphabet, grouped by four, 80 bits', () => {
  const { raw, grouped } = newTypedCode();
  assert.match(raw, /^[0-9ABCDEFGHJKMNPQRSTVWXYZ]{16}$/);
  assert.equal(grouped, raw.match(/.{4}/g)!.join('-'));
  assert.equal(CODE_BITS, 80);
  assert.notEqual(newTypedCode().raw, raw);
});

test('read back in any case, with spaces (any Unicode space), tabs or dashes, look-alikes as digits', () => {
  for (const typed of ['k7pq-3vzm-a0hx-t9wd', 'K7PQ 3VZM A0HX T9WD', 'k7pq\u00a03vzm\u00a0a0hx\u00a0t9wd', 'k7pq\t3vzm\n a0hx-t9wd', 'K7PQ-3VZM-AOHX-T9WD']) {
    assert.equal(normaliseTypedCode(typed), 'K7PQ3VZMA0HXT9WD', JSON.stringify(typed));
  }
  assert.equal(normaliseTypedCode('ilIL-2222-3333-4444'), '1111222233334444');
});

test('anything of another length or alphabet is not a code', () => {
  for (const other of ['correct horse battery staple', '0123456789ABCDE', '0123456789ABCDEF0', '0123-4567-89AB-CDEU', '', 'ÄÄÄÄ-ÄÄÄÄ-ÄÄÄÄ-ÄÄÄÄ']) {
    assert.equal(normaliseTypedCode(other), null, JSON.stringify(other));
  }
});
