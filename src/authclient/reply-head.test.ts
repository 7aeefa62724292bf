/** Tests for reply-head.ts: nginx's reply syntax (§1.6, §2.1). Semantics are in reply.test.ts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { scanReplyHead, type ReplyHeadScan } from './reply-head.js';

const scan = (s: string): ReplyHeadScan => scanReplyHead(Buffer.from(s, 'latin1'));

function headers(s: string): Array<[string, string]> {
  const r = scan(s);
  assert.equal(r.kind, 'done', JSON.stringify(s));
  return r.kind === 'done' ? r.headers.map((h) => [h.name.toString('latin1'), h.value.toString('latin1')]) : [];
}

test('§1.6 a status line is skipped only when it starts with HTTP/ (case-sensitive)', () => {
  assert.deepEqual(headers('HTTP/1.0 500 Whatever\r\nA: 1\r\n\r\n'), [['A', '1']]);
  assert.deepEqual(headers('HTTP/anything at all \x00\xff\nA: 1\n\n'), [['A', '1']]);
  // No status line: parsing starts at byte 0.
  assert.deepEqual(headers('Auth-Status: OK\r\n\r\n'), [['Auth-Status', 'OK']]);
  // Lower-case "http/" is a header line whose name holds a "/".
  assert.equal(scan('http/1.0 200 OK\r\n\r\n').kind, 'bad-header');
  // "HTTP" without the slash is a name-only header.
  assert.deepEqual(headers('HTTP\r\n\r\n'), [['HTTP', '']]);
});

test('§1.6 a CR not followed by LF in the status line is an invalid response', () => {
  assert.equal(scan('HTTP/1.0 200\rOK\r\n\r\n').kind, 'bad-status-line');
  assert.equal(scan('HTTP/1.0 200 OK\r').kind, 'incomplete');
  assert.equal(scan('HTT').kind, 'incomplete');
});

test('§2.1 CRLF, bare LF, and mixes end lines; the first empty line ends the head', () => {
  assert.deepEqual(headers('A: 1\nB: 2\r\nC: 3\n\r\nD: after the head\r\n'), [['A', '1'], ['B', '2'], ['C', '3']]);
  const r = scan('A: 1\r\n\r\nbody');
  assert.ok(r.kind === 'done' && r.end === 8);
});

test('§2.1 values: leading SP skipped, trailing SP trimmed, inner SP and TAB kept', () => {
  assert.deepEqual(headers('A:    OK   \r\nB:\tOK\r\nC:   sp ace  \r\nD:\r\nE:    \r\nF:x\t \r\n\r\n'), [
    ['A', 'OK'],
    ['B', '\tOK'],
    ['C', 'sp ace'],
    ['D', ''],
    ['E', ''],
    ['F', 'x\t'],
  ]);
});

test('§2.1 a name without a colon is a header with an empty value', () => {
  assert.deepEqual(headers('JustAName\r\nOther\n\r\n'), [['JustAName', ''], ['Other', '']]);
});

test('§2.1 values are raw bytes: NUL, DEL, high bytes and % sequences pass', () => {
  assert.deepEqual(headers('A: a\x00\x7f\xe9%20\r\n\r\n'), [['A', 'a\x00\x7f\xe9%20']]);
});

test('§1.6 invalid headers: names outside [A-Za-z0-9-], a space before the colon, folding, a bare CR', () => {
  for (const bad of [
    'X_Bad: 1\r\n\r\n',
    'Auth-Status : OK\r\n\r\n',
    '-Lead: 1\r\n\r\n',
    'A: 1\r\n continued\r\n\r\n',
    'A: 1\r\n\tcontinued\r\n\r\n',
    'A: 1\rB: 2\r\n\r\n',
    'A\rB\r\n\r\n',
    '\r\r\n',
    'Ä: 1\r\n\r\n',
    'this is not http\r\n',
  ]) {
    assert.equal(scan(bad).kind, 'bad-header', JSON.stringify(bad));
  }
  // The headers before the bad line were already read (nginx applied them).
  const r = scan('A: 1\r\nB_: 2\r\n\r\n');
  assert.ok(r.kind === 'bad-header' && r.headers.length === 1);
});

test('§1.6 only the first 1024 bytes are looked at', () => {
  const fits = `A: ${'p'.repeat(1024 - 7)}\r\n\r\n`;
  assert.equal(fits.length, 1024);
  assert.equal(scan(fits).kind, 'done');
  assert.equal(scan(`A: ${'p'.repeat(1024 - 6)}\r\n\r\n`).kind, 'incomplete');
});

test('property: scanning any prefix gives incomplete or the same verdict as the whole reply (nginx reads in chunks)', () => {
  const line = fc.constantFrom('HTTP/1.0 200 OK', 'Auth-Status: OK', 'Auth-Wait:  3 ', 'X_Y: 1', 'Name', ' fold', 'A:\tb', 'B: c\rd', '');
  const eol = fc.constantFrom('\r\n', '\n');
  fc.assert(
    fc.property(fc.array(fc.tuple(line, eol), { maxLength: 8 }), fc.nat(), (lines, cut) => {
      const whole = Buffer.from(lines.map(([l, e]) => l + e).join(''), 'latin1');
      const full = scanReplyHead(whole);
      const part = scanReplyHead(whole.subarray(0, cut % (whole.length + 1)));
      if (part.kind !== 'incomplete') assert.deepEqual(part, full);
    }),
  );
});
