import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_WAIT_RETRIES } from '../session.js';
import { b64, FACTS, fixedEnv, SALT, send, show, showAttempt, talk, theAttempt, theDialogue } from '../session-test-support.js';
import { base, open, reply } from './session-fixture.js';

const INVALID = '500 5.5.1 Invalid command\r\n';
const DIGEST = '0123456789abcdefABCDEF0123456789';

test('AUTH PLAIN with an initial response asks at once; the authzid is dropped (§1.4)', () => {
  const s = open();
  assert.deepEqual(send(s, `AUTH PLAIN ${b64('admin\0bob\0p w')}\r\n`), [{ auth: { ...base, method: 'plain', user: 'bob', pass: 'p w' } }]);
});

test('AUTH PLAIN without one: 334 and an empty challenge, then the response; AUTH before HELO is fine (nginx does not check)', () => {
  const s = open();
  assert.deepEqual(send(s, 'auth plain\r\n'), ['334 \r\n']);
  assert.deepEqual(send(s, `${b64('\0bob\0pw')} ignored\r\n`), [{ auth: { ...base, method: 'plain', user: 'bob', pass: 'pw' } }]);
});

test('AUTH LOGIN: Username: and Password: prompts; with an initial username straight to Password:; method plain', () => {
  const s = open();
  assert.deepEqual(send(s, 'AUTH LOGIN\r\n'), ['334 VXNlcm5hbWU6\r\n']);
  assert.deepEqual(send(s, `${b64('bob')}\r\n`), ['334 UGFzc3dvcmQ6\r\n']);
  assert.deepEqual(send(s, `${b64('secret')}\r\n`), [{ auth: { ...base, method: 'plain', user: 'bob', pass: 'secret' } }]);
  const t = open();
  assert.deepEqual(send(t, `AUTH LOGIN ${b64('amy')}\r\n${b64('')}\r\n`), ['334 UGFzc3dvcmQ6\r\n', { auth: { ...base, method: 'plain', user: 'amy', pass: '' } }]);
});

test('AUTH CRAM-MD5: only when enabled; the salt is made at the first one and kept (§4.3)', () => {
  assert.deepEqual(send(open(), 'AUTH CRAM-MD5\r\n'), [INVALID]);
  const env = fixedEnv();
  const s = open({ auth: ['cram-md5'] }, FACTS, env);
  assert.equal(env.randomCalls, 0, 'no salt before the first CRAM-MD5');
  assert.deepEqual(send(s, 'AUTH CRAM-MD5\r\n'), [`334 ${b64(SALT)}\r\n`]);
  assert.deepEqual(send(s, `${b64(`bob ${DIGEST}`)}\r\n`), [{ auth: { ...base, method: 'cram-md5', user: 'bob', pass: DIGEST, salt: SALT } }]);
  assert.deepEqual(show(s.onAuthReply(reply.fail(1))).slice(-1), ['535 5.7.0 Invalid login or password\r\n']);
  assert.deepEqual(send(s, 'AUTH CRAM-MD5\r\n'), [`334 ${b64(SALT)}\r\n`]);
  assert.equal(env.randomCalls, 1);
  assert.deepEqual(send(s, `${b64(`bob ${DIGEST.slice(1)}`)}\r\n`), [
    { info: 'client sent invalid CRAM-MD5 hash in AUTH CRAM-MD5 command' },
    INVALID,
  ]);
  assert.deepEqual(send(s, 'AUTH CRAM-MD5 eA==\r\n'), [INVALID], 'no initial response for CRAM-MD5');
});

test('AUTH EXTERNAL: only when enabled; Username: prompt without an initial response; no password', () => {
  assert.deepEqual(send(open(), 'AUTH EXTERNAL =\r\n'), [INVALID]);
  const s = open({ auth: ['external'] });
  assert.deepEqual(send(s, 'AUTH EXTERNAL =\r\n'), [{ auth: { ...base, method: 'external', user: '' } }]);
  const t = open({ auth: ['external'] });
  assert.deepEqual(send(t, 'AUTH EXTERNAL\r\n'), ['334 VXNlcm5hbWU6\r\n']);
  assert.deepEqual(send(t, `${b64('carol')}\r\n`), [{ auth: { ...base, method: 'external', user: 'carol' } }]);
});

