import { test } from 'node:test';
import assert from 'node:assert/strict';
import { continueSasl, startSasl, type SaslOptions, type SaslOutcome } from './sasl-exchange.js';
import { b, b64, SALT } from './session-test-support.js';

const args = (line: string) => line.split(' ').map(b);
/** Outcomes with their bytes as text. */
function shown(o: SaslOutcome): unknown {
  if (o.kind === 'challenge') return { challenge: o.line.toString('latin1'), step: o.step.awaiting };
  if (o.kind === 'login') return { method: o.login.method, user: o.login.user.toString('latin1'), pass: o.login.pass?.toString('latin1') };
  return o;
}

test('the gate: PLAIN and LOGIN always; CRAM-MD5, EXTERNAL, OAUTHBEARER and XOAUTH2 only when enabled, initial response or not', () => {
  const none: SaslOptions = { auth: [], salt: () => SALT };
  assert.deepEqual(shown(startSasl('imap', args('PLAIN'), none)), { challenge: '+ \r\n', step: 'plain' });
  assert.deepEqual(shown(startSasl('imap', args('login'), none)), { challenge: '+ VXNlcm5hbWU6\r\n', step: 'login-username' });
  for (const line of ['CRAM-MD5', 'EXTERNAL', 'EXTERNAL =', 'OAUTHBEARER', 'XOAUTH2 =', 'GSSAPI', 'PLAIN a b']) assert.deepEqual(startSasl('pop3', args(line), none), { kind: 'refused' }, line);
  assert.deepEqual(startSasl('smtp', [], none), { kind: 'refused', noMechanism: true });
  const xoauth2: SaslOptions = { auth: ['xoauth2'], salt: () => SALT };
  assert.deepEqual(startSasl('imap', args('OAUTHBEARER'), xoauth2), { kind: 'refused' });
  assert.deepEqual(shown(startSasl('imap', args('xoauth2'), xoauth2)), { challenge: '+ \r\n', step: 'xoauth2' });
  const all: SaslOptions = { auth: ['plain', 'apop', 'cram-md5', 'external', 'none', 'oauthbearer', 'xoauth2'], salt: () => SALT };
  assert.deepEqual(shown(startSasl('pop3', args('EXTERNAL ='), all)), { method: 'external', user: '', pass: undefined });
  assert.deepEqual(shown(startSasl('pop3', args('OAUTHBEARER'), all)), { challenge: '+ \r\n', step: 'oauthbearer' });
  assert.deepEqual(startSasl('pop3', args('CRAM-MD5 eA=='), all), { kind: 'refused' }, 'no initial response for CRAM-MD5');
});

test('prompts are `+ ` or `334 `; the salt is asked for only by CRAM-MD5', () => {
  let salts = 0;
  const options: SaslOptions = { auth: ['cram-md5'], salt: () => (salts++, SALT) };
  assert.deepEqual(shown(startSasl('smtp', args('LOGIN'), options)), { challenge: '334 VXNlcm5hbWU6\r\n', step: 'login-username' });
  assert.equal(salts, 0);
  assert.deepEqual(shown(startSasl('smtp', args('CRAM-MD5'), options)), { challenge: `334 ${b64(SALT)}\r\n`, step: 'cram-md5' });
  assert.deepEqual(shown(startSasl('imap', args('CRAM-MD5'), options)), { challenge: `+ ${b64(SALT)}\r\n`, step: 'cram-md5' });
  assert.equal(salts, 2);
});

test('LOGIN: the username, then the password prompt, then the login (method plain); bad data is refused with nginx\'s log line', () => {
  const first = startSasl('smtp', args(`LOGIN ${b64('bob')}`), { auth: [], salt: () => SALT });
  assert.deepEqual(shown(first), { challenge: '334 UGFzc3dvcmQ6\r\n', step: 'login-password' });
  assert.ok(first.kind === 'challenge');
  assert.deepEqual(shown(continueSasl('smtp', first.step, b(b64('pw')))), { method: 'plain', user: 'bob', pass: 'pw' });
  assert.deepEqual(continueSasl('smtp', first.step, b('*')), { kind: 'refused', log: 'client sent invalid base64 encoding in AUTH LOGIN command' });
});

test('bearer responses: the token as the password; a malformed one is logged with its mechanism', () => {
  assert.deepEqual(shown(continueSasl('imap', { awaiting: 'xoauth2' }, b(b64('user=bob\x01auth=Bearer t0k\x01\x01')))), { method: 'xoauth2', user: 'bob', pass: 't0k' });
  assert.deepEqual(continueSasl('imap', { awaiting: 'oauthbearer' }, b('AQ==')), { kind: 'refused', log: 'client sent invalid OAUTHBEARER data: aborted' });
});
