import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_WAIT_RETRIES } from '../session.js';
import { SALT, b, b64, send, show, talk, theDialogue } from '../session-test-support.js';
import { base, open, reply } from './session-fixture.js';

const INVALID = '-ERR invalid command\r\n';

test('a bearer ok without Auth-Pass passes the token on with AUTH; with Auth-Pass the backend gets USER/PASS', () => {
  const oauth = (user: string) => b64(`n,a=${user},\x01auth=Bearer t0k\x01\x01`);
  const s = open({ auth: ['plain', 'oauthbearer'] });
  send(s, `AUTH OAUTHBEARER ${oauth('bob')}\r\n`);
  assert.deepEqual(talk(theDialogue(s.onAuthReply(reply.ok('bob@example.com', null))), ['+OK ready', '+OK in']), { sent: `AUTH OAUTHBEARER ${oauth('bob@example.com')}\r\n`, toClient: '+OK in\r\n' });
  const t = open({ auth: ['plain', 'oauthbearer'] });
  send(t, `AUTH OAUTHBEARER ${oauth('bob')}\r\n`);
  assert.equal(talk(theDialogue(t.onAuthReply(reply.ok('bob', 'pw'))), ['+OK', '+OK', '+OK in']).sent, 'USER bob\r\nPASS pw\r\n');
});

test('USER then PASS: method plain, the rest of each line as typed, no salt without apop/cram-md5', () => {
  assert.deepEqual(send(open(), 'USER bob smith \r\nPASS  p w \r\n'), ['+OK\r\n', { auth: { ...base, method: 'plain', user: 'bob smith ', pass: 'p w ', attempt: 1 } }]);
  // The session's salt goes with every attempt; authclient decides when Auth-Salt is written.
  assert.deepEqual(send(open({ auth: ['plain', 'apop'] }), 'USER bob\r\nPASS pw\r\n')[1], { auth: { ...base, method: 'plain', user: 'bob', pass: 'pw', salt: SALT, attempt: 1 } });
});

test('AUTH PLAIN with and without an initial response; the authzid is dropped', () => {
  const plain = b64('admin\0bob\0p\0w');
  const attempt = { auth: { ...base, method: 'plain', user: 'bob', pass: 'p\0w', attempt: 1 } };
  assert.deepEqual(send(open(), `AUTH PLAIN ${plain}\r\n`), [attempt]);
  const s = open();
  assert.deepEqual(send(s, 'auth plain\r\n'), ['+ \r\n']);
  assert.deepEqual(send(s, `${plain}\r\n`), [attempt]);
});

test('AUTH LOGIN: Username: then Password:, or the username as initial response', () => {
  const attempt = { auth: { ...base, method: 'plain', user: 'bob', pass: 'pw', attempt: 1 } };
  const s = open();
  assert.deepEqual(send(s, 'AUTH LOGIN\r\n'), ['+ VXNlcm5hbWU6\r\n']);
  assert.deepEqual(send(s, `${b64('bob')}\r\n`), ['+ UGFzc3dvcmQ6\r\n']);
  assert.deepEqual(send(s, `${b64('pw')}\r\n`), [attempt]);
  assert.deepEqual(send(open(), `AUTH LOGIN ${b64('bob')}\r\n${b64('pw')}\r\n`), ['+ UGFzc3dvcmQ6\r\n', attempt]);
});

test('a SASL answer is the first field of its line (nginx reads it as an AUTH argument)', () => {
  assert.deepEqual(send(open(), `AUTH LOGIN\r\n${b64('bob')} junk\r\n ${b64('pw')}\r\n`), ['+ VXNlcm5hbWU6\r\n', '+ UGFzc3dvcmQ6\r\n', { auth: { ...base, method: 'plain', user: 'bob', pass: '', attempt: 1 } }]);
});

