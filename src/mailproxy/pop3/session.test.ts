import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FACTS, SALT, b, fixedEnv, send, show } from '../session-test-support.js';
import { pop3Sessions } from './session.js';
import { base, open, settings } from './session-fixture.js';

const INVALID = '-ERR invalid command\r\n';
const CAPA = '+OK Capability list follows\r\nTOP\r\nUSER\r\nUIDL\r\nSASL PLAIN LOGIN\r\n.\r\n';
const TLS = { protocol: 'TLSv1.2', cipher: 'ECDHE-RSA-AES128-GCM-SHA256' };

test('greeting: `+OK POP3 ready`, with the salt when apop or cram-md5 is enabled (§4.2)', () => {
  assert.deepEqual(show(pop3Sessions(settings(), fixedEnv())(FACTS).start()), ['+OK POP3 ready\r\n']);
  assert.deepEqual(show(pop3Sessions(settings({ auth: ['plain', 'apop'] }), fixedEnv())(FACTS).start()), [`+OK POP3 ready ${SALT}\r\n`]);
  assert.deepEqual(show(pop3Sessions(settings({ auth: ['cram-md5'] }), fixedEnv())(FACTS).start()), [`+OK POP3 ready ${SALT}\r\n`]);
});

test('CAPA: capabilities, then the SASL line with the enabled mechanisms in nginx order', () => {
  assert.deepEqual(send(open(), 'CAPA\r\n'), [CAPA]);
  assert.deepEqual(send(open({ auth: ['external', 'apop', 'cram-md5', 'plain'] }), 'capa\r\n'), [
    '+OK Capability list follows\r\nTOP\r\nUSER\r\nUIDL\r\nSASL PLAIN LOGIN CRAM-MD5 EXTERNAL\r\n.\r\n',
  ]);
  assert.deepEqual(send(open({ auth: ['plain', 'oauthbearer', 'xoauth2'], capabilities: ['UIDL'] }), 'CAPA\r\n'), ['+OK Capability list follows\r\nUIDL\r\nSASL PLAIN LOGIN OAUTHBEARER XOAUTH2\r\n.\r\n']);
  // Without plain nginx still writes the SASL line, empty.
  assert.deepEqual(send(open({ auth: ['apop'] }), 'CAPA\r\n'), ['+OK Capability list follows\r\nTOP\r\nUSER\r\nUIDL\r\nSASL\r\n.\r\n']);
});

test('CAPA with starttls: STLS before the dot; `only` drops USER and SASL; after USER or with TLS no STLS', () => {
  assert.deepEqual(send(open({ starttls: 'on' }), 'CAPA\r\n'), [CAPA.replace('.\r\n', 'STLS\r\n.\r\n')]);
  assert.deepEqual(send(open({ starttls: 'only', capabilities: ['TOP', 'user', 'UIDL'] }), 'CAPA\r\n'), ['+OK Capability list follows\r\nTOP\r\nUIDL\r\nSTLS\r\n.\r\n']);
  // ngx_mail_pop3_capa(s, c, 0) in the USER state.
  assert.deepEqual(send(open({ starttls: 'on' }), 'USER a\r\nCAPA\r\n'), ['+OK\r\n', CAPA]);
  assert.deepEqual(send(open({ starttls: 'only' }, { ...FACTS, tls: TLS }), 'CAPA\r\n'), [CAPA]);
});

test('AUTH without an argument lists the mechanisms, one a line', () => {
  assert.deepEqual(send(open(), 'AUTH\r\n'), ['+OK methods supported:\r\nPLAIN\r\nLOGIN\r\n.\r\n']);
  assert.deepEqual(send(open({ auth: ['plain', 'cram-md5', 'external', 'oauthbearer', 'xoauth2'] }), 'AUTH\r\n'), [
    '+OK methods supported:\r\nPLAIN\r\nLOGIN\r\nCRAM-MD5\r\nEXTERNAL\r\nOAUTHBEARER\r\nXOAUTH2\r\n.\r\n',
  ]);
});

test('NOOP answers +OK in both states; QUIT answers +OK and closes, in both states', () => {
  assert.deepEqual(send(open(), 'NOOP\r\nUSER a\r\nNOOP x\r\n'), ['+OK\r\n', '+OK\r\n', '+OK\r\n']);
  const s = open();
  assert.deepEqual(send(s, 'QUIT\r\nNOOP\r\n'), ['+OK\r\n', '<close>']);
  assert.deepEqual(send(s, 'NOOP\r\n'), []);
  assert.deepEqual(send(open(), 'USER a\r\nQUIT\r\n'), ['+OK\r\n', '+OK\r\n', '<close>']);
});

test('USER needs exactly one argument; a second USER is refused and the state starts over', () => {
  assert.deepEqual(send(open(), 'USER\r\nUSER   \r\n'), [INVALID, INVALID]);
  // In the USER state only PASS, CAPA, QUIT, NOOP: USER, APOP, AUTH, STLS reset to the start.
  for (const cmd of ['USER b', 'APOP u d', 'AUTH PLAIN', 'STLS']) {
    assert.deepEqual(send(open({ auth: ['plain', 'apop'], starttls: 'on' }), `USER a\r\n${cmd}\r\nPASS p\r\n`), ['+OK\r\n', INVALID, INVALID], cmd);
  }
});

