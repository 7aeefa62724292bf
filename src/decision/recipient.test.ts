import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRcptLine } from './recipient.js';

test('takes the address out of the whole RCPT command line nginx forwards', () => {
  assert.deepEqual(parseRcptLine('RCPT TO:<b@harness.test>'), { local: 'b', domain: 'harness.test' });
  assert.deepEqual(parseRcptLine('rcpt TO:<Bob@Example.ORG> NOTIFY=NEVER'), { local: 'Bob', domain: 'example.org' });
  assert.deepEqual(parseRcptLine('RCPT TO: <x@y.z>'), { local: 'x', domain: 'y.z' });
  assert.deepEqual(parseRcptLine('RCPT TO:x@y.z SIZE=1'), { local: 'x', domain: 'y.z' });
});

test('handles source routes, quoted local parts and brackets inside quotes', () => {
  assert.deepEqual(parseRcptLine('RCPT TO:<@relay.example,@other.example:joe@example.com>'), { local: 'joe', domain: 'example.com' });
  assert.deepEqual(parseRcptLine('RCPT TO:<"john smith"@example.com>'), { local: 'john smith', domain: 'example.com' });
  assert.deepEqual(parseRcptLine('RCPT TO:<"a>b"@example.com>'), { local: 'a>b', domain: 'example.com' });
  assert.deepEqual(parseRcptLine('RCPT TO:<zoë@exämple.com>'), { local: 'zoë', domain: 'exämple.com' });
});

test('refuses lines without a usable address', () => {
  for (const line of ['', 'MAIL FROM:<a@b.c>', 'RCPT TO:<>', 'RCPT TO:<postmaster>', 'RCPT TO:<a@>', 'RCPT TO:<a@b.c', 'RCPT TO:<a\x01@b.c>']) {
    assert.equal(parseRcptLine(line), null, line);
  }
});
