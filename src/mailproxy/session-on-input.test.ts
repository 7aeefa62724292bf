/**
 * A session made at the client's first input: the greeting comes without the state machine, and
 * once made the machine gets every call, the first input included, and is made only once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuthReply, ClientTls } from '../authclient/index.js';
import type { ClientSession, ConnectionFacts, SessionAction, SessionEnv } from './session.js';
import { write } from './session-actions.js';
import { sessionsOnInput, type SessionKind } from './session-on-input.js';

const env: SessionEnv = { serverName: 'mx.example', random: () => 4, unixTime: () => 1 };
const facts: ConnectionFacts = { clientIp: '192.0.2.7' };
const text = (actions: SessionAction[]): string[] => actions.map((a) => (a.kind === 'write' ? a.bytes.toString() : a.kind));

function kind(): SessionKind<{ name: string }> & { made: number; calls: string[] } {
  const k = {
    made: 0,
    calls: [] as string[],
    greeting: (s: { name: string }, e: SessionEnv): SessionAction[] => [write(`hello ${s.name} from ${e.serverName}`)],
    machine(s: { name: string }, _e: SessionEnv, f: ConnectionFacts): ClientSession {
      k.made++;
      return {
        start: () => assert.fail('the machine is never started: the greeting went out already'),
        onData: (b) => (k.calls.push(`data ${b.toString()} ${s.name} ${f.clientIp}`), [write('ok')]),
        onTlsStarted: (t) => (k.calls.push(`tls ${t.protocol}`), []),
        onAuthReply: (r) => (k.calls.push(`reply ${r.kind}`), []),
      };
    },
  };
  return k;
}

test('greets without making the machine; makes it once, at the first input, with the settings and facts', () => {
  const k = kind();
  const s = sessionsOnInput(k, { name: 'imap' }, env)(facts);
  assert.deepEqual(text(s.start()), ['hello imap from mx.example']);
  assert.equal(k.made, 0);
  assert.deepEqual(text(s.onData(Buffer.from('a'))), ['ok']);
  s.onData(Buffer.from('b'));
  s.onTlsStarted({ protocol: 'TLSv1.3' } as ClientTls);
  s.onAuthReply({ kind: 'error' } as AuthReply);
  assert.equal(k.made, 1);
  assert.deepEqual(k.calls, ['data a imap 192.0.2.7', 'data b imap 192.0.2.7', 'tls TLSv1.3', 'reply error']);
});

test('sessions of one factory keep their own facts and machines', () => {
  const k = kind();
  const open = sessionsOnInput(k, { name: 'pop3' }, env);
  const a = open(facts);
  const b = open({ clientIp: '198.51.100.9' });
  a.start();
  b.start();
  b.onData(Buffer.from('x'));
  a.onData(Buffer.from('y'));
  assert.equal(k.made, 2);
  assert.deepEqual(k.calls, ['data x pop3 198.51.100.9', 'data y pop3 192.0.2.7']);
});
