import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imapBackendLogin, pop3BackendLogin, smtpBackendSetup, xtext, type BackendDialogue, type BackendStep } from './index.js';

/** Feeds backend lines and returns what was sent (as text) and the last step. */
function talk(d: BackendDialogue, lines: string[]): { sent: string; last: BackendStep } {
  let sent = '';
  let last: BackendStep = { kind: 'more' };
  for (const l of lines) {
    last = d.onLine(Buffer.from(l, 'latin1'));
    if (last.kind === 'send') sent += last.bytes.toString('latin1');
  }
  return { sent, last };
}
const b = (s: string) => Buffer.from(s, 'latin1');
const toClient = (s: BackendStep) => (s.kind === 'done' ? s.toClient.toString('latin1') : `not done: ${JSON.stringify(s)}`);

test('IMAP: synchronizing literals under the client tag, as nginx (§3.2), the tagged OK to the client', () => {
  const { sent, last } = talk(imapBackendLogin({ tag: 'a2', user: b('user@example.com'), pass: b('p a%s\\') }), ['* OK ready', '+ OK', '+ OK', 'a2 OK Logged in']);
  assert.equal(sent, 'a2 LOGIN {16}\r\nuser@example.com {6}\r\np a%s\\\r\n');
  assert.equal(toClient(last), 'a2 OK Logged in\r\n');
});

test('IMAP: LITERAL+ in the greeting sends the whole LOGIN at once; CR/LF inside literals are safe', () => {
  const d = imapBackendLogin({ tag: 'x', user: b('bob'), pass: b('two\r\nlines') });
  const first = d.onLine(b('* OK [CAPABILITY IMAP4rev1 SASL-IR LITERAL+ AUTH=PLAIN] Dovecot ready.'));
  assert.equal(first.kind === 'send' && first.bytes.toString('latin1'), 'x LOGIN {3+}\r\nbob {10+}\r\ntwo\r\nlines\r\n');
  assert.equal(toClient(d.onLine(b('x OK [CAPABILITY IMAP4rev1] Logged in'))), 'x OK [CAPABILITY IMAP4rev1] Logged in\r\n');
});

test('IMAP: untagged lines before the tagged OK are passed on (nginx 1.22 fails the login, §3.2)', () => {
  const { last } = talk(imapBackendLogin({ tag: 'a1', user: b('u'), pass: b('p') }), ['* OK hi', '+ go', '+ go', '* CAPABILITY IMAP4rev1 IDLE', 'a1 OK done']);
  assert.equal(toClient(last), '* CAPABILITY IMAP4rev1 IDLE\r\na1 OK done\r\n');
});

test('IMAP: refusals — PREAUTH, a bad greeting, a tagged NO, a NO instead of the continuation', () => {
  const r = (lines: string[]) => talk(imapBackendLogin({ tag: 'a1', user: b('u'), pass: b('p') }), lines).last;
  assert.deepEqual(r(['* PREAUTH welcome']), { kind: 'refused', line: '* PREAUTH welcome', detail: 'the backend logged in without a password (PREAUTH)' });
  assert.equal(r(['* BYE go away']).kind, 'refused');
  const no = r(['* OK', '+', '+', 'a1 NO [AUTHENTICATIONFAILED] Authentication failed.']);
  assert.deepEqual(no, { kind: 'refused', line: 'a1 NO [AUTHENTICATIONFAILED] Authentication failed.', detail: 'the backend refused the login' });
  assert.equal(r(['* OK', 'a1 BAD literal too big']).kind, 'refused');
  assert.equal(r(['* OK', '+', '+', 'a9 OK other tag']).kind, 'refused');
});

test('POP3: USER then PASS, the final +OK to the client (§3.3)', () => {
  const { sent, last } = talk(pop3BackendLogin({ user: b('alice'), pass: b('pw with spaces ') }), ['+OK Dovecot ready.', '+OK', '+OK Logged in.']);
  assert.equal(sent, 'USER alice\r\nPASS pw with spaces \r\n');
  assert.equal(toClient(last), '+OK Logged in.\r\n');
});