test('bad SASL data: logged, invalid-command reply, back to the start state, not counted', () => {
  const s = open({ maxErrors: 1 });
  assert.deepEqual(send(s, 'AUTH PLAIN\r\n*\r\n'), ['+ \r\n', { info: 'client sent invalid base64 encoding in AUTH PLAIN command' }, INVALID]);
  assert.deepEqual(send(s, `AUTH PLAIN ${b64('bob')}\r\n`), [{ info: 'client sent invalid login in AUTH PLAIN command' }, INVALID]);
  assert.deepEqual(send(s, 'AUTH LOGIN !!!!\r\nNOOP\r\n'), [{ info: 'client sent invalid base64 encoding in AUTH LOGIN command' }, INVALID, '+OK\r\n']);
});

test('a line the parser refuses in the middle of SASL counts and resets the exchange', () => {
  assert.deepEqual(send(open(), 'AUTH LOGIN\r\na b c d\r\nNOOP\r\n'), ['+ VXNlcm5hbWU6\r\n', INVALID, '+OK\r\n']);
});

test('AUTH CRAM-MD5: only when enabled, no initial response, the salt as challenge, split at the first space', () => {
  assert.deepEqual(send(open(), 'AUTH CRAM-MD5\r\n'), [INVALID]);
  assert.deepEqual(send(open({ auth: ['cram-md5'] }), 'AUTH CRAM-MD5 eA==\r\n'), [INVALID]);
  const s = open({ auth: ['plain', 'cram-md5'] });
  assert.deepEqual(send(s, 'AUTH CRAM-MD5\r\n'), [`+ ${b64(SALT)}\r\n`]);
  const digest = 'b913a602c7eda7a495b4e6e7334d3890';
  assert.deepEqual(send(s, `${b64(`bob ${digest}`)}\r\n`), [{ auth: { ...base, method: 'cram-md5', user: 'bob', pass: digest, salt: SALT, attempt: 1 } }]);
  assert.deepEqual(send(open({ auth: ['cram-md5'] }), `AUTH CRAM-MD5\r\n${b64('bob short')}\r\n`), [
    `+ ${b64(SALT)}\r\n`,
    { info: 'client sent invalid CRAM-MD5 hash in AUTH CRAM-MD5 command' },
    INVALID,
  ]);
});

test('AUTH EXTERNAL: only when enabled (initial response or not), Username: prompt, no password', () => {
  assert.deepEqual(send(open(), 'AUTH EXTERNAL\r\nAUTH EXTERNAL =\r\n'), [INVALID, INVALID]);
  const s = open({ auth: ['plain', 'external'] });
  assert.deepEqual(send(s, 'AUTH EXTERNAL\r\n'), ['+ VXNlcm5hbWU6\r\n']);
  assert.deepEqual(send(s, '=\r\n'), [{ auth: { ...base, method: 'external', user: '', attempt: 1 } }]);
  // 1.22 sends Auth-Salt with external too when the session has one (§7): the salt is passed on.
  assert.deepEqual(send(open({ auth: ['apop', 'external'] }), `AUTH EXTERNAL ${b64('bob')}\r\n`), [{ auth: { ...base, method: 'external', user: 'bob', salt: SALT, attempt: 1 } }]);
});

test('bearer mechanisms each only when listed in auth; a long response fits after the empty challenge', () => {
  const token = `ya29.${'a'.repeat(300)}`;
  const oauthbearer = b64(`n,a=bob@example.com,\x01auth=Bearer ${token}\x01\x01`);
  assert.deepEqual(send(open(), 'AUTH OAUTHBEARER\r\n'), [INVALID]);
  const xOnly = open({ auth: ['plain', 'xoauth2'] });
  assert.deepEqual(send(xOnly, 'AUTH\r\n'), ['+OK methods supported:\r\nPLAIN\r\nLOGIN\r\nXOAUTH2\r\n.\r\n']);
  assert.deepEqual(send(xOnly, 'AUTH OAUTHBEARER\r\n'), [INVALID]);
  const s = open({ auth: ['plain', 'oauthbearer', 'xoauth2'] });
  assert.deepEqual(send(s, 'AUTH OAUTHBEARER\r\n'), ['+ \r\n']);
  assert.deepEqual(send(s, `${oauthbearer}\r\n`), [{ auth: { ...base, method: 'oauthbearer', user: 'bob@example.com', pass: token, attempt: 1 } }]);
  const short = b64('user=bob\x01auth=Bearer t0k\x01\x01');
  assert.deepEqual(send(open({ auth: ['plain', 'oauthbearer', 'xoauth2'] }), `AUTH XOAUTH2 ${short}\r\n`), [{ auth: { ...base, method: 'xoauth2', user: 'bob', pass: 't0k', attempt: 1 } }]);
  assert.deepEqual(send(open({ auth: ['plain', 'oauthbearer', 'xoauth2'] }), `AUTH XOAUTH2\r\n${b64('user=bob\x01\x01')}\r\n`), ['+ \r\n', { info: 'client sent invalid XOAUTH2 data: not user=...^Aauth=...^A^A' }, INVALID]);
});

