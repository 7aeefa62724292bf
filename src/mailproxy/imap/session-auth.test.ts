import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_WAIT_RETRIES, type ClientSession } from '../session.js';
import { b, b64, SALT, send, show, talk, theDialogue, type Shown } from '../session-test-support.js';
import { asked, open, reply } from './session-fixture.js';

const FAILED = { info: 'client login failed: "Invalid login or password"' };

test('ok: the proxy action logs in at the backend under the client tag with the reply credentials (§3.2)', () => {
  const s = open();
  send(s, 'a7 LOGIN bob pw\r\n');
  const actions = s.onAuthReply(reply.ok('bob@real', 'master'));
  assert.equal(actions.length, 1);
  const proxy = actions[0];
  assert.ok(proxy?.kind === 'proxy');
  assert.deepEqual([proxy.server, proxy.port, proxy.family, proxy.internalError.toString()], ['10.0.0.2', 143, 4, '* BAD internal server error\r\n']);
  // A backend that accepts: the literals' continuations, then the tagged OK.
  assert.deepEqual(talk(theDialogue(actions), ['* OK ready', '+ go', '+ go', 'a7 OK done']), { sent: 'a7 LOGIN {8}\r\nbob@real {6}\r\nmaster\r\n', toClient: 'a7 OK done\r\n' });
  assert.deepEqual(send(s, 'x NOOP\r\n'), []);
});

test('a bearer ok without Auth-Pass passes the token on (AUTHENTICATE under the client tag); with Auth-Pass the backend gets LOGIN', () => {
  const xoauth2 = (user: string) => b64(`user=${user}\x01auth=Bearer t0k.en\x01\x01`);
  const s = open({ auth: ['plain', 'xoauth2'] });
  send(s, `t1 AUTHENTICATE XOAUTH2 ${xoauth2('bob')}\r\n`);
  const passed = talk(theDialogue(s.onAuthReply(reply.ok('bob@example.com', null))), ['* OK [CAPABILITY IMAP4rev1 SASL-IR] hi', 't1 OK in']);
  assert.deepEqual(passed, { sent: `t1 AUTHENTICATE XOAUTH2 ${xoauth2('bob@example.com')}\r\n`, toClient: 't1 OK in\r\n' });
  const t = open({ auth: ['plain', 'xoauth2'] });
  send(t, `t2 AUTHENTICATE XOAUTH2 ${xoauth2('bob')}\r\n`);
  const master = talk(theDialogue(t.onAuthReply(reply.ok('bob*admin', 'master pw'))), ['* OK [CAPABILITY IMAP4rev1 LITERAL+] hi', 't2 OK in']);
  assert.equal(master.sent, 't2 LOGIN {9+}\r\nbob*admin {9+}\r\nmaster pw\r\n');
});

test('ok: commands pipelined after the login, in the same chunk or while asking, go to the backend raw (§3.5)', () => {
  const s = open();
  assert.deepEqual(send(s, 'n NOOP\r\na LOGIN bob pw\r\nb SELECT INBOX\r\nc FETCH 1'), ['n OK completed\r\n', asked('plain', 'bob', 'pw')]);
  assert.deepEqual(send(s, ' BODY[]\r\n'), []);
  assert.deepEqual(show(s.onAuthReply(reply.ok())), [{ proxy: '10.0.0.2:143', family: 4, pipelined: 'b SELECT INBOX\r\nc FETCH 1 BODY[]\r\n', internalError: '* BAD internal server error\r\n' }]);
  const sasl = open();
  assert.deepEqual(send(sasl, `a AUTHENTICATE PLAIN\r\n${b64('\0bob\0pw')}\r\nb IDLE\r\n`), ['+ \r\n', asked('plain', 'bob', 'pw')]);
  assert.deepEqual(show(sasl.onAuthReply(reply.ok())), [{ proxy: '10.0.0.2:143', family: 4, pipelined: 'b IDLE\r\n', internalError: '* BAD internal server error\r\n' }]);
});

test('ok without a password (readAuthReply prevents it for IMAP) is an internal error, not a backend login', () => {
  const s = open({ auth: ['external'] });
  send(s, 'a AUTHENTICATE EXTERNAL =\r\n');
  assert.deepEqual(show(s.onAuthReply({ ...reply.ok(), password: undefined })), [{ warn: 'auth http server did not send password' }, '* BAD internal server error\r\n', '<close>']);
});