test('POP3: a line break in the login is never sent (it would inject a command); -ERR is a refusal', () => {
  const { sent, last } = talk(pop3BackendLogin({ user: b('alice\r\nDELE 1'), pass: b('pw') }), ['+OK ready']);
  assert.equal(sent, '');
  assert.equal(last.kind, 'refused');
  assert.deepEqual(talk(pop3BackendLogin({ user: b('a'), pass: b('b') }), ['+OK', '+OK', '-ERR [AUTH] Authentication failed.']).last, {
    kind: 'refused',
    line: '-ERR [AUTH] Authentication failed.',
    detail: 'the backend refused the login',
  });
});

test('xtext encodes what would inject XCLIENT attributes (RFC 3461 §4)', () => {
  assert.equal(xtext(b('joe user')), 'joe+20user');
  assert.equal(xtext(b('a=b+c')), 'a+3Db+2Bc');
  assert.equal(xtext(b('\x7f\xc3\xab')), '+7F+C3+AB');
  assert.equal(xtext(b('alice@example.com')), 'alice@example.com');
});

const EHLO_XCLIENT = ['250-backend.test', '250-PIPELINING', '250-XCLIENT ADDR LOGIN NAME', '250-AUTH PLAIN LOGIN', '250 8BITMIME'];

test('SMTP submission: EHLO, XCLIENT with an encoded LOGIN, the client EHLO replayed, 235 synthesized (§3.4)', () => {
  const d = smtpBackendSetup({ serverName: 'mail.test', clientHelo: { verb: 'EHLO', name: 'client.example' }, xclient: { addr: '192.0.2.7', name: null, login: b('joe user') }, auth: null, envelope: null });
  const { sent, last } = talk(d, ['220 backend ESMTP', ...EHLO_XCLIENT, '220 backend ESMTP', '250-backend.test', '250 AUTH PLAIN']);
  assert.equal(sent, 'EHLO mail.test\r\nXCLIENT ADDR=192.0.2.7 LOGIN=joe+20user NAME=[UNAVAILABLE]\r\nEHLO client.example\r\n');
  assert.equal(toClient(last), '235 2.0.0 OK\r\n');
  assert.deepEqual(d.offered, { xclient: false, auth: ['PLAIN'] });
});

test('SMTP: IPv6 addresses as IPV6:, no LOGIN when empty, no XCLIENT when the backend does not offer it', () => {
  const v6 = talk(smtpBackendSetup({ serverName: 'm', clientHelo: null, xclient: { addr: '::1', name: 'host.example', login: b('') }, auth: null, envelope: null }), ['220 x', ...EHLO_XCLIENT, '220 x', '250 ok']);
  assert.equal(v6.sent, 'EHLO m\r\nXCLIENT ADDR=IPV6:::1 NAME=host.example\r\nEHLO m\r\n');
  const none = smtpBackendSetup({ serverName: 'm', clientHelo: { verb: 'HELO', name: 'c' }, xclient: { addr: '192.0.2.1', name: null, login: null }, auth: null, envelope: null });
  const r = talk(none, ['220 x', '250-x', '250 SIZE 100']);
  assert.equal(r.sent, 'EHLO m\r\n');
  assert.equal(toClient(r.last), '235 2.0.0 OK\r\n');
  assert.equal(none.offered.xclient, false);
});

