import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LoginAttempt } from '../../authclient/index.js';
import type { ClientSession } from '../session.js';
import { imapSessions } from './session.js';
import { b, b64, FACTS, fixedEnv, SALT, send } from '../session-test-support.js';
import { asked, open, settings } from './session-fixture.js';

/** The LoginAttempt of the single `auth` action `text` produces. */
function attemptOf(s: ClientSession, text: string): LoginAttempt {
  const actions = s.onData(b(text));
  const ask = actions.at(-1);
  assert.ok(ask?.kind === 'auth', `expected an auth action, got ${JSON.stringify(actions.map((a) => a.kind))}`);
  return ask.attempt;
}

test('LOGIN: the exact LoginAttempt, method plain (§1.4), facts passed on, no Client-Host for IMAP (§1.3)', () => {
  const proxyProtocol = { srcAddr: '203.0.113.7', srcPort: 5555, dstAddr: '192.0.2.1', dstPort: 143 };
  const s = imapSessions(settings(), fixedEnv())({ clientIp: '203.0.113.7', proxyProtocol, clientHost: '[UNAVAILABLE]' });
  s.start();
  assert.deepEqual(attemptOf(s, 'a2 LOGIN user@example.com "p a%s\\\\s"\r\n'), {
    protocol: 'imap',
    method: 'plain',
    user: b('user@example.com'),
    pass: b('p a%s\\s'),
    attempt: 1,
    clientIp: '203.0.113.7',
    proxyProtocol,
  });
});

test('LOGIN with literals: `+ OK` for a synchronizing one, none for {n+}; any byte survives', () => {
  const s = open();
  assert.deepEqual(send(s, 'a LOGIN {5}\r\n'), ['+ OK\r\n']);
  assert.deepEqual(send(s, 'b\r\nob {4+}\r\np\0w\n\r\n'), [asked('plain', 'b\r\nob', 'p\u0000w\n')]);
});

test('LOGIN refusals: one or three arguments, an empty login; an empty password is allowed', () => {
  const s = open();
  assert.deepEqual(send(s, 'a LOGIN bob\r\nb LOGIN a b c\r\nc LOGIN "" pw\r\n'), ['a BAD invalid command\r\n', 'b BAD invalid command\r\n', 'c BAD invalid command\r\n']);
  assert.deepEqual(send(s, 'd LOGIN bob ""\r\n'), [asked('plain', 'bob', '')]);
});

test('AUTHENTICATE PLAIN with and without an initial response; the authzid is dropped (§4.3)', () => {
  assert.deepEqual(send(open(), `a AUTHENTICATE PLAIN ${b64('admin\0bob\0pw')}\r\n`), [asked('plain', 'bob', 'pw')]);
  const s = open();
  assert.deepEqual(send(s, 'a authenticate plain\r\n'), ['+ \r\n']);
  assert.deepEqual(send(s, `${b64('\0bob\0p\0w')}\r\n`), [asked('plain', 'bob', 'p\u0000w')]);
});

test('AUTHENTICATE LOGIN: Username: and Password: prompts, or the username as initial response; always accepted', () => {
  const s = open({ auth: [] });
  assert.deepEqual(send(s, 'a AUTHENTICATE LOGIN\r\n'), ['+ VXNlcm5hbWU6\r\n']);
  assert.deepEqual(send(s, `${b64('bob')}\r\n`), ['+ UGFzc3dvcmQ6\r\n']);
  assert.deepEqual(send(s, `${b64('pw')}\r\n`), [asked('plain', 'bob', 'pw')]);
  const ir = open();
  assert.deepEqual(send(ir, `a AUTHENTICATE LOGIN ${b64('carol')}\r\n`), ['+ UGFzc3dvcmQ6\r\n']);
  assert.deepEqual(send(ir, '=\r\n'), [asked('plain', 'carol', '')]);
});

test('a bad base64 line: logged, `<tag> BAD invalid command` (tagged, where nginx omits the tag after Username:), state reset', () => {
  const s = open();
  send(s, 'a AUTHENTICATE LOGIN\r\n');
  assert.deepEqual(send(s, '*\r\n'), [{ info: 'client sent invalid base64 encoding in AUTH LOGIN command' }, 'a BAD invalid command\r\n']);
  assert.deepEqual(send(s, `b AUTHENTICATE LOGIN ${b64('x')}\r\n`), ['+ UGFzc3dvcmQ6\r\n']);
  assert.deepEqual(send(s, 'not base64!\r\n'), [{ info: 'client sent invalid base64 encoding in AUTH LOGIN command' }, 'b BAD invalid command\r\n']);
  assert.deepEqual(send(s, `c AUTHENTICATE PLAIN ${b64('bob')}\r\n`), [{ info: 'client sent invalid login in AUTH PLAIN command' }, 'c BAD invalid command\r\n']);
  assert.deepEqual(send(s, 'd NOOP\r\n'), ['d OK completed\r\n']);
});

test('AUTHENTICATE refusals: no mechanism, unknown, too many arguments, CRAM-MD5 with an initial response', () => {
  const s = open({ auth: ['plain', 'cram-md5'] });
  assert.deepEqual(send(s, 'a AUTHENTICATE\r\nb AUTHENTICATE GSSAPI\r\nc AUTHENTICATE PLAIN x y\r\nd AUTHENTICATE CRAM-MD5 x\r\ne AUTHENTICATE OAUTHBEARER\r\n'), [
    'a BAD invalid command\r\n',
    'b BAD invalid command\r\n',
    'c BAD invalid command\r\n',
    'd BAD invalid command\r\n',
    'e BAD invalid command\r\n',
  ]);
});

