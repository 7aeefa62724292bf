/** The bearer logins passed on to backends (bearer.ts, imap-bearer.ts, pop3-bearer.ts, smtp.ts), line by line. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeOauthBearer, decodeXoauth2 } from '../../sasl/index.js';
import { bearerResponse, pickBearerMechanism } from './bearer.js';
import { imapBackendBearer, pop3BackendBearer, smtpBackendSetup, type BackendDialogue, type BackendStep } from './index.js';

const b = (s: string) => Buffer.from(s, 'latin1');
const b64 = (s: string) => b(s).toString('base64');
const TOKEN = 'ya29.a0-tok_en~+/=';
const alice = { user: b('alice@example.com'), token: b(TOKEN) };
const XOAUTH2 = b64(`user=alice@example.com\x01auth=Bearer ${TOKEN}\x01\x01`);
const OAUTHBEARER = b64(`n,a=alice@example.com,\x01auth=Bearer ${TOKEN}\x01\x01`);
/** Dovecot 2.3's error challenges (mech-oauth2.c). */
const XOAUTH2_ERROR = b64('{"status":"401","schemes":"bearer","scope":"mail"}');
const OAUTHBEARER_ERROR = b64('{"status":"invalid_token"}');

/** Feeds backend lines; what was sent (as text) and the last step. */
function talk(d: BackendDialogue, lines: string[]): { sent: string; last: BackendStep } {
  let sent = '';
  let last: BackendStep = { kind: 'more' };
  for (const l of lines) {
    last = d.onLine(b(l));
    if (last.kind === 'send') sent += last.bytes.toString('latin1');
  }
  return { sent, last };
}
const toClient = (s: BackendStep) => (s.kind === 'done' ? s.toClient.toString('latin1') : `not done: ${JSON.stringify(s)}`);

test('the response is rebuilt with the reply\'s user as authorization identity, and reads back with the client decoders', () => {
  const ob = bearerResponse('oauthbearer', { user: b('a,b=c'), token: b(TOKEN) });
  assert.ok(ob.ok);
  assert.equal(Buffer.from(ob.base64, 'base64').toString('latin1'), `n,a=a=2Cb=3Dc,\x01auth=Bearer ${TOKEN}\x01\x01`);
  const back = decodeOauthBearer(b(ob.base64));
  assert.ok(back.ok && back.value.user.toString() === 'a,b=c' && back.value.token === TOKEN);
  // No user: OAUTHBEARER without an authzid (the token alone says who).
  const anonymous = bearerResponse('oauthbearer', { user: b(''), token: b(TOKEN) });
  assert.ok(anonymous.ok && Buffer.from(anonymous.base64, 'base64').toString('latin1').startsWith('n,,\x01auth='));
  const x = bearerResponse('xoauth2', alice);
  assert.ok(x.ok && x.base64 === XOAUTH2);
  const xBack = decodeXoauth2(b(XOAUTH2));
  assert.ok(xBack.ok && xBack.value.user.toString() === 'alice@example.com' && xBack.value.token === TOKEN);
  // A control byte in the user would add key-value pairs: refused, nothing is built.
  assert.deepEqual(bearerResponse('xoauth2', { user: b('bob\x01auth=Bearer other'), token: b(TOKEN) }), { ok: false, detail: 'the login holds a control byte; it cannot be sent in a bearer response' });
  assert.equal(bearerResponse('oauthbearer', { user: b('bob'), token: b('not a token') }).ok, false);
});

test('the backend mechanism: the client\'s when offered, else the other bearer one, else none', () => {
  assert.equal(pickBearerMechanism('oauthbearer', ['PLAIN', 'OAUTHBEARER', 'XOAUTH2']), 'oauthbearer');
  assert.equal(pickBearerMechanism('oauthbearer', ['PLAIN', 'XOAUTH2']), 'xoauth2');
  assert.equal(pickBearerMechanism('xoauth2', ['OAUTHBEARER']), 'oauthbearer');
  assert.equal(pickBearerMechanism('xoauth2', ['PLAIN', 'LOGIN']), undefined);
});

const DOVECOT_GREETING = '* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN AUTH=OAUTHBEARER AUTH=XOAUTH2] Dovecot ready.';

test('IMAP: SASL-IR in the greeting sends the response on the command line, under the client tag; the tagged OK goes to the client', () => {
  const d = imapBackendBearer({ tag: 'a1', mechanism: 'xoauth2', ...alice });
  const { sent, last } = talk(d, [DOVECOT_GREETING, 'a1 OK [CAPABILITY IMAP4rev1 IDLE] Logged in']);
  assert.equal(sent, `a1 AUTHENTICATE XOAUTH2 ${XOAUTH2}\r\n`);
  assert.equal(toClient(last), 'a1 OK [CAPABILITY IMAP4rev1 IDLE] Logged in\r\n');
});