test('success: the backend login uses the reply credentials; pipelined bytes go along', () => {
  const s = open();
  assert.equal(send(s, 'USER bob\r\nPASS pw\r\nSTAT\r\nLIST\r\n').length, 2);
  const actions = s.onAuthReply(reply.ok('bob@backend', 'master'));
  assert.deepEqual(show(actions), [{ proxy: '10.0.0.2:110', family: 4, pipelined: 'STAT\r\nLIST\r\n', internalError: '-ERR internal server error\r\n' }]);
  const proxy = actions[0];
  assert.ok(proxy?.kind === 'proxy');
  assert.deepEqual(proxy.dialogue.onLine(b('+OK ready')), { kind: 'send', bytes: b('USER bob@backend\r\n') });
  assert.deepEqual(proxy.dialogue.onLine(b('+OK')), { kind: 'send', bytes: b('PASS master\r\n') });
  assert.deepEqual(proxy.dialogue.onLine(b('+OK logged in')), { kind: 'done', toClient: b('+OK logged in\r\n') });
  assert.deepEqual(send(s, 'NOOP\r\n'), []);
});

test('failure with Auth-Wait: sleep, the -ERR line, then the commands pipelined meanwhile, attempt 2', () => {
  const s = open();
  send(s, 'USER bob\r\nPASS wrong\r\nUSER bob\r\nPASS right\r\n');
  assert.deepEqual(show(s.onAuthReply(reply.fail(2))), [
    { info: 'client login failed: "Invalid login or password"' },
    { sleep: 2 },
    '-ERR Invalid login or password\r\n',
    '+OK\r\n',
    { auth: { ...base, method: 'plain', user: 'bob', pass: 'right', attempt: 2 } },
  ]);
});

test('after a failure POP3 starts over: PASS alone is refused (§2.3)', () => {
  const s = open();
  send(s, 'USER bob\r\nPASS wrong\r\n');
  assert.deepEqual(show(s.onAuthReply(reply.fail(1))), [{ info: 'client login failed: "Invalid login or password"' }, { sleep: 1 }, '-ERR Invalid login or password\r\n']);
  assert.deepEqual(send(s, 'PASS again\r\n'), [INVALID]);
});

test('failure without Auth-Wait: the -ERR line, then close', () => {
  const s = open();
  send(s, 'USER bob\r\nPASS wrong\r\nNOOP\r\n');
  assert.deepEqual(show(s.onAuthReply(reply.fail(0, 'Go away'))), [{ info: 'client login failed: "Go away"' }, '-ERR Go away\r\n', '<close>']);
  assert.deepEqual(send(s, 'NOOP\r\n'), []);
});

test('a bearer failure: RFC 7628 error challenge after the Auth-Wait sleep, the -ERR line once the client answered', () => {
  const failed = { info: 'client login failed: "Invalid login or password"' };
  const s = open({ auth: ['plain', 'oauthbearer', 'xoauth2'] });
  send(s, `AUTH XOAUTH2 ${b64('user=bob\x01auth=Bearer abc\x01\x01')}\r\n`);
  assert.deepEqual(show(s.onAuthReply(reply.fail(2))), [failed, { sleep: 2 }, `+ ${b64('{"status":"401","schemes":"bearer"}')}\r\n`]);
  assert.deepEqual(send(s, '\r\nNOOP\r\n'), ['-ERR Invalid login or password\r\n', '+OK\r\n']);
  // Without Auth-Wait, and the client's %x01 already pipelined: the -ERR line, then the close.
  const t = open({ auth: ['plain', 'oauthbearer', 'xoauth2'] });
  t.onData(b(`AUTH OAUTHBEARER ${b64('n,,\x01auth=Bearer abc\x01\x01')}\r\nAQ==\r\n`));
  assert.deepEqual(show(t.onAuthReply(reply.fail(0))), [failed, `+ ${b64('{"status":"invalid_token","schemes":"bearer"}')}\r\n`, '-ERR Invalid login or password\r\n', '<close>']);
});

