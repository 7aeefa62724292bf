import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { imapCommandReader, type ImapInput } from './command-reader.js';

const b = (s: string) => Buffer.from(s, 'latin1');
/** Inputs with Buffers shown as latin1 text, for readable assertions. */
function show(inputs: ImapInput[]): unknown[] {
  return inputs.map((i) => (i.kind === 'command' ? { ...i, args: i.args.map((a) => a.toString('latin1')) } : i.kind === 'line' ? { kind: 'line', line: i.line.toString('latin1') } : i));
}

test('atoms, quoted strings with escapes, and case-insensitive command names', () => {
  const r = imapCommandReader();
  assert.deepEqual(show(r.push(b('a1 login alice "p a\\"ss\\\\"\r\nA.2 CAPABILITY\r\nx-_ noop\n'))), [
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
  for (const ch of b('t LOGIN {3+}\r\nbob {4+}\r\nsecr\r\nt2 LOGOUT\r\n')) got.push(...r.push(Buffer.from([ch])));
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

test('too long: a line or a literal beyond the buffer', () => {
  assert.deepEqual(show(imapCommandReader(64).push(b('a1 LOGIN ' + 'x'.repeat(100)))), [{ kind: 'too-long' }]);
  assert.deepEqual(show(imapCommandReader(64).push(b('a1 LOGIN {65}\r\n'))), [{ kind: 'too-long' }]);
});

test('after AUTHENTICATE the session reads raw SASL lines; pipelined bytes wait for it', () => {
  const r = imapCommandReader();
  assert.deepEqual(show(r.push(b('a1 AUTHENTICATE PLAIN\r\nAGJvYgBwdw==\r\na2 NOOP\r\n'))), [{ kind: 'command', tag: 'a1', name: 'AUTHENTICATE', args: ['PLAIN'] }]);
  r.expectLine();
  assert.deepEqual(show(r.push(Buffer.alloc(0))), [{ kind: 'line', line: 'AGJvYgBwdw==' }, { kind: 'command', tag: 'a2', name: 'NOOP', args: [] }]);
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