test('inside a SASL exchange every line is a response, command words included; the exchange ends on a refusal', () => {
  const s = open();
  assert.deepEqual(send(s, 'AUTH PLAIN\r\nQUIT\r\nQUIT\r\n'), ['334 \r\n', { info: 'client sent invalid login in AUTH PLAIN command' }, INVALID, '221 2.0.0 Bye\r\n', '<close>']);
  const t = open();
  assert.deepEqual(send(t, 'AUTH LOGIN\r\nNOOP\r\nRSET\r\n'), ['334 VXNlcm5hbWU6\r\n', '334 UGFzc3dvcmQ6\r\n', { auth: { ...base, method: 'plain', user: Buffer.from('NOOP', 'base64').toString('latin1'), pass: Buffer.from('RSET', 'base64').toString('latin1') } }]);
});

test('AUTH refusals: no mechanism 501, unknown or too many arguments 500, bad base64 and * cancel 500 (back to commands)', () => {
  const s = open();
  assert.deepEqual(send(s, 'AUTH\r\nAUTH XOAUTH2 x\r\nAUTH PLAIN a b\r\nAUTH LOGIN\r\n*\r\nAUTH PLAIN\r\n=\r\nNOOP\r\n'), [
    '501 5.5.4 Invalid argument\r\n',
    INVALID,
    INVALID,
    '334 VXNlcm5hbWU6\r\n',
    { info: 'client sent invalid base64 encoding in AUTH LOGIN command' },
    INVALID,
    '334 \r\n',
    { info: 'client sent invalid login in AUTH PLAIN command' },
    INVALID,
    '250 2.0.0 OK\r\n',
  ]);
});

test('OAUTHBEARER and XOAUTH2 only when listed in auth: the token as the password', () => {
  const token = 'vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==';
  const oauth = b64(`n,a=user@example.com,\x01host=mail.test\x01port=587\x01auth=Bearer ${token}\x01\x01`);
  assert.deepEqual(send(open(), `AUTH OAUTHBEARER ${oauth}\r\n`), [INVALID]);
  const s = open({ auth: ['plain', 'login', 'oauthbearer', 'xoauth2'] });
  assert.deepEqual(send(s, `AUTH OAUTHBEARER ${oauth}\r\n`), [{ auth: { ...base, method: 'oauthbearer', user: 'user@example.com', pass: token } }]);
  const t = open({ auth: ['plain', 'login', 'oauthbearer', 'xoauth2'] });
  assert.deepEqual(send(t, 'AUTH XOAUTH2\r\n'), ['334 \r\n']);
  assert.deepEqual(send(t, `${b64(`user=bob\x01auth=Bearer ${token}\x01\x01`)}\r\n`), [{ auth: { ...base, method: 'xoauth2', user: 'bob', pass: token } }]);
});

test('a bearer failure is told as RFC 7628 error challenge, then the failure line once the client answers', () => {
  const s = open({ auth: ['plain', 'login', 'oauthbearer', 'xoauth2'] });
  theAttempt(s.onData(Buffer.from(`AUTH XOAUTH2 ${b64('user=bob\x01auth=Bearer abc\x01\x01')}\r\n`)));
  const challenge = `334 ${b64('{"status":"401","schemes":"bearer"}')}\r\n`;
  assert.deepEqual(show(s.onAuthReply(reply.fail(2))), [{ info: 'client login failed: "Invalid login or password"' }, { sleep: 2 }, challenge]);
  assert.deepEqual(send(s, '\r\nNOOP\r\n'), ['535 5.7.0 Invalid login or password\r\n', '250 2.0.0 OK\r\n']);
  const t = open({ auth: ['plain', 'login', 'oauthbearer', 'xoauth2'] });
  t.onData(Buffer.from(`AUTH OAUTHBEARER ${b64('n,,\x01auth=Bearer abc\x01\x01')}\r\nAQ==\r\n`));
  assert.deepEqual(show(t.onAuthReply(reply.fail(0))), [
    { info: 'client login failed: "Invalid login or password"' },
    `334 ${b64('{"status":"invalid_token","schemes":"bearer"}')}\r\n`,
    '535 5.7.0 Invalid login or password\r\n',
    '<close>',
  ]);
});