test('PASS without USER, and PASS without an argument, are refused', () => {
  assert.deepEqual(send(open(), 'PASS secret\r\n'), [INVALID]);
  assert.deepEqual(send(open(), 'USER a\r\nPASS\r\nPASS p\r\n'), ['+OK\r\n', INVALID, INVALID]);
});

test('APOP only when enabled, with exactly two arguments', () => {
  assert.deepEqual(send(open(), 'APOP bob 0123456789abcdef0123456789abcdef\r\n'), [INVALID]);
  assert.deepEqual(send(open({ auth: ['plain', 'apop'] }), 'APOP bob\r\nAPOP a b c\r\n'), [INVALID, INVALID]);
  assert.deepEqual(send(open({ auth: ['plain', 'apop'] }), 'APOP bob 0123456789abcdef0123456789ABCDEF\r\n'), [
    { auth: { ...base, method: 'apop', user: 'bob', pass: '0123456789abcdef0123456789ABCDEF', salt: SALT, attempt: 1 } },
  ]);
});

test('STLS with starttls off, or on a TLS connection, is an invalid command', () => {
  assert.deepEqual(send(open(), 'STLS\r\n'), [INVALID]);
  assert.deepEqual(send(open({ starttls: 'on' }, { ...FACTS, tls: TLS }), 'STLS\r\nCAPA\r\n'), [INVALID, CAPA]);
});

test('STLS: +OK, the handshake, and plaintext pipelined behind STLS is never read (§4.4)', () => {
  const s = open({ starttls: 'on' });
  assert.deepEqual(send(s, 'STLS\r\nUSER evil\r\nPASS injected\r\n'), ['+OK\r\n', '<starttls>']);
  assert.deepEqual(send(s, 'USER late\r\n'), []);
  assert.deepEqual(show(s.onTlsStarted(TLS)), []);
  assert.deepEqual(send(s, 'CAPA\r\nSTLS\r\nPASS x\r\nUSER bob\r\nPASS pw\r\n'), [
    CAPA,
    INVALID,
    INVALID,
    '+OK\r\n',
    { auth: { ...base, method: 'plain', user: 'bob', pass: 'pw', attempt: 1, tls: TLS } },
  ]);
});

test('starttls only: USER, APOP and AUTH (even without arguments) are refused before TLS, allowed after', () => {
  const s = open({ starttls: 'only', auth: ['plain', 'apop'] });
  assert.deepEqual(send(s, 'USER bob\r\nAPOP bob 0123\r\nAUTH\r\nAUTH PLAIN AGJvYgBwdw==\r\nNOOP\r\nSTLS\r\n'), [INVALID, INVALID, INVALID, INVALID, '+OK\r\n', '+OK\r\n', '<starttls>']);
  s.onTlsStarted(TLS);
  assert.deepEqual(send(s, 'AUTH\r\nUSER bob\r\n'), ['+OK methods supported:\r\nPLAIN\r\nLOGIN\r\n.\r\n', '+OK\r\n']);
});

test('max_errors: the reply to the 5th line the parser refuses is sent, then the connection closes', () => {
  const s = open();
  assert.deepEqual(send(s, 'STAT\r\nLIST\r\n\r\nRETR 1\r\n'), [INVALID, INVALID, INVALID, INVALID]);
  assert.deepEqual(send(s, 'TOP 1 1\r\nNOOP\r\n'), [{ info: 'client sent too many invalid commands' }, INVALID, '<close>']);
  assert.deepEqual(send(open({ maxErrors: 1 }), 'XXXX\r\n'), [{ info: 'client sent too many invalid commands' }, INVALID, '<close>']);
});

test('max_errors counts only parser errors: refusals by a command handler never close (as nginx)', () => {
  const s = open({ maxErrors: 2 });
  assert.deepEqual(send(s, 'PASS x\r\n'.repeat(6) + 'AUTH FOO\r\nUSER\r\n'), Array(8).fill(INVALID));
  assert.deepEqual(send(s, 'STAT\r\n'), [INVALID]);
  assert.deepEqual(send(s, 'STAT\r\n'), [{ info: 'client sent too many invalid commands' }, INVALID, '<close>']);
});

test('an invalid line in the USER state goes back to the start state', () => {
  assert.deepEqual(send(open(), 'USER a\r\nSTAT\r\nPASS p\r\n'), ['+OK\r\n', INVALID, INVALID]);
});

test('a line longer than nginx\'s 128-byte buffer: logged, invalid-command reply, close', () => {
  const s = open();
  assert.deepEqual(send(s, `NOOP\r\nPASS ${'x'.repeat(130)}`), ['+OK\r\n', { info: 'client sent too long command' }, INVALID, '<close>']);
  assert.deepEqual(send(s, '\r\nNOOP\r\n'), []);
});

test('commands in one chunk and one byte at a time give the same actions', () => {
  const wire = 'capa\r\nNOOP\r\nSTAT\r\nUSER bob smith \r\nPASS p w\r\n';
  const whole = open();
  const one = open();
  const bytewise = [...b(wire)].flatMap((byte) => show(one.onData(Buffer.from([byte]))));
  assert.deepEqual(bytewise, send(whole, wire));
});
