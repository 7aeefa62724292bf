import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { smtpCommandReader, type SmtpInput, type SmtpReadMode } from './command-reader.js';

const b = (s: string) => Buffer.from(s, 'latin1');
/** Inputs with Buffers shown as latin1 text. */
function show(input: SmtpInput | null): unknown {
  if (input === null) return null;
  if (input.kind === 'command') return { name: input.name, args: input.args.map((a) => a.toString('latin1')), line: input.line.toString('latin1') };
  if (input.kind === 'response') return { response: input.response.toString('latin1') };
  return input.kind;
}
function readAll(text: string, mode: SmtpReadMode = 'command', maxBytes?: number): unknown[] {
  const r = smtpCommandReader(maxBytes);
  r.push(b(text));
  const out: unknown[] = [];
  for (let i = r.next(mode); i !== null; i = r.next(mode)) out.push(show(i));
  return out;
}

test('the twelve commands nginx knows, case-insensitive, with CRLF or bare LF', () => {
  const words = ['helo', 'EHLO', 'Quit', 'aUtH', 'noop', 'MAIL', 'rset', 'RCPT', 'vrfy', 'EXPN', 'help', 'StartTls'];
  assert.deepEqual(
    readAll(words.map((w, i) => w + (i % 2 ? '\n' : '\r\n')).join('')),
    words.map((w) => ({ name: w.toUpperCase(), args: [], line: w })),
  );
});

test('arguments split at spaces; any other byte (TAB, NUL, 8-bit) belongs to an argument; the line is kept verbatim', () => {
  assert.deepEqual(readAll('MAIL FROM:<a@b.c>   SIZE=100  \r\nrcpt To:<x\ty\x00\xff>\n'), [
    { name: 'MAIL', args: ['FROM:<a@b.c>', 'SIZE=100'], line: 'MAIL FROM:<a@b.c>   SIZE=100' },
    { name: 'RCPT', args: ['To:<x\ty\x00\xff>'], line: 'rcpt To:<x\ty\x00\xff>' },
  ]);
});

test('invalid lines are skipped up to their LF and the next line parses', () => {
  assert.deepEqual(readAll('DATA\r\nHEL0 x\r\n\r\nHELO\tx\r\nSTARTTLSX\r\nNOOP x\ry\r\nHELO a\r\n'), ['invalid', 'invalid', 'invalid', 'invalid', 'invalid', 'invalid', { name: 'HELO', args: ['a'], line: 'HELO a' }]);
});

test('eleven arguments at most (nginx starts another only while it holds ten)', () => {
  const eleven = Array.from({ length: 11 }, (_, i) => `a${i}`).join(' ');
  assert.deepEqual(readAll(`NOOP ${eleven}\r\nNOOP ${eleven} a11\r\n`), [{ name: 'NOOP', args: eleven.split(' '), line: `NOOP ${eleven}` }, 'invalid']);
});

test('SASL mode: the response is the line up to its first space; empty lines and leading spaces give empty responses', () => {
  assert.deepEqual(readAll('AGJvYgBwdw==\r\ndXNlcg== extra\r\n\r\n x\r\nQUIT\r\n', 'sasl'), [
    { response: 'AGJvYgBwdw==' },
    { response: 'dXNlcg==' },
    { response: '' },
    { response: '' },
    { response: 'QUIT' },
  ]);
  assert.deepEqual(readAll('ab\rc\r\n', 'sasl'), ['invalid']);
});

test('too long: a line (CRLF included) beyond the client buffer, complete or not; one that fits exactly is read', () => {
  assert.deepEqual(readAll('NOOP 123\r\n', 'command', 10), [{ name: 'NOOP', args: ['123'], line: 'NOOP 123' }]);
  assert.deepEqual(readAll('NOOP 1234\r\n', 'command', 10), ['too-long']);
  assert.deepEqual(readAll('NOOP 12345', 'command', 10), ['too-long']);
  assert.deepEqual(readAll('NOOP 1234', 'command', 10), []);
  assert.deepEqual(readAll('XXXXXXXXXXXXXXXXX', 'command', 10), ['too-long'], 'an invalid line is bounded too');
});

test('pending keeps what was not read; discard forgets it', () => {
  const r = smtpCommandReader();
  r.push(b('NOOP\r\nRSET\r\nQU'));
  assert.deepEqual(show(r.next('command')), { name: 'NOOP', args: [], line: 'NOOP' });
  assert.equal(r.pending().toString('latin1'), 'RSET\r\nQU');
  r.discard();
  assert.equal(r.pending().length, 0);
  r.push(b('IT\r\n'));
  assert.equal(show(r.next('command')), 'invalid');
});

test('property: however the bytes are split, the same inputs come out', () => {
  const line = fc.constantFrom('HELO client.example', 'ehlo x y', 'MAIL FROM:<a@b> SIZE=1', 'bogus', '', 'RCPT  TO:<c@d>  ', 'noop', 'AUTH PLAIN AGEAYg==', 'x\ry');
  fc.assert(
    fc.property(fc.array(line, { maxLength: 12 }), fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1 }), (lines, cuts) => {
      const wire = b(lines.map((l) => l + '\r\n').join(''));
      const whole = readAll(wire.toString('latin1'));
      const r = smtpCommandReader();
      const split: unknown[] = [];
      for (let i = 0, k = 0; i < wire.length; k++) {
        const n = cuts[k % cuts.length] as number;
        r.push(wire.subarray(i, i + n));
        i += n;
        for (let got = r.next('command'); got !== null; got = r.next('command')) split.push(show(got));
      }
      assert.deepEqual(split, whole);
    }),
  );
});
