import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LoginAttempt } from '../authclient/index.js';
import { authOutcome, type PendingAttempt } from './auth-outcome.js';
import { MAX_WAIT_RETRIES } from './session.js';

const attempt: LoginAttempt = { protocol: 'imap', method: 'plain', user: Buffer.from('alice'), pass: Buffer.from('pw'), attempt: 1, clientIp: '192.0.2.1' };
const pending: PendingAttempt = { attempt, waits: 0, imapTag: 'a1' };
const creds = { login: Buffer.from('alice'), password: Buffer.from('pw') };
const text = (b: Buffer) => b.toString('latin1');

test('ok hands the reply credentials to the backend login', () => {
  const out = authOutcome({ kind: 'ok', server: '127.0.0.1', family: 4, port: 143, login: Buffer.from('bob'), password: Buffer.from('x') }, pending);
  assert.deepEqual(out, { kind: 'proxy', server: '127.0.0.1', port: 143, family: 4, login: Buffer.from('bob'), password: Buffer.from('x') });
});

test('a bearer ok without Auth-Pass passes the client token on; with Auth-Pass it is a password login', () => {
  const bearer: PendingAttempt = { attempt: { ...attempt, method: 'xoauth2', user: Buffer.from('alice'), pass: Buffer.from('tok.en') }, waits: 0, imapTag: 'a1' };
  const ok = { kind: 'ok', server: '127.0.0.1', family: 4, port: 143, login: Buffer.from('alice@example.com') } as const;
  assert.deepEqual(authOutcome({ ...ok, password: undefined }, bearer), {
    kind: 'proxy',
    server: '127.0.0.1',
    port: 143,
    family: 4,
    login: Buffer.from('alice@example.com'),
    password: undefined,
    token: { mechanism: 'xoauth2', token: Buffer.from('tok.en') },
  });
  const withPass = authOutcome({ ...ok, password: Buffer.from('master pw') }, bearer);
  assert.ok(withPass.kind === 'proxy' && withPass.token === undefined && withPass.password?.toString() === 'master pw');
  // Not a bearer attempt: never a token, even without a password (SMTP).
  const smtp = authOutcome({ ...ok, password: undefined }, { attempt: { ...attempt, protocol: 'smtp' }, waits: 0 });
  assert.ok(smtp.kind === 'proxy' && smtp.token === undefined);
});

test('a bearer WAIT re-asks with the client token, whatever Auth-Pass the WAIT reply carried', () => {
  const bearer: PendingAttempt = { attempt: { ...attempt, method: 'oauthbearer', pass: Buffer.from('tok.en') }, waits: 0 };
  const out = authOutcome({ kind: 'wait', waitSeconds: 1, login: Buffer.from('alice@example.com'), password: Buffer.from('backend pw') }, bearer);
  const ask = out.kind === 'final' ? out.actions[1] : undefined;
  assert.ok(ask?.kind === 'auth');
  assert.equal(text(Buffer.from(ask.attempt.pass!)), 'tok.en');
  assert.equal(text(Buffer.from(ask.attempt.user)), 'alice@example.com');
});

const failedLog = (message: string) => ({ kind: 'log', level: 'info', message: `client login failed: "${message}"` }) as const;

test('a failure with Auth-Wait logs nginx\'s info line, sleeps, shows the tagged NO and lets the client go on', () => {
  const out = authOutcome({ kind: 'fail', message: Buffer.from('Invalid login'), waitSeconds: 3, log: 'client login failed: "Invalid login"', ...creds }, pending);
  assert.equal(out.kind, 'continue');
  if (out.kind !== 'continue') return;
  assert.deepEqual(out.actions.slice(0, 2), [failedLog('Invalid login'), { kind: 'sleep', seconds: 3 }]);
  assert.equal(out.actions[2]?.kind === 'write' && text(out.actions[2].bytes), 'a1 NO Invalid login\r\n');
  assert.equal(out.actions.length, 3);
});

test('a failure without Auth-Wait logs, shows the line and closes (§2.3 step 1)', () => {
  const out = authOutcome({ kind: 'fail', message: Buffer.from('go away'), smtpCode: Buffer.from('550 5.7.1'), waitSeconds: 0, log: 'client login failed: "go away"', ...creds }, { attempt: { ...attempt, protocol: 'smtp' }, waits: 0 });
  assert.equal(out.kind, 'final');
  if (out.kind !== 'final') return;
  assert.deepEqual(out.actions[0], failedLog('go away'));
  assert.equal(out.actions[1]?.kind === 'write' && text(out.actions[1].bytes), '550 5.7.1 go away\r\n');
  assert.deepEqual(out.actions[2], { kind: 'close' });
  assert.equal(out.next, null);
});

test('a failure with no log text (a hand-made reply) has no log action', () => {
  const out = authOutcome({ kind: 'fail', message: Buffer.from('no'), waitSeconds: 0, log: '', ...creds }, { attempt: { ...attempt, protocol: 'pop3' }, waits: 0 });
  assert.deepEqual(out.kind === 'final' && out.actions.map((a) => a.kind), ['write', 'close']);
});

test('WAIT re-asks after at least a second with the same attempt number and the reply credentials', () => {
  const out = authOutcome({ kind: 'wait', waitSeconds: 0, login: Buffer.from('new'), password: undefined }, pending);
  assert.equal(out.kind, 'final');
  if (out.kind !== 'final') return;
  assert.deepEqual(out.actions[0], { kind: 'sleep', seconds: 1 });
  const ask = out.actions[1];
  assert.equal(ask?.kind, 'auth');
  if (ask?.kind !== 'auth') return;
  assert.equal(ask.attempt.attempt, 1);
  assert.equal(text(Buffer.from(ask.attempt.user)), 'new');
  assert.equal(ask.attempt.pass, undefined);
  assert.equal(out.next?.waits, 1);
});

test('WAIT gives up with the internal error after MAX_WAIT_RETRIES', () => {
  const out = authOutcome({ kind: 'wait', waitSeconds: 2, ...creds }, { ...pending, waits: MAX_WAIT_RETRIES });
  assert.equal(out.kind, 'final');
  if (out.kind !== 'final') return;
  assert.deepEqual(out.actions.map((a) => a.kind), ['log', 'write', 'close']);
  assert.equal(out.actions[1]?.kind === 'write' && text(out.actions[1].bytes), '* BAD internal server error\r\n');
});

test('a transport or reply error logs nginx\'s line and closes with the internal error', () => {
  const out = authOutcome({ kind: 'error', code: 'timeout', log: 'auth http server 127.0.0.1:9 timed out' }, { attempt: { ...attempt, protocol: 'pop3' }, waits: 0 });
  assert.equal(out.kind, 'final');
  if (out.kind !== 'final') return;
  assert.deepEqual(out.actions[0], { kind: 'log', level: 'warn', message: 'auth http server 127.0.0.1:9 timed out' });
  assert.equal(out.actions[1]?.kind === 'write' && text(out.actions[1].bytes), '-ERR internal server error\r\n');
});
