import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FACTS, fixedEnv, send, show, theAttempt } from '../session-test-support.js';
import { smtpSessions } from './session.js';
import { open, settings } from './session-fixture.js';

const OK = '250 2.0.0 OK\r\n';
const INVALID = '500 5.5.1 Invalid command\r\n';
const ARGUMENT = '501 5.5.4 Invalid argument\r\n';
const TLS = { protocol: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256' };

test('greeting: 220 <server_name> ESMTP ready, at once (no smtp_greeting_delay)', () => {
  assert.deepEqual(show(smtpSessions(settings(), fixedEnv())(FACTS).start()), ['220 mail.test ESMTP ready\r\n']);
});

test('HELO: 250 <server_name>; exactly one argument, else 501', () => {
  const s = open();
  assert.deepEqual(send(s, 'HELO client.example\r\nhelo\r\nHELO a b\r\n'), ['250 mail.test\r\n', ARGUMENT, ARGUMENT]);
});

test('EHLO: name, capabilities, AUTH with the enabled mechanisms in nginx order (§4.2)', () => {
  const ehlo = (over: Parameters<typeof open>[0], facts = FACTS) => send(open(over, facts), 'EHLO c\r\n')[0];
  assert.equal(ehlo({}), '250-mail.test\r\n250 AUTH PLAIN LOGIN\r\n');
  assert.equal(
    ehlo({ auth: ['external', 'none', 'cram-md5', 'login', 'plain'], capabilities: ['SIZE 10485760', '8BITMIME'] }),
    '250-mail.test\r\n250-SIZE 10485760\r\n250-8BITMIME\r\n250 AUTH PLAIN LOGIN CRAM-MD5 EXTERNAL\r\n',
  );
  assert.equal(ehlo({ auth: ['plain', 'login', 'oauthbearer', 'xoauth2'] }), '250-mail.test\r\n250 AUTH PLAIN LOGIN OAUTHBEARER XOAUTH2\r\n');
  assert.equal(ehlo({ auth: ['oauthbearer', 'plain'] }), '250-mail.test\r\n250 AUTH PLAIN OAUTHBEARER\r\n');
  // Only `none`: no AUTH line, the last capability (or the name) ends the reply.
  assert.equal(ehlo({ auth: ['none'], capabilities: ['PIPELINING'] }), '250-mail.test\r\n250 PIPELINING\r\n');
  assert.equal(ehlo({ auth: ['none'] }), '250 mail.test\r\n');
});

test('EHLO with STARTTLS: `on` adds it, `only` replaces AUTH with it; after TLS neither (§4.2, §4.4)', () => {
  const ehlo = (over: Parameters<typeof open>[0], facts = FACTS) => send(open(over, facts), 'EHLO c\r\n')[0];
  assert.equal(ehlo({ starttls: 'on', capabilities: ['8BITMIME'] }), '250-mail.test\r\n250-8BITMIME\r\n250-AUTH PLAIN LOGIN\r\n250 STARTTLS\r\n');
  assert.equal(ehlo({ starttls: 'only', capabilities: ['8BITMIME'] }), '250-mail.test\r\n250-8BITMIME\r\n250 STARTTLS\r\n');
  assert.equal(ehlo({ starttls: 'only', auth: ['none'] }), '250-mail.test\r\n250 STARTTLS\r\n');
  assert.equal(ehlo({ starttls: 'only' }, { ...FACTS, tls: TLS }), '250-mail.test\r\n250 AUTH PLAIN LOGIN\r\n');
  assert.equal(ehlo({ starttls: 'on' }, { ...FACTS, tls: TLS }), '250-mail.test\r\n250 AUTH PLAIN LOGIN\r\n');
});

test('NOOP and RSET: 250 2.0.0 OK, arguments or not; QUIT: 221 2.0.0 Bye and close, nothing after it is read', () => {
  const s = open();
  assert.deepEqual(send(s, 'noop\r\nNOOP x y\r\nrset\r\nQUIT\r\nNOOP\r\n'), [OK, OK, OK, '221 2.0.0 Bye\r\n', '<close>']);
  assert.deepEqual(send(s, 'NOOP\r\n'), []);
});

test('VRFY, EXPN, HELP and unknown commands: 500 5.5.1 Invalid command', () => {
  assert.deepEqual(send(open(), 'VRFY bob\r\nEXPN list\r\nHELP\r\nDATA\r\n\r\n'), [INVALID, INVALID, INVALID, INVALID, INVALID]);
});

test('max_errors: the reply to the 5th unparsable line goes out, then the close', () => {
  const s = open();
  assert.deepEqual(send(s, 'DATA\r\nx\r\n\r\nEHLO\tx\r\n'), [INVALID, INVALID, INVALID, INVALID]);
  assert.deepEqual(send(s, 'bogus\r\nNOOP\r\n'), [{ info: 'client sent too many invalid commands' }, INVALID, '<close>']);
  assert.deepEqual(send(s, 'NOOP\r\n'), []);
  assert.deepEqual(send(open({ maxErrors: 2 }), 'a\r\nb\r\n'), [INVALID, { info: 'client sent too many invalid commands' }, INVALID, '<close>']);
});

test('max_errors counts only the parser refusals, as ngx_mail_read_command (VRFY, bad AUTH, STARTTLS off do not count)', () => {
  const s = open({ maxErrors: 2 });
  const many = 'VRFY x\r\nAUTH FOO\r\nAUTH PLAIN ***\r\nSTARTTLS\r\nAUTH CRAM-MD5\r\n'.repeat(3);
  assert.deepEqual(send(s, many), Array(15).fill(INVALID).flatMap((r, i) => (i % 5 === 2 ? [{ info: 'client sent invalid base64 encoding in AUTH PLAIN command' }, r] : [r])));
});

test('a too-long line: 500 5.5.1 Invalid command and close, the line not logged (§4.1)', () => {
  const s = open({ clientBuffer: 64 });
  assert.deepEqual(send(s, `AUTH PLAIN ${'A'.repeat(60)}\r\n`), [{ info: 'client sent too long command' }, INVALID, '<close>']);
  assert.deepEqual(send(open({ clientBuffer: 64 }), 'x'.repeat(64)), [{ info: 'client sent too long command' }, INVALID, '<close>']);
});

test('MAIL without `none`: 530 5.7.1 Authentication required, logged as nginx does (§4.5)', () => {
  assert.deepEqual(send(open(), 'MAIL FROM:<a@b>\r\n'), [{ info: 'client was rejected: "MAIL FROM:<a@b>"' }, '530 5.7.1 Authentication required\r\n']);
});

test('MAIL and RCPT with `none`: MAIL answered locally, 503 out of order, 501 without argument, RSET clears (§4.5)', () => {
  const s = open({ auth: ['none'] });
  assert.deepEqual(send(s, 'RCPT TO:<x@y>\r\nMAIL\r\nMAIL FROM:<a@b>\r\nMAIL FROM:<c@d>\r\nRCPT\r\nRSET\r\nRCPT TO:<x@y>\r\nmail from:<e@f>\r\n'), [
    '503 5.5.1 Bad sequence of commands\r\n',
    ARGUMENT,
    OK,
    '503 5.5.1 Bad sequence of commands\r\n',
    ARGUMENT,
    OK,
    '503 5.5.1 Bad sequence of commands\r\n',
    OK,
  ]);
});

test('HELO/EHLO forget MAIL FROM, as ngx_mail_smtp_helo does', () => {
  const s = open({ auth: ['none'] });
  assert.deepEqual(send(s, 'MAIL FROM:<a@b>\r\nHELO x\r\nRCPT TO:<c@d>\r\n'), [OK, '250 mail.test\r\n', '503 5.5.1 Bad sequence of commands\r\n']);
});

test('NUL bytes in HELO, MAIL or RCPT are refused before any auth request (docs/mail-proxy.md)', () => {
  const s = open({ auth: ['none'] });
  assert.deepEqual(send(s, 'HELO a\x00b\r\nMAIL FROM:<a\x00@b>\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d> X=\x00\r\n'), [
    { info: 'client sent a NUL byte in HELO; refused' },
    ARGUMENT,
    { info: 'client sent a NUL byte in MAIL; refused' },
    ARGUMENT,
    OK,
    { info: 'client sent a NUL byte in RCPT; refused' },
    ARGUMENT,
  ]);
});

test('STARTTLS: off, or already TLS, is an invalid command', () => {
  assert.deepEqual(send(open(), 'STARTTLS\r\n'), [INVALID]);
  assert.deepEqual(send(open({ starttls: 'on' }, { ...FACTS, tls: TLS }), 'STARTTLS\r\n'), [INVALID]);
});

test('STARTTLS: 220 2.0.0 Start TLS, the handshake, plaintext sent after it discarded, HELO/MAIL forgotten, no new greeting', () => {
  const s = open({ starttls: 'on', auth: ['none'] });
  assert.deepEqual(send(s, 'EHLO before\r\nMAIL FROM:<a@b>\r\n'), ['250-mail.test\r\n250 STARTTLS\r\n', OK]);
  assert.deepEqual(send(s, 'StartTLS\r\nMAIL FROM:<evil@x>\r\nRCPT TO:<victim@y>\r\n'), [
    { info: 'client sent 40 bytes after STARTTLS before the handshake; discarded' },
    '220 2.0.0 Start TLS\r\n',
    '<starttls>',
  ]);
  assert.deepEqual(send(s, 'RCPT TO:<more@x>\r\n'), [], 'bytes during the handshake are TLS, not commands');
  assert.deepEqual(show(s.onTlsStarted(TLS)), []);
  assert.deepEqual(send(s, 'RCPT TO:<x@y>\r\nMAIL FROM:<c@d>\r\nSTARTTLS\r\n'), ['503 5.5.1 Bad sequence of commands\r\n', OK, INVALID]);
  const attempt = theAttempt(s.onData(Buffer.from('RCPT TO:<x@y>\r\n')));
  assert.deepEqual(attempt.smtp?.helo, Buffer.alloc(0), 'the HELO before TLS is forgotten');
  assert.deepEqual(attempt.tls, TLS);
});

test('starttls only: AUTH before TLS is an invalid command, MAIL under `none` is not checked (§4.4)', () => {
  const s = open({ starttls: 'only', auth: ['plain', 'none'] });
  assert.deepEqual(send(s, 'AUTH PLAIN\r\nAUTH\r\nMAIL FROM:<a@b>\r\nSTARTTLS\r\n'), [INVALID, INVALID, OK, '220 2.0.0 Start TLS\r\n', '<starttls>']);
  s.onTlsStarted(TLS);
  assert.deepEqual(send(s, 'AUTH PLAIN\r\n'), ['334 \r\n']);
});

test('property: one chunk, one byte at a time or any split give the same actions', () => {
  const line = fc.constantFrom('HELO a', 'EHLO b', 'NOOP', 'RSET', 'MAIL FROM:<a@b>', 'RCPT', 'VRFY x', 'bogus', '', 'AUTH', 'AUTH FOO', 'AUTH LOGIN', 'Ym9i', 'AUTH PLAIN', '*', 'QUIT');
  fc.assert(
    fc.property(fc.array(line, { maxLength: 15 }), fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1 }), (lines, cuts) => {
      const wire = Buffer.from(lines.map((l) => l + '\r\n').join(''), 'latin1');
      const over = { auth: ['plain' as const, 'login' as const, 'none' as const] };
      const whole = show(open(over).onData(wire));
      const oneByOne = open(over);
      const bytes = [...wire].flatMap((c) => show(oneByOne.onData(Buffer.from([c]))));
      const cut = open(over);
      const pieces: ReturnType<typeof show> = [];
      for (let i = 0, k = 0; i < wire.length; k++) {
        const n = cuts[k % cuts.length] as number;
        pieces.push(...show(cut.onData(wire.subarray(i, i + n))));
        i += n;
      }
      assert.deepEqual(bytes, whole);
      assert.deepEqual(pieces, whole);
    }),
  );
});