test('OK: the backend dialogue with the reply credentials; pipelined bytes follow; the client gets 235 2.0.0 OK (§3.4)', () => {
  const s = open();
  s.onData(Buffer.from(`EHLO client.example\r\nAUTH PLAIN ${b64('\0bob\0pw')}\r\nMAIL FROM:<bob@x>\r\n`));
  const actions = s.onAuthReply(reply.ok('joe user', 'newpw'));
  assert.deepEqual(show(actions), [{ proxy: '10.0.0.5:25', family: 4, pipelined: 'MAIL FROM:<bob@x>\r\n', internalError: '451 4.3.2 Internal server error\r\n' }]);
  const { sent, toClient } = talk(theDialogue(actions), ['220 backend', '250-backend', '250 XCLIENT ADDR NAME LOGIN', '220 ok', '250 hi']);
  assert.equal(sent, 'EHLO mail.test\r\nXCLIENT ADDR=192.0.2.7 LOGIN=joe+20user NAME=[UNAVAILABLE]\r\nEHLO client.example\r\n');
  assert.equal(toClient, '235 2.0.0 OK\r\n');
  assert.deepEqual(send(s, 'NOOP\r\n'), [], 'the session is over');
});

test('OK with backend AUTH: no XCLIENT LOGIN, AUTH PLAIN with the reply credentials; no password is an internal error', () => {
  const s = open({ backendAuth: true }, { ...FACTS, clientHost: 'client.example.net' });
  s.onData(Buffer.from(`HELO c\r\nAUTH PLAIN ${b64('\0bob\0pw')}\r\n`));
  const { sent } = talk(theDialogue(s.onAuthReply(reply.ok('new user', 'new pass'))), ['220 b', '250-b', '250-XCLIENT ADDR NAME', '250 AUTH PLAIN', '250 ok', '250 hi', '235 ok']);
  assert.equal(sent, `EHLO mail.test\r\nXCLIENT ADDR=192.0.2.7 NAME=client.example.net\r\nHELO c\r\nAUTH PLAIN ${b64('\0new user\0new pass')}\r\n`);
  const t = open({ backendAuth: true, auth: ['external'] });
  t.onData(Buffer.from('AUTH EXTERNAL =\r\n'));
  assert.deepEqual(show(t.onAuthReply(reply.ok('carol', null))), [{ warn: 'no password available for AUTH to the backend' }, '451 4.3.2 Internal server error\r\n', '<close>']);
});

test('OK to a bearer login with backend AUTH: without Auth-Pass the token goes on; with it AUTH PLAIN; without backend AUTH, XCLIENT LOGIN', () => {
  const xoauth2 = (user: string) => b64(`user=${user}\x01auth=Bearer t0k\x01\x01`);
  const ehlo = ['220 b', '250-b', '250 AUTH PLAIN XOAUTH2'];
  const login = (over: Parameters<typeof open>[0], password: string | null) => {
    const s = open({ auth: ['plain', 'xoauth2'], xclient: false, ...over });
    s.onData(Buffer.from(`AUTH XOAUTH2 ${xoauth2('bob')}\r\n`));
    return theDialogue(s.onAuthReply(reply.ok('bob@example.com', password)));
  };
  assert.equal(talk(login({ backendAuth: true }, null), [...ehlo, '235 ok']).sent, `EHLO mail.test\r\nAUTH XOAUTH2 ${xoauth2('bob@example.com')}\r\n`);
  assert.equal(talk(login({ backendAuth: true }, 'pw'), [...ehlo, '235 ok']).sent, `EHLO mail.test\r\nAUTH PLAIN ${b64('\0bob@example.com\0pw')}\r\n`);
  assert.equal(talk(login({ xclient: true }, null), ['220 b', '250-b', '250 XCLIENT ADDR LOGIN NAME', '220 ok', '250 hi']).sent, 'EHLO mail.test\r\nXCLIENT ADDR=192.0.2.7 LOGIN=bob@example.com NAME=[UNAVAILABLE]\r\nEHLO mail.test\r\n');
});

