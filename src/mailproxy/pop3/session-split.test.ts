import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { SessionAction } from '../session.js';
import { b, b64, show } from '../session-test-support.js';
import { open, reply } from './session-fixture.js';

/**
 * Runs a session over `chunks` as the shell would: each auth is answered with a failure after
 * Auth-Wait (so the session goes on with what is buffered), and nothing is fed after a close.
 */
function transcript(chunks: Buffer[]): unknown[] {
  const s = open({ auth: ['plain', 'apop', 'cram-md5', 'external'], maxErrors: 4 });
  const out: unknown[] = [];
  let alive = true;
  const run = (actions: SessionAction[]): void => {
    out.push(...show(actions));
    const last = actions[actions.length - 1];
    if (last?.kind === 'auth') run(s.onAuthReply(reply.fail(1)));
    else if (last?.kind === 'close') alive = false;
  };
  for (const chunk of chunks) if (alive) run(s.onData(chunk));
  return out;
}

const line = fc.constantFrom(
  'CAPA\r\n',
  'noop\n',
  'AUTH\r\n',
  'STAT\r\n',
  'USER bob smith \r\n',
  'PASS p w\r\n',
  'APOP bob 0123456789abcdef0123456789abcdef\r\n',
  `AUTH PLAIN ${b64('\0bob\0pw')}\r\n`,
  'AUTH PLAIN\r\n',
  `${b64('\0al\0x')}\r\n`,
  'AUTH LOGIN\r\n',
  `${b64('bob')}\r\n`,
  'AUTH CRAM-MD5\r\n',
  `${b64('bob 0123456789abcdef0123456789abcdef')}\r\n`,
  'AUTH EXTERNAL =\r\n',
  '*\r\n',
  `USER ${'x'.repeat(130)}\r\n`,
  'QUIT\r\n',
);

test('property: pipelined in one chunk, or split anywhere, the session does the same', () => {
  fc.assert(
    fc.property(fc.array(line, { maxLength: 14 }), fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 8 }), (lines, sizes) => {
      const wire = b(lines.join(''));
      const chunks: Buffer[] = [];
      for (let at = 0, i = 0; at < wire.length; i++) {
        const size = sizes[i % sizes.length] as number;
        chunks.push(wire.subarray(at, at + size));
        at += size;
      }
      assert.deepEqual(transcript(chunks), transcript([wire]));
      assert.deepEqual(transcript([...wire].map((byte) => Buffer.from([byte]))), transcript([wire]));
    }),
    { numRuns: 300 },
  );
});
