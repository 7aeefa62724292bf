import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { imapCommandReader, type ImapInput } from './command-reader.js';

const b = (s: string) => Buffer.from(s, 'latin1');
/** Inputs with Buffers shown as latin1 text, for readable assertions. */
function show(inputs: ImapInput[]): unknown[] {
  return inputs.map((i) => (i.kind === 'command' ? { ...i, args: i.args.map((a) => a.toString('latin1')) } : i.kind === 'line' ? { kind: 'line', line: i.line.toString('latin1') } : i));
}

/** Pushes `bytes`, then keeps pushing nothing while the reader stops after a command, as the session does. */
function drain(r: ReturnType<typeof imapCommandReader>, bytes: Buffer): ImapInput[] {
  const got: ImapInput[] = [];
  for (let more = r.push(bytes); more.length > 0; more = r.push(Buffer.alloc(0))) got.push(...more);
  return got;
}

test('atoms, quoted strings with escapes, and case-insensitive command names', () => {
  const r = imapCommandReader();
  assert.deepEqual(show(drain(r, b('a1 login alice "p a\\"ss\\\\"\r\nA.2 CAPABILITY\r\nx-_ noop\n'))), [
    { kind: 'command', tag: 'a1', name: 'LOGIN', args: ['alice', 'p a"ss\\'] },
    { kind: 'command', tag: 'A.2', name: 'CAPABILITY', args: [] },
    { kind: 'command', tag: 'x-_', name: 'NOOP', args: [] },
  ]);
});

test('a synchronizing literal asks for a continuation; its bytes may hold CR and LF', () => {
  const r = imapCommandReader();
  assert.deepEqual(show(r.push(b('a1 LOGIN {5}\r\n'))), [{ kind: 'continue' }]);
  assert.deepEqual(show(r.push(b('al\r\nx {3}\r\n'))), [{ kind: 'continue' }]);
  assert.deepEqual(show(r.push(b('p w\r\n'))), [{ kind: 'command', tag: 'a1', name: 'LOGIN', args: ['al\r\nx', 'p w'] }]);
});

test('non-synchronizing literals need no continuation; bytes may arrive one at a time', () => {
  const r = imapCommandReader();
  const got: ImapInput[] = [];
  for (const ch of b('t LOGIN {3+}\r\nbob {4+}\r\nsecr\r\nt2 LOGOUT\r\n')) got.push(...drain(r, Buffer.from([ch])));
  assert.deepEqual(show(got), [
    { kind: 'command', tag: 't', name: 'LOGIN', args: ['bob', 'secr'] },
    { kind: 'command', tag: 't2', name: 'LOGOUT', args: [] },
  ]);
});

test('invalid lines: bad tag, unknown command, too many arguments, tag too long; the next line still parses', () => {
  const r = imapCommandReader();
  assert.deepEqual(show(r.push(b('a!b NOOP\r\na1 SELECT INBOX\r\na2 LOGIN a b c d\r\n' + 'x'.repeat(33) + ' NOOP\r\na3 NOOP\r\n'))), [
    { kind: 'invalid', tag: null, quit: false },
    { kind: 'invalid', tag: 'a1', quit: false },
    { kind: 'invalid', tag: 'a2', quit: false },
    { kind: 'invalid', tag: null, quit: false },
    { kind: 'command', tag: 'a3', name: 'NOOP', args: [] },
  ]);
});

test('an invalid command ending in a non-synchronizing literal closes the session (its data cannot be framed)', () => {
  const r = imapCommandReader();
  assert.deepEqual(show(r.push(b('a1 SELECT {5+}\r\nhello\r\n'))), [{ kind: 'invalid', tag: 'a1', quit: true }]);
});

test('too long: a line or a literal beyond the buffer, with the tag nginx had read (for `<tag> BAD`)', () => {
  assert.deepEqual(show(imapCommandReader(64).push(b('a1 LOGIN ' + 'x'.repeat(100)))), [{ kind: 'too-long', tag: 'a1' }]);
  assert.deepEqual(show(imapCommandReader(64).push(b('a1 LOGIN {65}\r\n'))), [{ kind: 'too-long', tag: 'a1' }]);
  assert.deepEqual(show(imapCommandReader(64).push(b('a2 FETCH ' + 'x'.repeat(100)))), [{ kind: 'too-long', tag: 'a2' }]);
  assert.deepEqual(show(imapCommandReader(64).push(b('x'.repeat(100)))), [{ kind: 'too-long', tag: null }]);
  assert.deepEqual(show(imapCommandReader(64).push(b('a!b NOOP ' + 'x'.repeat(100)))), [{ kind: 'too-long', tag: null }]);
  const sasl = imapCommandReader(64);
  sasl.push(b('a3 AUTHENTICATE PLAIN\r\n'));
  sasl.expectLine();
  assert.deepEqual(show(sasl.push(b('A'.repeat(100)))), [{ kind: 'too-long', tag: null }]);
});