test('a failure with Auth-Wait: the sleep, the line, then the commands already buffered (§2.3)', () => {
  const s = open();
  assert.equal(send(s, `AUTH PLAIN ${b64('\0bob\0pw')}\r\nNOOP\r\nAUTH PLAIN ${b64('\0bob\0pw2')}\r\nNOOP\r\n`).length, 1);
  assert.deepEqual(show(s.onAuthReply(reply.fail(3, 'Temporary problem', { smtpCode: '451 4.3.0' }))), [
    { info: 'client login failed: "Temporary problem"' },
    { sleep: 3 },
    '451 4.3.0 Temporary problem\r\n',
    '250 2.0.0 OK\r\n',
    { auth: { ...base, attempt: 2, method: 'plain', user: 'bob', pass: 'pw2' } },
  ]);
});

test('a failure without Auth-Wait: the line and close (§2.3, §2.6)', () => {
  const s = open();
  s.onData(Buffer.from(`AUTH PLAIN ${b64('\0bob\0pw')}\r\nNOOP\r\n`));
  assert.deepEqual(show(s.onAuthReply(reply.fail(0))), [{ info: 'client login failed: "Invalid login or password"' }, '535 5.7.0 Invalid login or password\r\n', '<close>']);
  assert.deepEqual(send(s, 'NOOP\r\n'), []);
});

test('WAIT: re-asked after at least a second with the same attempt number and the reply credentials, up to the cap', () => {
  const s = open();
  s.onData(Buffer.from(`AUTH PLAIN ${b64('\0bob\0pw')}\r\n`));
  for (let i = 0; i < MAX_WAIT_RETRIES; i++) {
    assert.deepEqual(show(s.onAuthReply(reply.wait(0))), [{ sleep: 1 }, { auth: { ...base, method: 'plain', user: 'waited', pass: 'waitpw' } }]);
  }
  assert.deepEqual(show(s.onAuthReply(reply.wait(5))), [
    { warn: `auth server answered WAIT ${MAX_WAIT_RETRIES} times; giving up` },
    '451 4.3.2 Internal server error\r\n',
    '<close>',
  ]);
});

test('an auth error: the log line, 451 4.3.2 Internal server error, close (§1.6)', () => {
  const s = open();
  s.onData(Buffer.from(`AUTH PLAIN ${b64('\0bob\0pw')}\r\n`));
  assert.deepEqual(show(s.onAuthReply(reply.error())), [{ warn: 'auth http server 127.0.0.1:9000 timed out' }, '451 4.3.2 Internal server error\r\n', '<close>']);
  assert.deepEqual(show(s.onAuthReply(reply.error())), [{ warn: 'auth reply with no attempt in flight; ignored' }]);
});

test('attempts count 1, 2, 3 across mechanisms; each starts from clean credentials (no stale Auth-Pass, docs/mail-proxy.md)', () => {
  const s = open({ auth: ['plain', 'external', 'none'] });
  s.onData(Buffer.from(`AUTH PLAIN ${b64('\0bob\0pw')}\r\n`));
  const second = s.onAuthReply(reply.fail(1, 'no', { smtpCode: '535 5.7.8' }));
  assert.deepEqual(show(second).slice(-1), ['535 5.7.8 no\r\n']);
  assert.deepEqual(showAttempt(theAttempt(s.onData(Buffer.from('AUTH EXTERNAL =\r\n')))), { ...base, attempt: 2, method: 'external', user: '' });
  s.onAuthReply(reply.fail(1));
  const none = showAttempt(theAttempt(s.onData(Buffer.from('MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n'))));
  assert.deepEqual(none, { ...base, attempt: 3, method: 'none', user: '', smtp: { helo: '', from: 'MAIL FROM:<a@b>', to: 'RCPT TO:<c@d>' } });
});