test('CRAM-MD5 only when enabled; the salt is made at the first CRAM-MD5 and kept (§4.3)', () => {
  assert.deepEqual(send(open(), 'a AUTHENTICATE CRAM-MD5\r\n'), ['a BAD invalid command\r\n']);
  let randoms = 0;
  const s = imapSessions({ ...settings(), auth: ['cram-md5'] }, { ...fixedEnv(), random: () => (randoms++, 337361947) })({ clientIp: '192.0.2.7' });
  s.start();
  assert.deepEqual(send(s, 'l LOGIN bob pw\r\n'), [asked('plain', 'bob', 'pw')]);
  assert.equal(randoms, 0);
  s.onAuthReply({ kind: 'fail', message: b('no'), waitSeconds: 1, log: '', login: b('bob'), password: b('pw') });
  const challenge = `+ ${b64(SALT)}\r\n`;
  assert.deepEqual(send(s, 'a AUTHENTICATE CRAM-MD5\r\n'), [challenge]);
  const digest = 'b913a602c7eda7a495b4e6e7334d3890';
  const attempt = s.onData(b(`${b64(`bob ${digest}`)}\r\n`)).at(-1);
  assert.deepEqual(attempt?.kind === 'auth' && { ...attempt.attempt, user: attempt.attempt.user.toString(), pass: attempt.attempt.pass?.toString() }, {
    protocol: 'imap',
    method: 'cram-md5',
    user: 'bob',
    pass: digest,
    salt: SALT,
    attempt: 2,
    clientIp: '192.0.2.7',
  });
  s.onAuthReply({ kind: 'fail', message: b('no'), waitSeconds: 1, log: '', login: b('bob'), password: undefined });
  assert.deepEqual(send(s, 'b AUTHENTICATE CRAM-MD5\r\n'), [challenge]);
  assert.equal(randoms, 1);
  assert.deepEqual(send(s, `${b64('bob short')}\r\n`), [{ info: 'client sent invalid CRAM-MD5 hash in AUTH CRAM-MD5 command' }, 'b BAD invalid command\r\n']);
  // The salt stays in later attempts; whether Auth-Salt is written is the encoder's rule (§1.3 row 5).
  assert.deepEqual(send(s, 'c LOGIN bob pw\r\n'), [asked('plain', 'bob', 'pw', 3, { salt: SALT })]);
});

test('EXTERNAL only when enabled: Username: prompt or initial response, `=` for an empty login, no password', () => {
  assert.deepEqual(send(open(), 'a AUTHENTICATE EXTERNAL =\r\n'), ['a BAD invalid command\r\n']);
  const s = open({ auth: ['external'] });
  assert.deepEqual(send(s, 'a AUTHENTICATE EXTERNAL =\r\n'), [asked('external', '', undefined)]);
  const p = open({ auth: ['external'] });
  assert.deepEqual(send(p, 'a AUTHENTICATE EXTERNAL\r\n'), ['+ VXNlcm5hbWU6\r\n']);
  assert.deepEqual(attemptOf(p, `${b64('bob')}\r\n`), { protocol: 'imap', method: 'external', user: b('bob'), attempt: 1, clientIp: '192.0.2.7' });
});

test('EXTERNAL after a failed LOGIN carries no earlier password (nginx 1.22 would send the stale Auth-Pass)', () => {
  const s = open({ auth: ['external'] });
  send(s, 'a LOGIN bob secret\r\n');
  s.onAuthReply({ kind: 'fail', message: b('no'), waitSeconds: 1, log: '', login: b('bob'), password: b('from-the-reply') });
  const attempt = attemptOf(s, `b AUTHENTICATE EXTERNAL ${b64('bob')}\r\n`);
  assert.equal(attempt.pass, undefined);
  assert.equal(attempt.attempt, 2);
});

test('OAUTHBEARER and XOAUTH2 each only when listed: method and token as pass, with or without an initial response', () => {
  const bearer = b64('n,a=bob@example.com,\x01auth=Bearer tok.en-1\x01\x01');
  assert.deepEqual(send(open(), `a AUTHENTICATE OAUTHBEARER ${bearer}\r\n`), ['a BAD invalid command\r\n']);
  assert.deepEqual(send(open({ auth: ['plain', 'xoauth2'] }), `a AUTHENTICATE OAUTHBEARER ${bearer}\r\n`), ['a BAD invalid command\r\n']);
  assert.deepEqual(send(open({ auth: ['plain', 'oauthbearer', 'xoauth2'] }), `a AUTHENTICATE OAUTHBEARER ${bearer}\r\n`), [asked('oauthbearer', 'bob@example.com', 'tok.en-1')]);
  const s = open({ auth: ['plain', 'oauthbearer', 'xoauth2'] });
  assert.deepEqual(send(s, 'a AUTHENTICATE XOAUTH2\r\n'), ['+ \r\n']);
  assert.deepEqual(send(s, `${b64('user=carol\x01auth=Bearer abc=\x01\x01')}\r\n`), [asked('xoauth2', 'carol', 'abc=')]);
  const bad = open({ auth: ['plain', 'oauthbearer', 'xoauth2'] });
  send(bad, 'a AUTHENTICATE OAUTHBEARER\r\n');
  assert.deepEqual(send(bad, `${b64('n,,\x01auth=Basic x\x01\x01')}\r\n`), [{ info: 'client sent invalid OAUTHBEARER data: auth is not "Bearer <b64token>"' }, 'a BAD invalid command\r\n']);
});