test('SMTP inbound (Auth-Method none): MAIL and RCPT replayed verbatim; the RCPT reply, even 550, goes to the client', () => {
  const d = smtpBackendSetup({ serverName: 'mx.test', clientHelo: { verb: 'HELO', name: 'sender.example' }, xclient: { addr: '198.51.100.2', name: null, login: null }, auth: null, envelope: { mailFrom: 'MAIL FROM:<a@b.example> SIZE=10', rcptTo: 'RCPT TO:<bob@example.com>' } });
  const { sent, last } = talk(d, ['220 x', ...EHLO_XCLIENT, '220 x', '250 x', '250 2.1.0 Ok', '550-5.1.1 no such user', '550 5.1.1 really']);
  assert.equal(sent, 'EHLO mx.test\r\nXCLIENT ADDR=198.51.100.2 NAME=[UNAVAILABLE]\r\nHELO sender.example\r\nMAIL FROM:<a@b.example> SIZE=10\r\nRCPT TO:<bob@example.com>\r\n');
  assert.equal(toClient(last), '550-5.1.1 no such user\r\n550 5.1.1 really\r\n');
});

test('SMTP AUTH to the backend: PLAIN when offered (no XCLIENT LOGIN then), else LOGIN; none offered is a refusal', () => {
  const auth = { user: b('new user'), pass: b('new pass') };
  const plain = talk(smtpBackendSetup({ serverName: 'm', clientHelo: null, xclient: { addr: '192.0.2.1', name: null, login: b('new user') }, auth, envelope: null }), ['220 x', ...EHLO_XCLIENT, '220 x', '250-x', '250 AUTH LOGIN PLAIN', '235 ok']);
  assert.equal(plain.sent, 'EHLO m\r\nXCLIENT ADDR=192.0.2.1 NAME=[UNAVAILABLE]\r\nEHLO m\r\nAUTH PLAIN AG5ldyB1c2VyAG5ldyBwYXNz\r\n');
  assert.equal(toClient(plain.last), '235 2.0.0 OK\r\n');
  const login = talk(smtpBackendSetup({ serverName: 'm', clientHelo: null, xclient: null, auth, envelope: null }), ['220 x', '250-x', '250 AUTH LOGIN', '334 VXNlcm5hbWU6', '235 ok']);
  assert.equal(login.sent, `EHLO m\r\nAUTH LOGIN ${Buffer.from('new user').toString('base64')}\r\n${Buffer.from('new pass').toString('base64')}\r\n`);
  assert.equal(toClient(login.last), '235 2.0.0 OK\r\n');
  const nothing = talk(smtpBackendSetup({ serverName: 'm', clientHelo: null, xclient: null, auth, envelope: null }), ['220 x', '250 x']);
  assert.equal(nothing.last.kind, 'refused');
  assert.match((nothing.last as { detail: string }).detail, /offers no AUTH PLAIN or LOGIN/);
  const wrong = talk(smtpBackendSetup({ serverName: 'm', clientHelo: null, xclient: null, auth, envelope: null }), ['220 x', '250-x', '250 AUTH PLAIN', '535 5.7.8 no']);
  assert.equal(wrong.last.kind, 'refused');
});

test('SMTP: an old server refusing EHLO gets HELO; garbage and bad greetings are refusals', () => {
  const old = talk(smtpBackendSetup({ serverName: 'm', clientHelo: null, xclient: null, auth: null, envelope: null }), ['220 x', '502 what', '250 ok']);
  assert.equal(old.sent, 'EHLO m\r\nHELO m\r\n');
  assert.equal(toClient(old.last), '235 2.0.0 OK\r\n');
  assert.equal(talk(smtpBackendSetup({ serverName: 'm', clientHelo: null, xclient: null, auth: null, envelope: null }), ['554 no service']).last.kind, 'refused');
  assert.equal(talk(smtpBackendSetup({ serverName: 'm', clientHelo: null, xclient: null, auth: null, envelope: null }), ['hello']).last.kind, 'refused');
  assert.equal(talk(smtpBackendSetup({ serverName: 'm', clientHelo: null, xclient: null, auth: null, envelope: null }), ['220-multi', '220 line greeting', '250 ok']).sent, 'EHLO m\r\n');
});
