import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { pop3CommandReader, POP3_LINE_LIMIT, type Pop3Input, type ReadMode } from './command-reader.js';

const b = (s: string) => Buffer.from(s, 'latin1');
/** Inputs with Buffers shown as latin1 text, for readable assertions. */
function show(inputs: Array<Pop3Input | null>): unknown[] {
  return inputs.map((i) =>
    i === null ? null : i.kind === 'command' ? { ...i, args: i.args.map((a) => a.toString('latin1')) } : i.kind === 'response' ? { kind: 'response', response: i.response.toString('latin1') } : i,
  );
}
/** Every complete line in `wire`, read in `mode`. */
function readAll(wire: string, mode: ReadMode = 'command'): unknown[] {
  const r = pop3CommandReader();
  r.push(b(wire));
  const out: Array<Pop3Input | null> = [];
  for (let got = r.next(mode); got !== null; got = r.next(mode)) out.push(got);
  return show(out);
}
const cmd = (name: string, ...args: string[]) => ({ kind: 'command', name, args });
const invalid = { kind: 'invalid' };

test('the eight commands, any case, CRLF or a bare LF', () => {
  assert.deepEqual(readAll('user a\r\nPass b\nAPOP u d\r\naUtH\r\ncapa\r\nQUIT\r\nnoop\r\nStls\r\n'), [
    cmd('USER', 'a'),
    cmd('PASS', 'b'),
    cmd('APOP', 'u', 'd'),
    cmd('AUTH'),
    cmd('CAPA'),
    cmd('QUIT'),
    cmd('NOOP'),
    cmd('STLS'),
  ]);
});

test('USER and PASS keep inner and trailing spaces; leading spaces are skipped (§6.12)', () => {
  assert.deepEqual(readAll('USER bob smith \r\nPASS   p w  \r\nUSER    \r\nPASS\r\n'), [cmd('USER', 'bob smith '), cmd('PASS', 'p w  '), cmd('USER'), cmd('PASS')]);
});

test('other commands split at runs of spaces, at most three arguments', () => {
  assert.deepEqual(readAll('APOP  u   d  \r\nAUTH PLAIN a b\r\nAUTH a b c d\r\nNOOP x y z \r\n'), [cmd('APOP', 'u', 'd'), cmd('AUTH', 'PLAIN', 'a', 'b'), invalid, cmd('NOOP', 'x', 'y', 'z')]);
});

test('arguments are bytes: NUL, TAB and high bytes pass through', () => {
  assert.deepEqual(readAll('USER \x00a\tb\xff\r\n'), [cmd('USER', '\x00a\tb\xff')]);
});

test('invalid lines: unknown or mis-sized words, non-letters, empty lines, a CR not before the LF', () => {
  assert.deepEqual(readAll('STAT\r\nUSERS a\r\nUSE\r\nNO0P\r\n\r\n\n NOOP\r\nNOOP\rx\r\nUSER a\rb\r\nNOOP\r\r\nNOOP\r\n'), [
    invalid,
    invalid,
    invalid,
    invalid,
    invalid,
    invalid,
    invalid,
    invalid,
    invalid,
    invalid,
    cmd('NOOP'),
  ]);
});

test('a SASL response is the first field of its line; more than three fields is invalid', () => {
  assert.deepEqual(readAll('AGJvYgBwdw==\r\n\r\nab cd\r\n x\r\na b c\r\na b c d\r\nx\ry\r\n', 'response'), [
    { kind: 'response', response: 'AGJvYgBwdw==' },
    { kind: 'response', response: '' },
    { kind: 'response', response: 'ab' },
    // nginx starts the argument at the line's first byte: a leading space ends an empty one.
    { kind: 'response', response: '' },
    { kind: 'response', response: 'a' },
    invalid,
    invalid,
  ]);
});

test('nginx\'s 128-byte buffer: a line of 128 bytes with its CRLF fits, one more byte is too long', () => {
  const fits = `USER ${'x'.repeat(POP3_LINE_LIMIT - 7)}\r\n`;
  assert.equal(fits.length, 128);
  assert.deepEqual(readAll(fits), [cmd('USER', 'x'.repeat(121))]);
  assert.deepEqual(readAll(`USER ${'x'.repeat(122)}\r\n`), [{ kind: 'too-long' }]);
  // An invalid line is bounded the same way: nginx fills its buffer before the skip finds LF.
  assert.deepEqual(readAll(`STAT ${'x'.repeat(200)}\r\n`), [{ kind: 'too-long' }]);
});

test('too long is known as soon as the limit is reached without an LF; less waits', () => {
  const r = pop3CommandReader();
  r.push(b('x'.repeat(127)));
  assert.equal(r.next('command'), null);
  r.push(b('x'));
  assert.deepEqual(r.next('command'), { kind: 'too-long' });
});

test('a larger limit for one line (bearer responses)', () => {
  const r = pop3CommandReader();
  r.push(b(`${'A'.repeat(1000)}\r\nNOOP\r\n`));
  assert.deepEqual(show([r.next('response', 2048)]), [{ kind: 'response', response: 'A'.repeat(1000) }]);
  assert.deepEqual(show([r.next('command')]), [cmd('NOOP')]);
});

test('pending() holds what follows the last line read; discard() drops it', () => {
  const r = pop3CommandReader();
  r.push(b('USER a\r\nPASS b\r\nNOOP'));
  r.next('command');
  assert.equal(r.pending().toString(), 'PASS b\r\nNOOP');
  r.discard();
  assert.equal(r.pending().length, 0);
  assert.equal(r.next('command'), null);
});

test('property: however the bytes are split, the same inputs come out', () => {
  const line = fc.oneof(
    fc.constantFrom('USER bob smith \r\n', 'PASS p w\n', 'APOP u 0123\r\n', 'AUTH PLAIN\r\n', 'CAPA\r\n', 'NOOP a b c\r\n', 'STAT\r\n', '\r\n', 'NOOP\rx\n'),
    fc.string({ maxLength: 40 }).map((s) => `USER ${s.replace(/[\r\n]/g, '')}\r\n`),
    fc.string({ maxLength: 160 }).map((s) => `${s.replace(/\n/g, '')}\n`),
  );
  fc.assert(
    fc.property(fc.array(line, { maxLength: 12 }), fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 10 }), (lines, sizes) => {
      const wire = b(lines.join(''));
      /** Reads what is complete into `out`; false once too long (the session would close). */
      const drain = (r: ReturnType<typeof pop3CommandReader>, out: Pop3Input[]): boolean => {
        for (let got = r.next('command'); got !== null; got = r.next('command')) {
          out.push(got);
          if (got.kind === 'too-long') return false;
        }
        return true;
      };
      const whole = pop3CommandReader();
      whole.push(wire);
      const expected: Pop3Input[] = [];
      drain(whole, expected);
      const split = pop3CommandReader();
      const actual: Pop3Input[] = [];
      let at = 0;
      for (let i = 0, open = true; open && at < wire.length; i++) {
        const size = sizes[i % sizes.length] as number;
        split.push(wire.subarray(at, at + size));
        at += size;
        open = drain(split, actual);
      }
      assert.deepEqual(show(actual), show(expected));
    }),
  );
});