test('WAIT: asked again after at least a second, same attempt number, reply credentials; capped', () => {
  const s = open({ auth: ['plain', 'cram-md5'] });
  send(s, 'USER bob\r\nPASS pw\r\n');
  // The reply's credentials are the session's now (§2.4): for CRAM-MD5 the digest would be gone.
  assert.deepEqual(show(s.onAuthReply(reply.wait(0, 'bob2', 'pw2'))), [{ sleep: 1 }, { auth: { ...base, method: 'plain', user: 'bob2', pass: 'pw2', salt: SALT, attempt: 1 } }]);
  assert.deepEqual(show(s.onAuthReply(reply.wait(3, 'bob2', 'pw2')))[0], { sleep: 3 });
});

test('WAIT retries stop after MAX_WAIT_RETRIES with the internal error', () => {
  const s = open();
  send(s, 'USER bob\r\nPASS pw\r\n');
  for (let i = 1; i <= MAX_WAIT_RETRIES; i++) {
    const actions = show(s.onAuthReply(reply.wait(5)));
    assert.deepEqual(actions[0], { sleep: 5 });
    assert.equal((actions[1] as { auth: { attempt: number } }).auth.attempt, 1);
  }
  assert.deepEqual(show(s.onAuthReply(reply.wait(5))), [{ warn: `auth server answered WAIT ${MAX_WAIT_RETRIES} times; giving up` }, '-ERR internal server error\r\n', '<close>']);
});

test('an auth transport or reply error: logged, internal error, close', () => {
  const s = open();
  send(s, 'USER bob\r\nPASS pw\r\n');
  assert.deepEqual(show(s.onAuthReply(reply.error())), [{ warn: 'auth http server 127.0.0.1:9000 timed out' }, '-ERR internal server error\r\n', '<close>']);
});

test('attempts count 1, 2, 3 and each starts from clean credentials (no stale Auth-Pass into EXTERNAL)', () => {
  const s = open({ auth: ['plain', 'external'] });
  assert.equal((send(s, 'USER a\r\nPASS 1\r\n')[1] as { auth: { attempt: number } }).auth.attempt, 1);
  s.onAuthReply(reply.fail(1, 'no', { login: 'a', password: 'stale-password' }));
  assert.deepEqual(send(s, `AUTH EXTERNAL ${b64('a')}\r\n`), [{ auth: { ...base, method: 'external', user: 'a', attempt: 2 } }]);
  s.onAuthReply(reply.fail(1));
  assert.equal((send(s, `AUTH PLAIN ${b64('\0a\0b')}\r\n`)[0] as { auth: { attempt: number } }).auth.attempt, 3);
});

test('PROXY protocol facts go into the attempt; Client-Host never does for POP3 (§1.3)', () => {
  const proxyProtocol = { srcAddr: '203.0.113.7', srcPort: 5555, dstAddr: '192.0.2.1', dstPort: 110 };
  const s = open({}, { clientIp: '203.0.113.7', proxyProtocol, clientHost: 'host.example' });
  assert.deepEqual(send(s, 'USER a\r\nPASS b\r\n')[1], { auth: { protocol: 'pop3', clientIp: '203.0.113.7', proxyProtocol, method: 'plain', user: 'a', pass: 'b', attempt: 1 } });
});

test('auth replies and TLS completions out of turn are ignored', () => {
  const s = open();
  assert.deepEqual(show(s.onAuthReply(reply.ok())), []);
  assert.deepEqual(show(s.onTlsStarted({})), []);
  assert.deepEqual(send(s, 'NOOP\r\n'), ['+OK\r\n']);
});
