import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LoginAttempt } from '../authclient/index.js';
import { authOutcome } from './auth-outcome.js';
import { tellFailure } from './bearer-error.js';
import { authReplies, b64, show } from './session-test-support.js';

const reply = authReplies({ server: '10.0.0.9', port: 25 });
const attempt = (protocol: LoginAttempt['protocol'], method: LoginAttempt['method']): LoginAttempt => ({ protocol, method, user: Buffer.from('bob'), pass: Buffer.from('t'), attempt: 1, clientIp: '192.0.2.7' });
const told = (a: LoginAttempt, r = reply.fail(2)) => {
  const outcome = authOutcome(r, { attempt: a, waits: 0, imapTag: 'a1' });
  assert.ok(outcome.kind !== 'proxy');
  const { now, afterAnswer } = tellFailure(r, a, outcome.actions);
  return { now: show(now), afterAnswer: afterAnswer && show(afterAnswer) };
};
const LOGGED = { info: 'client login failed: "Invalid login or password"' };

test('a bearer failure: log and sleep, then the error challenge; the failure line waits for the client\'s answer', () => {
  assert.deepEqual(told(attempt('smtp', 'oauthbearer')), {
    now: [LOGGED, { sleep: 2 }, `334 ${b64('{"status":"invalid_token","schemes":"bearer"}')}\r\n`],
    afterAnswer: ['535 5.7.0 Invalid login or password\r\n'],
  });
  assert.deepEqual(told(attempt('imap', 'xoauth2'), reply.fail(0)), {
    now: [LOGGED, `+ ${b64('{"status":"401","schemes":"bearer"}')}\r\n`],
    afterAnswer: ['a1 NO Invalid login or password\r\n', '<close>'],
  });
});

test('other failures, and bearer conclusions that are not failures, are told as they are', () => {
  assert.deepEqual(told(attempt('pop3', 'plain')), { now: [LOGGED, { sleep: 2 }, '-ERR Invalid login or password\r\n'], afterAnswer: null });
  assert.deepEqual(told(attempt('pop3', 'xoauth2'), reply.error()), { now: [{ warn: 'auth http server 127.0.0.1:9000 timed out' }, '-ERR internal server error\r\n', '<close>'], afterAnswer: null });
});