test('none: the first RCPT asks with the envelope verbatim; a failure is the reply to RCPT and another RCPT asks again (§4.5)', () => {
  const s = open({ auth: ['none'] }, { ...FACTS, proxyProtocol: { srcAddr: '192.0.2.7', srcPort: 5555, dstAddr: '198.51.100.1', dstPort: 25 } });
  const asked = send(s, 'EHLO client.example\r\nMAIL FROM:<a@b.c>  SIZE=100\r\nRCPT TO:<x@y.z> NOTIFY=NEVER\r\nRCPT TO:<second@y.z>\r\n');
  assert.deepEqual(asked.slice(0, 2), ['250 mail.test\r\n', '250 2.0.0 OK\r\n']);
  assert.deepEqual(asked[2], {
    auth: {
      ...base,
      method: 'none',
      user: '',
      proxyProtocol: { srcAddr: '192.0.2.7', srcPort: 5555, dstAddr: '198.51.100.1', dstPort: 25 },
      smtp: { helo: 'client.example', from: 'MAIL FROM:<a@b.c>  SIZE=100', to: 'RCPT TO:<x@y.z> NOTIFY=NEVER' },
    },
  });
  assert.deepEqual(show(s.onAuthReply(reply.fail(1, 'Relay denied', { smtpCode: '550 5.7.1' }))).slice(1), [
    { sleep: 1 },
    '550 5.7.1 Relay denied\r\n',
    { auth: { ...base, attempt: 2, method: 'none', user: '', proxyProtocol: { srcAddr: '192.0.2.7', srcPort: 5555, dstAddr: '198.51.100.1', dstPort: 25 }, smtp: { helo: 'client.example', from: 'MAIL FROM:<a@b.c>  SIZE=100', to: 'RCPT TO:<second@y.z>' } } },
  ]);
});

test('none OK: MAIL and RCPT replayed after XCLIENT and the client EHLO; the backend RCPT reply goes to the client (§3.4)', () => {
  const s = open({ auth: ['none'] });
  s.onData(Buffer.from('EHLO client.example\r\nMAIL FROM:<a@b>\r\nRCPT TO:<x@y>\r\nRCPT TO:<z@y>\r\nDATA\r\n'));
  const actions = s.onAuthReply(reply.ok('', null));
  assert.deepEqual(show(actions), [{ proxy: '10.0.0.5:25', family: 4, pipelined: 'RCPT TO:<z@y>\r\nDATA\r\n', internalError: '451 4.3.2 Internal server error\r\n' }]);
  const { sent, toClient } = talk(theDialogue(actions), ['220 b', '250-b', '250 XCLIENT ADDR NAME', '220 ok', '250 hi', '250 ok', '550 5.1.1 No such user']);
  assert.equal(sent, 'EHLO mail.test\r\nXCLIENT ADDR=192.0.2.7 NAME=[UNAVAILABLE]\r\nEHLO client.example\r\nMAIL FROM:<a@b>\r\nRCPT TO:<x@y>\r\n');
  assert.equal(toClient, '550 5.1.1 No such user\r\n');
});

test('the attempt carries the TLS facts of an implicit-TLS connection; logs never carry credentials', () => {
  const tls = { protocol: 'TLSv1.2', cipher: 'ECDHE-RSA-AES128-GCM-SHA256' };
  const s = open({ auth: ['plain', 'login', 'cram-md5'] }, { ...FACTS, tls, clientHost: 'host.example' });
  const all = [
    ...s.onData(Buffer.from(`AUTH PLAIN ${b64('\0bob\0hunter2')}\r\n`)),
    ...s.onAuthReply(reply.fail(1)),
    ...s.onData(Buffer.from(`AUTH LOGIN ${b64('bob')}\r\n!${b64('hunter2')}\r\n`)),
    ...s.onData(Buffer.from(`AUTH PLAIN !${b64('\0bob\0hunter2')}\r\nAUTH CRAM-MD5\r\n!${b64('bob hunter2')}\r\n`)),
  ];
  assert.deepEqual(theAttempt(all).tls, tls);
  assert.equal(theAttempt(all).clientHost, 'host.example');
  for (const a of all) if (a.kind === 'log') assert.ok(!a.message.includes('hunter2') && !a.message.includes(b64('hunter2')), a.message);
});
