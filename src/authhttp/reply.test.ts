/**
 * Tests for reply.ts: exact bytes against the captured replies, every fallback, and properties
 * checked through a reader that applies nginx's own reply rules (testdata/nginx-reply-reader.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeReply, encodeReplyChecked, forbiddenReply, MAX_WAIT_SECONDS, tempFailReply } from './reply.js';
import { PROTOCOLS, type AuthDecision, type Protocol } from './types.js';
import { readReplyAsNginx } from './testdata/nginx-reply-reader.js';

const crlf = (...lines: string[]): string => lines.map((l) => `${l}\r\n`).join('') + '\r\n';

function text(d: AuthDecision, p: Protocol): string {
  const r = encodeReplyChecked(d, p);
  assert.equal(r.fallback, undefined, r.fallback);
  return r.bytes.toString('utf8');
}

test('success reply: the exact bytes of the captured reply to request #1', () => {
  assert.equal(
    text({ kind: 'ok', server: '127.0.0.1', port: 22143, user: 'alice', pass: 'alicepw' }, 'imap'),
    crlf('HTTP/1.0 200 OK', 'Auth-Status: OK', 'Auth-Server: 127.0.0.1', 'Auth-Port: 22143', 'Auth-User: alice', 'Auth-Pass: alicepw'),
  );
  assert.equal(
    text({ kind: 'ok', server: '127.0.0.1', port: 22025 }, 'smtp'),
    crlf('HTTP/1.0 200 OK', 'Auth-Status: OK', 'Auth-Server: 127.0.0.1', 'Auth-Port: 22025'),
  );
});

test('success reply: IPv6 without brackets, UTF-8 verbatim, an empty Auth-User clears the login', () => {
  const bytes = encodeReply({ kind: 'ok', server: '2001:db8::25', port: 25, user: '', pass: 'pä ss%20' }, 'smtp');
  assert.deepEqual(
    bytes,
    Buffer.from(crlf('HTTP/1.0 200 OK', 'Auth-Status: OK', 'Auth-Server: 2001:db8::25', 'Auth-Port: 25', 'Auth-User:', 'Auth-Pass: pä ss%20'), 'utf8'),
  );
  const view = readReplyAsNginx(bytes, 'smtp').view;
  assert.deepEqual(view, { kind: 'ok', server: '2001:db8::25', port: 25, user: Buffer.alloc(0), pass: Buffer.from('pä ss%20') });
});

test('failure reply: the captured IMAP one, and Auth-Error-Code for SMTP only', () => {
  const fail = { kind: 'fail', temporary: false, message: 'Invalid login or password', smtpCode: '535 5.7.8' } as const;
  assert.equal(text(fail, 'imap'), crlf('HTTP/1.0 200 OK', 'Auth-Status: Invalid login or password'));
  assert.equal(text(fail, 'pop3'), crlf('HTTP/1.0 200 OK', 'Auth-Status: Invalid login or password'));
  assert.equal(text(fail, 'smtp'), crlf('HTTP/1.0 200 OK', 'Auth-Status: Invalid login or password', 'Auth-Error-Code: 535 5.7.8'));
  // Without a code: a permanent SMTP failure leaves nginx's 535 5.7.0, a temporary one gets 451 4.3.0.
  assert.equal(text({ kind: 'fail', temporary: false, message: 'No' }, 'smtp'), crlf('HTTP/1.0 200 OK', 'Auth-Status: No'));
  assert.equal(text({ kind: 'fail', temporary: true, message: 'Later' }, 'smtp'), crlf('HTTP/1.0 200 OK', 'Auth-Status: Later', 'Auth-Error-Code: 451 4.3.0'));
  assert.equal(
    text({ kind: 'fail', temporary: false, message: 'Invalid login or password', wait: 3 }, 'pop3'),
    crlf('HTTP/1.0 200 OK', 'Auth-Status: Invalid login or password', 'Auth-Wait: 3'),
  );
  // A lower-case "ok" is an ordinary error message for nginx (§2.2).
  assert.equal(readReplyAsNginx(encodeReply({ kind: 'fail', temporary: false, message: 'ok' }, 'imap'), 'imap').view.kind, 'error');
});

test('WAIT reply: the captured one, always with Auth-Wait', () => {
  assert.equal(text({ kind: 'wait', wait: 1 }, 'imap'), crlf('HTTP/1.0 200 OK', 'Auth-Status: WAIT', 'Auth-Wait: 1'));
});

test('the fixed replies', () => {
  const t = 'Temporary server problem, try again later';
  assert.equal(tempFailReply('imap').toString(), crlf('HTTP/1.0 200 OK', `Auth-Status: [UNAVAILABLE] ${t}`));
  assert.equal(tempFailReply('pop3').toString(), crlf('HTTP/1.0 200 OK', `Auth-Status: [SYS/TEMP] ${t}`));
  assert.equal(tempFailReply('smtp').toString(), crlf('HTTP/1.0 200 OK', `Auth-Status: ${t}`, 'Auth-Error-Code: 451 4.3.0'));
  assert.equal(forbiddenReply().toString(), 'HTTP/1.0 403 Forbidden\r\n\r\n');
  // nginx reads the 403 as "did not send server or port": an internal error, never a login.
  assert.equal(readReplyAsNginx(forbiddenReply(), 'imap').view.kind, 'internal-error');
  for (const p of PROTOCOLS) assert.equal(readReplyAsNginx(tempFailReply(p), p).view.kind, 'error');
});

const OK = { kind: 'ok', server: '10.0.0.5', port: 143 } as const;
const FAIL = { kind: 'fail', temporary: false, message: 'Invalid login or password' } as const;

const INVALID: Array<[string, unknown, Protocol?]> = [
  ['host name', { ...OK, server: 'localhost' }],
  ['bracketed IPv6', { ...OK, server: '[::1]' }],
  ['zoned IPv6', { ...OK, server: 'fe80::1%eth0' }],
  ['empty server', { ...OK, server: '' }],
  ['server with port', { ...OK, server: '10.0.0.5:143' }],
  ['port 0', { ...OK, port: 0 }],
  ['port 65536', { ...OK, port: 65536 }],
  ['fractional port', { ...OK, port: 143.5 }],
  ['NaN port', { ...OK, port: NaN }],
  ['string port', { ...OK, port: '143' }],
  ['user with CRLF', { ...OK, user: 'a\r\nAuth-Status: x' }],
  ['user with TAB', { ...OK, user: 'a\tb' }],
  ['user with DEL', { ...OK, user: 'a\x7f' }],
  ['user with NUL', { ...OK, user: 'a\x00' }],
  ['user with leading space', { ...OK, user: ' alice' }],
  ['user with trailing space', { ...OK, user: 'alice ' }],
  ['user with a lone surrogate', { ...OK, user: 'a\ud800b' }],
  ['user not a string', { ...OK, user: 42 }],
  ['empty pass', { ...OK, pass: '' }],
  ['pass with LF', { ...OK, pass: 'p\nw' }],
  ['pass with trailing space', { ...OK, pass: 'pw ' }],
  ['huge pass', { ...OK, pass: 'x'.repeat(1000) }],
  ['just over 1023 bytes', { ...OK, user: 'u'.repeat(400), pass: 'é'.repeat(300) }],
  ['empty message', { ...FAIL, message: '' }],
  ['message OK', { ...FAIL, message: 'OK' }],
  ['message WAIT', { ...FAIL, message: 'WAIT' }],
  ['message " OK"', { ...FAIL, message: ' OK' }],
  ['message "OK "', { ...FAIL, message: 'OK ' }],
  ['message with CRLF', { ...FAIL, message: 'x\r\nAuth-Status: OK' }],
  ['message with TAB', { ...FAIL, message: '\tOK' }],
  ['message not a string', { ...FAIL, message: undefined }],
  ['huge message', { ...FAIL, message: 'no'.repeat(600) }],
  ['temporary not boolean', { ...FAIL, temporary: 'yes' }],
  ['fail wait 0', { ...FAIL, wait: 0 }],
  ['fail wait -1', { ...FAIL, wait: -1 }],
  ['fail wait 1.5', { ...FAIL, wait: 1.5 }],
  ['fail wait too long', { ...FAIL, wait: MAX_WAIT_SECONDS + 1 }],
  ['smtp code without enhanced status', { ...FAIL, smtpCode: '535' }, 'smtp'],
  ['smtp code class mismatch', { ...FAIL, smtpCode: '535 4.7.8' }, 'smtp'],
  ['smtp 2xx failure', { ...FAIL, smtpCode: '250 2.0.0' }, 'smtp'],
  ['temporary with 5xx', { ...FAIL, temporary: true, smtpCode: '535 5.7.8' }, 'smtp'],
  ['permanent with 4xx', { ...FAIL, smtpCode: '451 4.3.0' }, 'smtp'],
  ['smtp code with CRLF', { ...FAIL, smtpCode: '535 5.7.8\r\nAuth-Status: OK' }, 'smtp'],
  ['wait 0', { kind: 'wait', wait: 0 }],
  ['wait missing', { kind: 'wait' }],
  ['wait as string', { kind: 'wait', wait: '5' }],
  ['unknown kind', { kind: 'maybe' }],
  ['null decision', null],
  ['unknown protocol', OK, 'http' as Protocol],
];

test('every broken rule gives the temporary failure, never OK, with a reason', () => {
  for (const [name, decision, protocol = 'imap'] of INVALID) {
    const r = encodeReplyChecked(decision as AuthDecision, protocol);
    assert.ok(r.fallback, `${name}: expected a fallback`);
    assert.deepEqual(r.bytes, tempFailReply(protocol), name);
    assert.doesNotMatch(r.bytes.toString('latin1'), /Auth-Status: OK|Auth-Server|Auth-Pass/, name);
  }
  // The reasons name the field, not its value (passwords end up in logs otherwise).
  assert.equal(encodeReplyChecked({ ...OK, pass: 'secret\n' }, 'imap').fallback, 'ok.pass contains a control character');
});

test('§2.2: an IMAP/POP3 OK without Auth-Pass only where nginx (or Postern\'s proxy) has a credential of its own', () => {
  for (const method of ['apop', 'cram-md5', 'external'] as const) {
    for (const protocol of ['imap', 'pop3'] as const) {
      const r = encodeReplyChecked(OK, protocol, method);
      assert.equal(r.fallback, `ok without pass after ${method}: nginx needs Auth-Pass for ${protocol}`);
      assert.deepEqual(r.bytes, tempFailReply(protocol));
      assert.equal(encodeReplyChecked({ ...OK, pass: 'p' }, protocol, method).fallback, undefined);
    }
    assert.equal(encodeReplyChecked(OK, 'smtp', method).fallback, undefined, 'SMTP backends get no password unless proxy_smtp_auth');
  }
  // plain: nginx reuses the client's password; bearer: the proxy passes the client's token on.
  for (const method of ['plain', 'oauthbearer', 'xoauth2'] as const) {
    for (const protocol of ['imap', 'pop3', 'smtp'] as const) assert.equal(encodeReplyChecked(OK, protocol, method).fallback, undefined, `${method} ${protocol}`);
  }
});

test('an SMTP code on an IMAP/POP3 failure is not sent, and not checked', () => {
  assert.equal(text({ ...FAIL, smtpCode: 'whatever' }, 'imap'), crlf('HTTP/1.0 200 OK', 'Auth-Status: Invalid login or password'));
});

test('the largest reply that fits is 1023 bytes', () => {
  const base = encodeReply({ ...OK, pass: 'p' }, 'imap').length;
  const fits = encodeReplyChecked({ ...OK, pass: 'p'.repeat(1023 - base + 1) }, 'imap');
  assert.equal(fits.fallback, undefined);
  assert.equal(fits.bytes.length, 1023);
  assert.ok(encodeReplyChecked({ ...OK, pass: 'p'.repeat(1024 - base + 1) }, 'imap').fallback);
});

test('the reply reader follows nginx on the verified cases of §2.1-§2.2', () => {
  const read = (s: string, p: Protocol = 'imap') => readReplyAsNginx(Buffer.from(s, 'latin1'), p).view;
  assert.equal(read('HTTP/1.0 200 OK\r\nAuth-Status:\tOK\r\n\r\n').kind, 'error');
  assert.deepEqual(read('HTTP/1.0 200 OK\r\nAuth-Status:    OK   \r\nAuth-Server: ::1\r\nAuth-Port: 1\r\nAuth-Pass:   sp ace  \r\n\r\n'), {
    kind: 'ok', server: '::1', port: 1, pass: Buffer.from('sp ace'),
  });
  assert.equal(read('HTTP/1.1 500 Internal Server Error\nAuth-Status: OK\nauth-server: 1.2.3.4\nAUTH-PORT: 9\n\n').kind, 'ok');
  assert.equal(read('Auth-Status: OK\r\nAuth-Server: 1.2.3.4\r\nAuth-Port: 9\r\nJustAName\r\n\r\n').kind, 'ok');
  assert.equal(read('Auth-Status: Bad one\r\nAuth-Status: OK\r\nAuth-Server: 1.2.3.4\r\nAuth-Port: 9\r\n\r\n').kind, 'error');
  assert.equal(read('Auth-Status:\r\nAuth-Server: 1.2.3.4\r\nAuth-Port: 9\r\n\r\n', 'smtp').kind, 'ok');
  assert.equal(read('Auth-Status:\r\nAuth-Server: 1.2.3.4\r\nAuth-Port: 9\r\n\r\n', 'imap').kind, 'error');
  assert.equal(read('Auth-Status: OK\r\nX_Bad: 1\r\nAuth-Server: 1.2.3.4\r\nAuth-Port: 9\r\n\r\n').kind, 'internal-error');
  assert.equal(read('Auth-Status: OK\r\nAuth-Server: localhost\r\nAuth-Port: 9\r\n\r\n').kind, 'internal-error');
  assert.equal(read(`Auth-Status: OK\r\nAuth-Server: 1.2.3.4\r\nAuth-Port: 9\r\nX: ${'p'.repeat(1100)}\r\n\r\n`).kind, 'internal-error');
  assert.deepEqual(read('Auth-Status: WAIT\r\nAuth-Wait: abc\r\n\r\n'), { kind: 'wait', wait: 0 });
});

// ---- properties ----

const tricky = fc.constantFrom(
  '', 'OK', 'WAIT', ' OK', 'OK ', 'ok', '\tOK', 'a\r\nAuth-Status: OK', '\n', '\r', '\x00', '\x7f', 'é', '日本語', '🙂',
  '\ud800', '\udc00x', 'a b', ' ', 'x'.repeat(1100), 'é'.repeat(600), '535 5.7.8', '451 4.3.0', '250 2.0.0', '127.0.0.1', '::1',
);
const surrogates = fc.string({ unit: fc.integer({ min: 0xd7f0, max: 0xe010 }).map((c) => String.fromCharCode(c)), maxLength: 6 });
const nasty = fc.oneof(tricky, fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ maxLength: 1200 }), surrogates);
const anyNumber = fc.oneof(fc.integer({ min: -5, max: 70000 }), fc.double(), fc.constantFrom(0, 1, 65535, 65536, NaN, Infinity, 3600, 3601));
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

const arbDecision: fc.Arbitrary<AuthDecision> = fc.oneof(
  fc.record({ kind: fc.constant('ok' as const), server: fc.oneof(nasty, fc.ipV4(), fc.ipV6()), port: anyNumber, user: maybe(nasty), pass: maybe(nasty) }),
  fc.record({ kind: fc.constant('fail' as const), temporary: fc.boolean(), message: nasty, smtpCode: maybe(nasty), wait: maybe(anyNumber) }),
  fc.record({ kind: fc.constant('wait' as const), wait: anyNumber }),
) as fc.Arbitrary<AuthDecision>;
const arbProtocol = fc.constantFrom(...PROTOCOLS);

test('property: encodeReply never throws and keeps every reply rule', () => {
  fc.assert(
    fc.property(arbDecision, arbProtocol, (d, p) => {
      const { bytes, fallback } = encodeReplyChecked(d, p);
      const s = bytes.toString('utf8');
      assert.ok(s.endsWith('\r\n\r\n'));
      assert.ok(bytes.length < 1024);
      const statuses = s.split('\r\n').filter((l) => l.startsWith('Auth-Status:'));
      assert.equal(statuses.length, 1);
      assert.notEqual(statuses[0]?.slice('Auth-Status:'.length).trim(), '');
      const validOk = d.kind === 'ok' && fallback === undefined;
      assert.equal(s.includes('Auth-Status: OK\r\n'), validOk);
      if (!validOk) assert.doesNotMatch(s, /Auth-Server|Auth-Port|Auth-Pass|Auth-User/);
      // And nginx reads it as meant: never an internal error, OK only for a valid ok.
      const view = readReplyAsNginx(bytes, p).view;
      const expected = fallback !== undefined ? 'error' : d.kind === 'fail' ? 'error' : d.kind;
      assert.equal(view.kind, expected);
    }),
    { numRuns: 5000 },
  );
});

test('property: encodeReply never throws on anything at all', () => {
  fc.assert(
    fc.property(fc.anything(), fc.oneof(arbProtocol, fc.string()), (d, p) => {
      const r = encodeReplyChecked(d as AuthDecision, p as Protocol);
      assert.ok(r.bytes.toString().endsWith('\r\n\r\n'));
    }),
    { numRuns: 2000 },
  );
});

const cleanText = fc
  .string({ unit: 'binary', minLength: 1, maxLength: 60 })
  .filter((s) => !/[\x00-\x1f\x7f]/.test(s) && !s.startsWith(' ') && !s.endsWith(' '));

test('property: valid decisions round-trip through nginx reply parsing', () => {
  fc.assert(
    fc.property(
      fc.record({ server: fc.oneof(fc.ipV4(), fc.ipV6()), port: fc.integer({ min: 1, max: 65535 }), user: maybe(fc.oneof(fc.constant(''), cleanText)), pass: maybe(cleanText) }),
      arbProtocol,
      ({ server, port, user, pass }, p) => {
        const d: AuthDecision = { kind: 'ok', server, port, ...(user !== undefined ? { user } : {}), ...(pass !== undefined ? { pass } : {}) };
        const r = encodeReplyChecked(d, p);
        assert.equal(r.fallback, undefined);
        assert.deepEqual(readReplyAsNginx(r.bytes, p).view, {
          kind: 'ok', server, port,
          ...(user !== undefined ? { user: Buffer.from(user) } : {}),
          ...(pass !== undefined ? { pass: Buffer.from(pass) } : {}),
        });
      },
    ),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(
      fc.boolean(), cleanText.filter((m) => m !== 'OK' && m !== 'WAIT'), maybe(fc.integer({ min: 1, max: MAX_WAIT_SECONDS })), arbProtocol,
      (temporary, message, wait, p) => {
        const d: AuthDecision = { kind: 'fail', temporary, message, ...(wait !== undefined ? { wait } : {}) };
        const r = encodeReplyChecked(d, p);
        assert.equal(r.fallback, undefined);
        const code = p === 'smtp' && temporary ? { errorCode: '451 4.3.0' } : {};
        assert.deepEqual(readReplyAsNginx(r.bytes, p).view, { kind: 'error', message: Buffer.from(message), wait: wait ?? 0, ...code });
      },
    ),
    { numRuns: 2000 },
  );
});