test('the buffer bounds each command, its CRLF and literals included: exactly the limit fits, a byte more is too long', () => {
  // `a1 NOOP ` + x… + CRLF: `n` bytes in all.
  const noop = (n: number) => `a1 NOOP ${'x'.repeat(n - 10)}\r\n`;
  assert.deepEqual(show(imapCommandReader(64).push(b(noop(64)))), [{ kind: 'command', tag: 'a1', name: 'NOOP', args: ['x'.repeat(54)] }]);
  assert.deepEqual(show(imapCommandReader(64).push(b(noop(65)))), [{ kind: 'too-long', tag: 'a1' }]);
  assert.deepEqual(show(imapCommandReader(64).push(b(noop(64).replace('\r\n', 'xx')))), [{ kind: 'too-long', tag: 'a1' }], '64 bytes without an LF');
  assert.deepEqual(show(imapCommandReader(64).push(b(`a1 bad${'x'.repeat(60)}\r\n`))), [{ kind: 'too-long', tag: 'a1' }], 'an invalid line too');
  // `a LOGIN {n}` CRLF (14 bytes), the n bytes, ` pw` CRLF (5 bytes).
  const login = (n: number) => {
    const r = imapCommandReader(64);
    return [...r.push(b(`a LOGIN {${n}}\r\n`)), ...r.push(b(`${'u'.repeat(n)} pw\r\n`))].map((i) => i.kind);
  };
  assert.deepEqual(login(45), ['continue', 'command']);
  assert.deepEqual(login(46), ['continue', 'too-long']);
  assert.deepEqual(show(imapCommandReader(64).push(b('a LOGIN {50}\r\n'))), [{ kind: 'too-long', tag: 'a' }], 'a literal that cannot fit is refused at once');
  const sasl = imapCommandReader(64);
  sasl.push(b('a3 AUTHENTICATE PLAIN\r\n'));
  sasl.expectLine();
  assert.deepEqual(show(sasl.push(b(`${'A'.repeat(62)}\r\n`))), [{ kind: 'line', line: 'A'.repeat(62) }]);
  sasl.expectLine();
  assert.deepEqual(show(sasl.push(b(`${'A'.repeat(63)}\r\n`))), [{ kind: 'too-long', tag: null }]);
});

test('push stops after LOGIN and after a SASL line: the bytes pipelined after them stay raw in pending()', () => {
  const r = imapCommandReader();
  assert.deepEqual(show(r.push(b('a1 LOGIN bob pw\r\na2 SELECT INBOX\r\n'))), [{ kind: 'command', tag: 'a1', name: 'LOGIN', args: ['bob', 'pw'] }]);
  assert.equal(r.pending().toString('latin1'), 'a2 SELECT INBOX\r\n');
  const s = imapCommandReader();
  s.push(b('a1 AUTHENTICATE PLAIN\r\nAGJvYgBwdw==\r\na2 SELECT INBOX\r\n'));
  s.expectLine();
  assert.deepEqual(show(s.push(Buffer.alloc(0))), [{ kind: 'line', line: 'AGJvYgBwdw==' }]);
  assert.equal(s.pending().toString('latin1'), 'a2 SELECT INBOX\r\n');
});

test('after AUTHENTICATE the session reads raw SASL lines; pipelined bytes wait for it', () => {
  const r = imapCommandReader();
  assert.deepEqual(show(r.push(b('a1 AUTHENTICATE PLAIN\r\nAGJvYgBwdw==\r\na2 NOOP\r\n'))), [{ kind: 'command', tag: 'a1', name: 'AUTHENTICATE', args: ['PLAIN'] }]);
  r.expectLine();
  assert.deepEqual(show(drain(r, Buffer.alloc(0))), [{ kind: 'line', line: 'AGJvYgBwdw==' }, { kind: 'command', tag: 'a2', name: 'NOOP', args: [] }]);
});

test('property: any login and password sent as literals come back byte for byte, however the bytes are split', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 1, max: 50 }), (user, pass, chunk) => {
      const wire = Buffer.concat([b(`z LOGIN {${user.length}+}\r\n`), Buffer.from(user), b(` {${pass.length}+}\r\n`), Buffer.from(pass), b('\r\n')]);
      const r = imapCommandReader();
      const got: ImapInput[] = [];
      for (let i = 0; i < wire.length; i += chunk) got.push(...r.push(wire.subarray(i, i + chunk)));
      assert.equal(got.length, 1);
      const c = got[0]!;
      assert.ok(c.kind === 'command');
      assert.deepEqual(c.args, [Buffer.from(user), Buffer.from(pass)]);
    }),
  );
});