test('IMAP: without SASL-IR the response follows the continuation; untagged lines are passed on as after LOGIN', () => {
  const d = imapBackendBearer({ tag: 'x', mechanism: 'oauthbearer', ...alice });
  const { sent, last } = talk(d, ['* OK ready', '+ ', '* CAPABILITY IMAP4rev1 IDLE', 'x OK done']);
  assert.equal(sent, `x AUTHENTICATE OAUTHBEARER\r\n${OAUTHBEARER}\r\n`);
  assert.equal(toClient(last), '* CAPABILITY IMAP4rev1 IDLE\r\nx OK done\r\n');
});

test('IMAP: the greeting\'s AUTH= items choose the other bearer mechanism when only it is offered; none named keeps the client\'s', () => {
  const other = talk(imapBackendBearer({ tag: 'a', mechanism: 'oauthbearer', ...alice }), ['* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN AUTH=XOAUTH2] hi']);
  assert.equal(other.sent, `a AUTHENTICATE XOAUTH2 ${XOAUTH2}\r\n`);
  const hidden = talk(imapBackendBearer({ tag: 'a', mechanism: 'oauthbearer', ...alice }), ['* OK [CAPABILITY IMAP4rev1 SASL-IR STARTTLS LOGINDISABLED] hi']);
  assert.equal(hidden.sent, `a AUTHENTICATE OAUTHBEARER ${OAUTHBEARER}\r\n`);
});

test('IMAP: a refused token\'s error challenge is answered (AQ== for OAUTHBEARER, empty for XOAUTH2), then the tagged NO refuses', () => {
  const NO = 'a1 NO [AUTHENTICATIONFAILED] Authentication failed.';
  const ob = talk(imapBackendBearer({ tag: 'a1', mechanism: 'oauthbearer', ...alice }), [DOVECOT_GREETING, `+ ${OAUTHBEARER_ERROR}`, NO]);
  assert.equal(ob.sent, `a1 AUTHENTICATE OAUTHBEARER ${OAUTHBEARER}\r\nAQ==\r\n`);
  assert.deepEqual(ob.last, { kind: 'refused', line: NO, detail: 'the backend refused the token' });
  const x = talk(imapBackendBearer({ tag: 'a1', mechanism: 'xoauth2', ...alice }), ['* OK hi', '+', `+ ${XOAUTH2_ERROR}`, NO]);
  assert.equal(x.sent, `a1 AUTHENTICATE XOAUTH2\r\n${XOAUTH2}\r\n\r\n`);
  assert.deepEqual(x.last, { kind: 'refused', line: NO, detail: 'the backend refused the token' });
  // After an error challenge even a tagged OK is no login.
  assert.equal(talk(imapBackendBearer({ tag: 'a1', mechanism: 'oauthbearer', ...alice }), [DOVECOT_GREETING, '+ e30=', 'a1 OK what']).last.kind, 'refused');
});

test('IMAP: refusals: PREAUTH, a tagged NO without a challenge, a NO to AUTHENTICATE itself, a control byte in the login', () => {
  const r = (lines: string[], user = alice.user) => talk(imapBackendBearer({ tag: 'a1', mechanism: 'xoauth2', user, token: alice.token }), lines);
  assert.equal(r(['* PREAUTH hi']).last.kind, 'refused');
  assert.deepEqual(r([DOVECOT_GREETING, 'a1 NO nope']).last, { kind: 'refused', line: 'a1 NO nope', detail: 'the backend refused the token' });
  assert.deepEqual(r(['* OK', 'a1 BAD unknown mechanism']).last, { kind: 'refused', line: 'a1 BAD unknown mechanism', detail: 'the backend refused AUTHENTICATE' });
  const ctl = r([DOVECOT_GREETING], b('bob\x01x'));
  assert.equal(ctl.sent, '');
  assert.equal(ctl.last.kind, 'refused');
});

test('POP3: AUTH with the initial response, the final +OK to the client', () => {
  const { sent, last } = talk(pop3BackendBearer({ mechanism: 'xoauth2', ...alice }), ['+OK Dovecot ready.', '+OK Logged in.']);
  assert.equal(sent, `AUTH XOAUTH2 ${XOAUTH2}\r\n`);
  assert.equal(toClient(last), '+OK Logged in.\r\n');
});

test('POP3: an AUTH command over 255 octets (RFC 5034 §4) sends the response after the empty challenge', () => {
  const long = { user: alice.user, token: b(`ey${'J'.repeat(300)}`) };
  const built = bearerResponse('oauthbearer', long);
  assert.ok(built.ok);
  const { sent, last } = talk(pop3BackendBearer({ mechanism: 'oauthbearer', ...long }), ['+OK ready', '+ ', '+OK Logged in.']);
  assert.equal(sent, `AUTH OAUTHBEARER\r\n${built.base64}\r\n`);
  assert.equal(toClient(last), '+OK Logged in.\r\n');
});