test('fail with Auth-Wait: sleep, `<tag> NO`, then the commands already buffered, and the next attempt counts 2 (§2.3, §2.5)', () => {
  const s = open();
  assert.deepEqual(send(s, 'a1 LOGIN bob bad\r\na2 NOOP\r\n'), [asked('plain', 'bob', 'bad')]);
  assert.deepEqual(send(s, 'a3 LOGIN bob good\r\na4 NOOP\r\n'), []);
  assert.deepEqual(show(s.onAuthReply(reply.fail(2))), [FAILED, { sleep: 2 }, 'a1 NO Invalid login or password\r\n', 'a2 OK completed\r\n', asked('plain', 'bob', 'good', 2)]);
  assert.deepEqual(show(s.onAuthReply(reply.fail(1, 'again'))), [{ info: 'client login failed: "again"' }, { sleep: 1 }, 'a3 NO again\r\n', 'a4 OK completed\r\n']);
  assert.deepEqual(send(s, `a5 AUTHENTICATE PLAIN ${b64('\0bob\0x')}\r\n`), [asked('plain', 'bob', 'x', 3)]);
});

test('fail with Auth-Wait inside a SASL exchange tags the NO with the AUTHENTICATE tag', () => {
  const s = open();
  send(s, 'x1 AUTHENTICATE LOGIN\r\n');
  send(s, `${b64('bob')}\r\n`);
  send(s, `${b64('pw')}\r\n`);
  assert.deepEqual(show(s.onAuthReply(reply.fail(3))), [FAILED, { sleep: 3 }, 'x1 NO Invalid login or password\r\n']);
});

test('fail without Auth-Wait: `<tag> NO <msg>` and close (§2.6)', () => {
  const s = open();
  send(s, 'a1 LOGIN bob bad\r\na2 NOOP\r\n');
  assert.deepEqual(show(s.onAuthReply(reply.fail(0))), [FAILED, 'a1 NO Invalid login or password\r\n', '<close>']);
  assert.deepEqual(send(s, 'a3 NOOP\r\n'), []);
});

test('WAIT: re-asked after at least a second with the same attempt number and the reply credentials, then capped', () => {
  const s = open();
  send(s, 'a LOGIN bob pw\r\n');
  const wait = (waitSeconds: number, login = 'bob', password = 'pw') => s.onAuthReply({ kind: 'wait', waitSeconds, login: b(login), password: b(password) });
  assert.deepEqual(show(wait(0, 'bob2', 'pw2')), [{ sleep: 1 }, asked('plain', 'bob2', 'pw2')]);
  assert.deepEqual(show(wait(5)), [{ sleep: 5 }, asked('plain', 'bob', 'pw')]);
  for (let i = 2; i < MAX_WAIT_RETRIES; i++) assert.equal(wait(1).at(-1)?.kind, 'auth');
  assert.deepEqual(show(wait(1)), [{ warn: `auth server answered WAIT ${MAX_WAIT_RETRIES} times; giving up` }, '* BAD internal server error\r\n', '<close>']);
});

test('WAIT then a failure with Auth-Wait: the NO still carries the tag, and the client may go on', () => {
  const s = open();
  send(s, 'q LOGIN bob pw\r\n');
  s.onAuthReply({ kind: 'wait', waitSeconds: 1, login: b('bob'), password: b('pw') });
  assert.deepEqual(show(s.onAuthReply(reply.fail(1))), [FAILED, { sleep: 1 }, 'q NO Invalid login or password\r\n']);
  assert.deepEqual(send(s, 'r NOOP\r\n'), ['r OK completed\r\n']);
});

test('an auth transport or reply error: nginx\'s log line, the untagged internal error, close (§1.6)', () => {
  const s = open();
  send(s, 'a LOGIN bob pw\r\n');
  assert.deepEqual(show(s.onAuthReply({ kind: 'error', code: 'timeout', log: 'auth http server 127.0.0.1:9 timed out' })), [
    { warn: 'auth http server 127.0.0.1:9 timed out' },
    '* BAD internal server error\r\n',
    '<close>',
  ]);
  const quiet = open();
  send(quiet, 'a LOGIN bob pw\r\n');
  assert.deepEqual(show(quiet.onAuthReply({ kind: 'error', code: 'closed-early' })), ['* BAD internal server error\r\n', '<close>']);
});

