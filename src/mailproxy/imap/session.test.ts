import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imapSessions } from './session.js';
import { FACTS, fixedEnv, send, show } from '../session-test-support.js';
import { asked, open, settings } from './session-fixture.js';

const ALL_AUTH = { auth: ['external', 'cram-md5', 'login', 'plain'] as Array<'plain' | 'login' | 'cram-md5' | 'external'> };
const TLS = { ...FACTS, tls: { protocol: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256' } };

test('greeting (§4.2)', () => {
  assert.deepEqual(show(imapSessions(settings(), fixedEnv())(FACTS).start()), ['* OK IMAP4 ready\r\n']);
});

test('CAPABILITY: AUTH= items in nginx order whatever the configured order, then the bearer ones listed (§4.2)', () => {
  assert.deepEqual(send(open(ALL_AUTH), 'a1 CAPABILITY\r\n'), ['* CAPABILITY IMAP4 IMAP4rev1 UIDPLUS AUTH=PLAIN AUTH=LOGIN AUTH=CRAM-MD5 AUTH=EXTERNAL\r\na1 OK completed\r\n']);
  assert.deepEqual(send(open({ auth: ['plain', 'oauthbearer', 'xoauth2'], capabilities: ['IMAP4rev1'] }), 'a1 capability\r\n'), ['* CAPABILITY IMAP4rev1 AUTH=PLAIN AUTH=OAUTHBEARER AUTH=XOAUTH2\r\na1 OK completed\r\n']);
  assert.deepEqual(send(open({ auth: ['xoauth2', 'plain'] }), 'a1 CAPABILITY\r\n'), ['* CAPABILITY IMAP4 IMAP4rev1 UIDPLUS AUTH=PLAIN AUTH=XOAUTH2\r\na1 OK completed\r\n']);
});

test('CAPABILITY with starttls on and only, before and after TLS (§4.2)', () => {
  const on = open({ starttls: 'on', auth: ['plain', 'login'] });
  assert.deepEqual(send(on, 'a CAPABILITY\r\n'), ['* CAPABILITY IMAP4 IMAP4rev1 UIDPLUS AUTH=PLAIN AUTH=LOGIN STARTTLS\r\na OK completed\r\n']);
  const only = open({ starttls: 'only', auth: ['plain', 'login', 'oauthbearer', 'xoauth2'] });
  assert.deepEqual(send(only, 'a CAPABILITY\r\n'), ['* CAPABILITY IMAP4 IMAP4rev1 UIDPLUS STARTTLS LOGINDISABLED\r\na OK completed\r\n']);
  assert.deepEqual(send(only, 'b STARTTLS\r\n'), ['b OK completed\r\n', '<starttls>']);
  assert.deepEqual(show(only.onTlsStarted({ protocol: 'TLSv1.3' })), []);
  assert.deepEqual(send(only, 'c CAPABILITY\r\n'), ['* CAPABILITY IMAP4 IMAP4rev1 UIDPLUS AUTH=PLAIN AUTH=LOGIN AUTH=OAUTHBEARER AUTH=XOAUTH2\r\nc OK completed\r\n']);
  assert.deepEqual(send(open({ starttls: 'only' }, TLS), 'a CAPABILITY\r\n'), ['* CAPABILITY IMAP4 IMAP4rev1 UIDPLUS AUTH=PLAIN\r\na OK completed\r\n']);
});

test('NOOP (arguments ignored, as nginx) and LOGOUT, which closes and reads nothing more', () => {
  const s = open();
  assert.deepEqual(send(s, 'n1 NOOP\r\nn2 noop whatever\r\n'), ['n1 OK completed\r\n', 'n2 OK completed\r\n']);
  assert.deepEqual(send(s, 'z LOGOUT\r\nz2 NOOP\r\n'), ['* BYE\r\nz OK completed\r\n', '<close>']);
  assert.deepEqual(send(s, 'z3 NOOP\r\n'), []);
});

test('invalid commands: `<tag> BAD invalid command`, `* BAD` without a valid tag', () => {
  const s = open();
  assert.deepEqual(send(s, 'a1 SELECT INBOX\r\na!b NOOP\r\n\r\na2 NOOPX\r\n'), ['a1 BAD invalid command\r\n', '* BAD invalid command\r\n', '* BAD invalid command\r\n', 'a2 BAD invalid command\r\n']);
});

test('max_errors: the reply to the 5th invalid command is sent, then the connection closes (§4.1)', () => {
  const s = open();
  assert.deepEqual(send(s, 'a X\r\n'.repeat(4)), Array(4).fill('a BAD invalid command\r\n'));
  assert.deepEqual(send(s, 'b X\r\nc NOOP\r\n'), [{ info: 'client sent too many invalid commands' }, 'b BAD invalid command\r\n', '<close>']);
  assert.deepEqual(send(open({ maxErrors: 2 }), 'a X\r\nb X\r\n').slice(-2), ['b BAD invalid command\r\n', '<close>']);
});

test('max_errors counts only lines the parser refuses, as ngx_mail_read_command does; refused arguments do not count', () => {
  const s = open();
  const refusals = 'a LOGIN one\r\nb AUTHENTICATE FOO\r\nc AUTHENTICATE CRAM-MD5\r\nd LOGIN "" pw\r\ne STARTTLS\r\nf AUTHENTICATE\r\n';
  const out = send(s, refusals.repeat(3));
  assert.equal(out.length, 18);
  assert.ok(out.every((l) => typeof l === 'string' && / BAD invalid command\r\n$/.test(l)));
  assert.deepEqual(send(s, 'g NOOP\r\n'), ['g OK completed\r\n']);
  const only = open({ starttls: 'only' });
  assert.equal(send(only, 'a LOGIN u p\r\nb AUTHENTICATE PLAIN\r\n'.repeat(5)).length, 10);
  assert.deepEqual(send(only, 'c NOOP\r\n'), ['c OK completed\r\n']);
});

test('an invalid command ending in a non-synchronizing literal closes: its data cannot be framed', () => {
  assert.deepEqual(send(open(), 'a1 SELECT {5+}\r\nhello\r\n'), ['a1 BAD invalid command\r\n', '<close>']);
});

test('too long: logged without its bytes, `<tag> BAD invalid command` (`* ` without a tag), close; not sent on (§4.1)', () => {
  assert.deepEqual(send(open({ clientBuffer: 64 }), `a1 LOGIN bob ${'x'.repeat(80)}`), [{ info: 'client sent too long command' }, 'a1 BAD invalid command\r\n', '<close>']);
  assert.deepEqual(send(open({ clientBuffer: 64 }), 'x'.repeat(80)), [{ info: 'client sent too long command' }, '* BAD invalid command\r\n', '<close>']);
  const sasl = open({ clientBuffer: 64 });
  assert.deepEqual(send(sasl, 'p1 AUTHENTICATE PLAIN\r\n'), ['+ \r\n']);
  assert.deepEqual(send(sasl, 'A'.repeat(80)), [{ info: 'client sent too long command' }, 'p1 BAD invalid command\r\n', '<close>']);
});

test('STARTTLS: OK, the handshake, plaintext pipelined behind it dropped; no new greeting (§4.4)', () => {
  const s = open({ starttls: 'on' });
  assert.deepEqual(send(s, 't STARTTLS\r\nx LOGIN evil pw\r\n'), ['t OK completed\r\n', '<starttls>']);
  assert.deepEqual(send(s, 'y LOGIN evil2 pw\r\n'), []);
  assert.deepEqual(show(s.onTlsStarted({ protocol: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256' })), []);
  const [ask] = s.onData(Buffer.from('l LOGIN bob pw\r\n'));
  assert.equal(ask?.kind, 'auth');
  assert.deepEqual(ask?.kind === 'auth' && ask.attempt.tls, { protocol: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256' });
});

test('STARTTLS is an invalid command with starttls off, after STARTTLS, and on a TLS connection', () => {
  assert.deepEqual(send(open(), 't STARTTLS\r\n'), ['t BAD invalid command\r\n']);
  assert.deepEqual(send(open({ starttls: 'on' }, TLS), 't STARTTLS\r\n'), ['t BAD invalid command\r\n']);
  const s = open({ starttls: 'only' });
  send(s, 't STARTTLS\r\n');
  s.onTlsStarted({});
  assert.deepEqual(send(s, 't2 STARTTLS\r\n'), ['t2 BAD invalid command\r\n']);
});

test('starttls only: LOGIN and AUTHENTICATE refused before TLS; CAPABILITY, NOOP, LOGOUT allowed (§4.4)', () => {
  const s = open({ starttls: 'only' });
  assert.deepEqual(send(s, 'a LOGIN bob pw\r\nb AUTHENTICATE PLAIN\r\nc NOOP\r\n'), ['a BAD invalid command\r\n', 'b BAD invalid command\r\n', 'c OK completed\r\n']);
  // A literal still gets its continuation first: the parser answers before the command runs.
  assert.deepEqual(send(s, 'd LOGIN {3}\r\n'), ['+ OK\r\n']);
  assert.deepEqual(send(s, 'bob pw\r\n'), ['d BAD invalid command\r\n']);
  send(s, 'e STARTTLS\r\n');
  s.onTlsStarted({ protocol: 'TLSv1.2' });
  assert.deepEqual(send(s, 'f LOGIN bob pw\r\n'), [asked('plain', 'bob', 'pw', 1, { tls: { protocol: 'TLSv1.2' } })]);
});

test('out of order: a SASL line with no AUTHENTICATE is a command; a command during AUTHENTICATE is a SASL line', () => {
  const s = open();
  assert.deepEqual(send(s, 'AGJvYgBwdw==\r\n'), ['* BAD invalid command\r\n']);
  assert.deepEqual(send(s, 'a1 AUTHENTICATE PLAIN\r\n'), ['+ \r\n']);
  assert.deepEqual(send(s, 'a2 NOOP\r\n'), [{ info: 'client sent invalid base64 encoding in AUTH PLAIN command' }, 'a1 BAD invalid command\r\n']);
  assert.deepEqual(send(s, 'a3 NOOP\r\n'), ['a3 OK completed\r\n']);
});