test('POP3: a refused token\'s error challenge is answered, then -ERR refuses; a plain -ERR or a bad greeting too', () => {
  const ERR = '-ERR [AUTH] Authentication failed.';
  const ob = talk(pop3BackendBearer({ mechanism: 'oauthbearer', ...alice }), ['+OK', `+ ${OAUTHBEARER_ERROR}`, ERR]);
  assert.equal(ob.sent, `AUTH OAUTHBEARER ${OAUTHBEARER}\r\nAQ==\r\n`);
  assert.deepEqual(ob.last, { kind: 'refused', line: ERR, detail: 'the backend refused the token' });
  assert.deepEqual(talk(pop3BackendBearer({ mechanism: 'xoauth2', ...alice }), ['+OK', ERR]).last, { kind: 'refused', line: ERR, detail: 'the backend refused the token' });
  assert.equal(talk(pop3BackendBearer({ mechanism: 'xoauth2', ...alice }), ['-ERR busy']).last.kind, 'refused');
  // After the error challenge even +OK is no login.
  assert.equal(talk(pop3BackendBearer({ mechanism: 'xoauth2', ...alice }), ['+OK', '+ e30=', '+OK in']).last.kind, 'refused');
});

const EHLO = ['220 sink.test ESMTP', '250-sink.test', '250-PIPELINING', '250-AUTH PLAIN LOGIN XOAUTH2', '250 8BITMIME'];
const setup = (auth: Parameters<typeof smtpBackendSetup>[0]['auth'], xclient = false) =>
  smtpBackendSetup({ serverName: 'proxy.test', clientHelo: { verb: 'EHLO', name: 'client.example' }, xclient: xclient ? { addr: '192.0.2.7', name: null, login: alice.user } : null, auth, envelope: null });

test('SMTP: AUTH with the mechanism the backend offers (the client\'s OAUTHBEARER is not, XOAUTH2 is); 235 synthesized', () => {
  const { sent, last } = talk(setup({ mechanism: 'oauthbearer', ...alice }), [...EHLO, '235 2.7.0 Authentication successful']);
  assert.equal(sent, `EHLO proxy.test\r\nAUTH XOAUTH2 ${XOAUTH2}\r\n`);
  assert.equal(toClient(last), '235 2.0.0 OK\r\n');
});

test('SMTP: XCLIENT carries no LOGIN when the bearer login goes to the backend', () => {
  const { sent } = talk(setup({ mechanism: 'xoauth2', ...alice }, true), ['220 b', '250-b', '250-XCLIENT ADDR NAME LOGIN', '250 AUTH XOAUTH2', '220 again', '250-b', '250 AUTH XOAUTH2', '235 ok']);
  assert.equal(sent, `EHLO proxy.test\r\nXCLIENT ADDR=192.0.2.7 NAME=[UNAVAILABLE]\r\nEHLO client.example\r\nAUTH XOAUTH2 ${XOAUTH2}\r\n`);
});

test('SMTP: the error challenge is answered, the 535 refuses; no bearer mechanism offered is a refusal before AUTH', () => {
  const x = talk(setup({ mechanism: 'xoauth2', ...alice }), [...EHLO, `334 ${XOAUTH2_ERROR}`, '535 Error: Username and Password not accepted']);
  assert.equal(x.sent, `EHLO proxy.test\r\nAUTH XOAUTH2 ${XOAUTH2}\r\n\r\n`);
  assert.deepEqual(x.last, { kind: 'refused', line: '535 Error: Username and Password not accepted', detail: 'the backend refused the token' });
  const ob = talk(setup({ mechanism: 'oauthbearer', ...alice }), ['220 b', '250-b', '250 AUTH OAUTHBEARER', `334 ${OAUTHBEARER_ERROR}`, '535 5.7.8 no']);
  assert.equal(ob.sent, `EHLO proxy.test\r\nAUTH OAUTHBEARER ${OAUTHBEARER}\r\nAQ==\r\n`);
  assert.equal(ob.last.kind, 'refused');
  assert.deepEqual(talk(setup({ mechanism: 'xoauth2', ...alice }), [...EHLO, '535 5.7.8 bad token']).last, { kind: 'refused', line: '535 5.7.8 bad token', detail: 'the backend refused the token' });
  const none = talk(setup({ mechanism: 'xoauth2', ...alice }), ['220 b', '250-b', '250 AUTH PLAIN LOGIN']);
  assert.equal(none.sent, 'EHLO proxy.test\r\n');
  assert.deepEqual(none.last, { kind: 'refused', line: '', detail: 'the backend offers no AUTH OAUTHBEARER or XOAUTH2 (it offers: PLAIN LOGIN)' });
});