test('a bearer failure: RFC 7628 error challenge after the Auth-Wait sleep, the tagged NO once the client answered', () => {
  const s = open({ auth: ['plain', 'oauthbearer', 'xoauth2'] });
  send(s, `a AUTHENTICATE XOAUTH2 ${b64('user=bob\x01auth=Bearer abc\x01\x01')}\r\n`);
  assert.deepEqual(show(s.onAuthReply(reply.fail(2))), [FAILED, { sleep: 2 }, `+ ${b64('{"status":"401","schemes":"bearer"}')}\r\n`]);
  assert.deepEqual(send(s, '\r\nb NOOP\r\n'), ['a NO Invalid login or password\r\n', 'b OK completed\r\n']);
  // Without Auth-Wait, and the client's %x01 already pipelined: the NO, then the close.
  const t = open({ auth: ['plain', 'oauthbearer', 'xoauth2'] });
  t.onData(b(`a AUTHENTICATE OAUTHBEARER ${b64('n,,\x01auth=Bearer abc\x01\x01')}\r\nAQ==\r\n`));
  assert.deepEqual(show(t.onAuthReply(reply.fail(0))), [FAILED, `+ ${b64('{"status":"invalid_token","schemes":"bearer"}')}\r\n`, 'a NO Invalid login or password\r\n', '<close>']);
});

test('onAuthReply without an auth in flight is the shell\'s bug', () => {
  assert.throws(() => open().onAuthReply(reply.ok()));
});

/** A conversation touching every command and SASL path, ending in a login with pipelined bytes. */
const SCRIPT = [
  'a CAPABILITY\r\n',
  'b NOOP\r\n',
  'c SELECT INBOX\r\n',
  'd LOGIN {3}\r\nbob\r\n',
  `e AUTHENTICATE LOGIN\r\n${b64('bob')}\r\n*\r\n`,
  'f AUTHENTICATE CRAM-MD5\r\nnope\r\n',
  `g AUTHENTICATE PLAIN\r\n${b64('bob')}\r\n`,
  'h LOGIN {5}\r\nb\r\nob {4+}\r\np w \r\n',
  'i SELECT INBOX\r\nj LOGOUT\r\n',
].join('');

function run(chunks: Buffer[]): { out: Shown[]; session: ClientSession } {
  const session = open({ auth: ['plain', 'cram-md5'] });
  const out: Shown[] = [];
  for (const chunk of chunks) out.push(...show(session.onData(chunk)));
  out.push(...show(session.onAuthReply(reply.ok())));
  return { out, session };
}

test('pipelining: one chunk and one byte at a time give the same actions', () => {
  const wire = b(SCRIPT);
  const whole = run([wire]).out;
  assert.deepEqual(whole, [
    '* CAPABILITY IMAP4 IMAP4rev1 UIDPLUS AUTH=PLAIN AUTH=CRAM-MD5\r\na OK completed\r\n',
    'b OK completed\r\n',
    'c BAD invalid command\r\n',
    '+ OK\r\n',
    'd BAD invalid command\r\n',
    '+ VXNlcm5hbWU6\r\n',
    '+ UGFzc3dvcmQ6\r\n',
    { info: 'client sent invalid base64 encoding in AUTH LOGIN command' },
    'e BAD invalid command\r\n',
    '+ PDMzNzM2MTk0Ny4xNzk1NDMyODM2QG1haWwudGVzdD4=\r\n',
    { info: 'client sent invalid CRAM-MD5 hash in AUTH CRAM-MD5 command' },
    'f BAD invalid command\r\n',
    '+ \r\n',
    { info: 'client sent invalid login in AUTH PLAIN command' },
    'g BAD invalid command\r\n',
    '+ OK\r\n',
    asked('plain', 'b\r\nob', 'p w ', 1, { salt: SALT }),
    { proxy: '10.0.0.2:143', family: 4, pipelined: 'i SELECT INBOX\r\nj LOGOUT\r\n', internalError: '* BAD internal server error\r\n' },
  ]);
  assert.deepEqual(run([...wire].map((byte) => Buffer.from([byte]))).out, whole);
});

test('property: however the bytes are split, the actions are the same', () => {
  const wire = b(SCRIPT);
  const whole = run([wire]).out;
  fc.assert(
    fc.property(fc.uniqueArray(fc.integer({ min: 1, max: wire.length - 1 }), { maxLength: 30 }), (cuts) => {
      const at = [0, ...cuts.sort((x, y) => x - y), wire.length];
      const chunks = at.slice(1).map((end, i) => wire.subarray(at[i], end));
      assert.deepEqual(run(chunks).out, whole);
    }),
  );
});
