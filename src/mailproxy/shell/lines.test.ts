/**
 * The backend line splitter: lines however the bytes were split, CRLF or bare LF, the rest kept
 * for the client, and nginx's one-page limit on a line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineSplitter } from './lines.js';

function drain(s: LineSplitter): Array<string | null | 'too-long'> {
  const out: Array<string | null | 'too-long'> = [];
  for (;;) {
    const l = s.next();
    out.push(l === null || l === 'too-long' ? l : l.toString('latin1'));
    if (l === null || l === 'too-long') return out;
  }
}

test('lines come out one at a time, however the bytes were split, without their line ends', () => {
  const s = new LineSplitter();
  s.feed(Buffer.from('+OK hel'));
  assert.deepEqual(drain(s), [null]);
  s.feed(Buffer.from('lo\r\n+OK\nrest'));
  assert.deepEqual(drain(s), ['+OK hello', '+OK', null]);
  assert.equal(s.rest().toString(), 'rest');
  s.feed(Buffer.from('\r\n\r\n'));
  assert.deepEqual(drain(s), ['rest', '', null]);
});

test('a line longer than the buffer is refused, with or without its end', () => {
  const open = new LineSplitter(8);
  open.feed(Buffer.from('123456789'));
  assert.equal(open.next(), 'too-long');
  const ended = new LineSplitter(8);
  ended.feed(Buffer.from('1234567890\r\n'));
  assert.equal(ended.next(), 'too-long');
  const fits = new LineSplitter(8);
  fits.feed(Buffer.from('123456\r\n'));
  assert.equal(fits.next()?.toString(), '123456');
});
