/** Tests for reply.ts: what nginx concludes from a reply (§1.6, §2.2-§2.6), including the captured replies. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeReplyChecked, type AuthDecision, type Protocol } from '../authhttp/index.js';
import { readReplyAsNginx } from '../authhttp/testdata/nginx-reply-reader.js';
import { parseNginxAddr } from './address.js';
import { failureLine, internalErrorLine, readAuthReply, transportError, type AuthReply, type ReplyContext } from './reply.js';

const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');

function ctx(protocol: Protocol = 'imap', extra: Partial<ReplyContext> = {}): ReplyContext {
  return { protocol, login: latin1('alice'), password: latin1('pw'), peer: '127.0.0.1:9000', ...extra };
}

/** A complete reply: lines joined with CRLF, then the empty line. */
function read(lines: readonly string[], c: ReplyContext = ctx()): AuthReply {
  const r = readAuthReply(latin1(lines.map((l) => `${l}\r\n`).join('') + '\r\n'), false, c);
  assert.notEqual(r.kind, 'incomplete');
  return r as AuthReply;
}

const OK = ['HTTP/1.0 200 OK', 'Auth-Status: OK', 'Auth-Server: 127.0.0.1', 'Auth-Port: 22143'];

function okOf(r: AuthReply): Extract<AuthReply, { kind: 'ok' }> {
  assert.equal(r.kind, 'ok', JSON.stringify(r));
  return r as Extract<AuthReply, { kind: 'ok' }>;
}
function failOf(r: AuthReply): Extract<AuthReply, { kind: 'fail' }> {
  assert.equal(r.kind, 'fail', JSON.stringify(r));
  return r as Extract<AuthReply, { kind: 'fail' }>;
}
function errorOf(r: AuthReply): Extract<AuthReply, { kind: 'error' }> {
  assert.equal(r.kind, 'error', JSON.stringify(r));
  return r as Extract<AuthReply, { kind: 'error' }>;
}

// --- replies from nginx-1.22-captures.txt --------------------------------------------------------

test('capture #1: OK with Auth-User/Auth-Pass after cram-md5 (the session had no password)', () => {
  const r = okOf(read([...OK, 'Auth-User: alice', 'Auth-Pass: alicepw'], ctx('imap', { password: undefined })));
  assert.deepEqual([r.server, r.family, r.port, r.login.toString(), r.password?.toString()], ['127.0.0.1', 4, 22143, 'alice', 'alicepw']);
});

test('capture #2: plain OK reuses the client login and password', () => {
  const r = okOf(read(OK));
  assert.deepEqual([r.login.toString(), r.password?.toString()], ['alice', 'pw']);
});

test('capture #47: failure with Auth-Wait: 2', () => {
  const r = failOf(read(['HTTP/1.0 200 OK', 'Auth-Status: Invalid login or password', 'Auth-Wait: 2']));
  assert.equal(r.waitSeconds, 2);
  assert.equal(r.log, 'client login failed: "Invalid login or password"');
  assert.equal(failureLine('imap', r, 'a1').toString(), 'a1 NO Invalid login or password\r\n');
});

test('capture #60: Auth-Status: WAIT with Auth-Wait: 1', () => {
  assert.deepEqual(read(['HTTP/1.0 200 OK', 'Auth-Status: WAIT', 'Auth-Wait: 1']), { kind: 'wait', waitSeconds: 1, login: latin1('alice'), password: latin1('pw') });
});

test('capture #62 (verified): HTTP 500 with Auth-Status: OK logs the user in', () => {
  const r = okOf(read(['HTTP/1.0 500 Internal Server Error', 'Auth-Status: OK', 'Auth-Server: 127.0.0.1', 'Auth-Port: 22143', 'Auth-User: bob', 'Auth-Pass: bobpw']));
  assert.deepEqual([r.login.toString(), r.password?.toString()], ['bob', 'bobpw']);
});

test('capture #63 (verified): a head past 1024 bytes is an internal error, logged at no error level', () => {
  const head = latin1([...OK, 'Auth-User: bob', 'Auth-Pass: bobpw', `X-Padding: ${'p'.repeat(1200)}`].map((l) => `${l}\r\n`).join('') + '\r\n');
  assert.deepEqual(readAuthReply(head.subarray(0, 1024), false, ctx()), { kind: 'error', code: 'too-large' });
  assert.deepEqual(readAuthReply(head, true, ctx()), { kind: 'error', code: 'too-large' });
});

test('capture #52 (drop) and #53 (garbage): EOF before the head ends, and "this is not http"', () => {
  assert.deepEqual(readAuthReply(Buffer.alloc(0), true, ctx()), { kind: 'error', code: 'closed-early' });
  assert.deepEqual(readAuthReply(latin1('this is not http\n'), true, ctx()), {
    kind: 'error',
    code: 'bad-header',
    log: 'auth http server 127.0.0.1:9000 sent invalid header in response',
  });
});

test('capture #51 (slow): the deadline is the caller\'s; its outcome is an internal error', () => {
  assert.deepEqual(transportError('timeout', '127.0.0.1:9000'), { kind: 'error', code: 'timeout', log: 'auth http server 127.0.0.1:9000 timed out' });
  assert.equal(internalErrorLine('imap').toString(), '* BAD internal server error\r\n');
});

test('capture #88 (verified): SMTP Auth-Error-Code 451 4.3.0 prefixes the failure line', () => {
  const r = failOf(read(['HTTP/1.0 200 OK', 'Auth-Status: Temporary server problem, try again later', 'Auth-Wait: 1', 'Auth-Error-Code: 451 4.3.0'], ctx('smtp')));
  assert.equal(failureLine('smtp', r).toString(), '451 4.3.0 Temporary server problem, try again later\r\n');
  assert.equal(r.waitSeconds, 1);
});

// --- §1.1 / §1.6 transport -----------------------------------------------------------------------

test('§1.1 nginx acts at the empty line without waiting for EOF, and ignores the body', () => {
  const r = readAuthReply(latin1('Auth-Status: OK\r\nAuth-Server: 10.0.0.1\r\nAuth-Port: 143\r\n\r\nContent-Length: 5\r\n\r\nhello'), false, ctx());
  assert.equal(r.kind, 'ok');
});

test('§1.6 an unfinished head waits for more, unless the peer closed or 1024 bytes arrived', () => {
  const part = latin1('HTTP/1.0 200 OK\r\nAuth-Status: OK\r\n');
  assert.deepEqual(readAuthReply(part, false, ctx()), { kind: 'incomplete' });
  assert.deepEqual(readAuthReply(part, true, ctx()), { kind: 'error', code: 'closed-early' });
  assert.deepEqual(readAuthReply(Buffer.alloc(1024, 0x61), false, ctx()), { kind: 'error', code: 'too-large' });
});

test('§1.6 (verified) a reply with no status line works', () => {
  assert.equal(read(OK.slice(1)).kind, 'ok');
});

test('§1.6 invalid syntax is an internal error with nginx\'s log line', () => {
  assert.deepEqual(errorOf(read(['HTTP/1.0 200 OK', 'X_Bad: 1', ...OK.slice(1)])).log, 'auth http server 127.0.0.1:9000 sent invalid header in response');
  const r = readAuthReply(latin1('HTTP/1.0 200\rOK\r\n\r\n'), false, ctx());
  assert.deepEqual(r, { kind: 'error', code: 'bad-status-line', log: 'auth http server 127.0.0.1:9000 sent invalid response' });
});

// --- §2.1 syntax, through the semantics ----------------------------------------------------------

test('§2.1 (verified) header names are case-insensitive; an LF-only reply works', () => {
  const r = readAuthReply(latin1('auth-status: OK\nauth-server: 10.1.2.3\nAUTH-PORT: 110\n\n'), false, ctx('pop3'));
  assert.equal(okOf(r as AuthReply).port, 110);
});

test('§2.1 (verified) a TAB is value: "\\tOK" fails; surrounding spaces are trimmed: "   OK   " succeeds', () => {
  assert.equal(failOf(read(['Auth-Status:\tOK', ...OK.slice(2)])).message.toString(), '\tOK');
  assert.equal(read(['Auth-Status:    OK   ', ...OK.slice(2)]).kind, 'ok');
});

test('§2.1 (verified) no URL-decoding: %20 reaches the client and the backend as is', () => {
  assert.equal(failureLine('pop3', failOf(read(['Auth-Status: Invalid%20login'], ctx('pop3')))).toString(), '-ERR Invalid%20login\r\n');
  assert.equal(okOf(read([...OK, 'Auth-Pass:   p%20w  '])).password?.toString(), 'p%20w');
});

test('§2.1 raw high bytes in the message pass through to the client', () => {
  const r = failOf(read(['Auth-Status: Mot de passe refus\xc3\xa9'], ctx('pop3')));
  assert.ok(failureLine('pop3', r).equals(latin1('-ERR Mot de passe refus\xc3\xa9\r\n')));
});

// --- §2.2 Auth-Status ----------------------------------------------------------------------------

test('§2.2 (verified) only exact OK is success: "ok" fails with the message "ok"', () => {
  assert.equal(failOf(read(['Auth-Status: ok', ...OK.slice(2)])).message.toString(), 'ok');
});

test('§2.2 (verified) a later OK does not clear an earlier failure; the last failure is the message', () => {
  assert.equal(failOf(read(['Auth-Status: Bad one', ...OK.slice(1)])).message.toString(), 'Bad one');
  assert.equal(failOf(read(['Auth-Status: first', 'Auth-Status: second', 'Auth-Status: OK'])).message.toString(), 'second');
});

test('§2.2 (verified) no Auth-Status with server and port is success', () => {
  assert.equal(read(OK.slice(2)).kind, 'ok');
});

test('§2.2 (verified) an empty Auth-Status fails IMAP and POP3 with an empty message, and is ignored by SMTP', () => {
  assert.equal(failureLine('imap', failOf(read(['Auth-Status:', ...OK.slice(2)])), 'a1').toString(), 'a1 NO \r\n');
  assert.equal(failureLine('pop3', failOf(read(['Auth-Status:   ', ...OK.slice(2)], ctx('pop3')))).toString(), '-ERR \r\n');
  assert.equal(read(['Auth-Status:', ...OK.slice(2)], ctx('smtp')).kind, 'ok');
  // A name-only line is an empty header too.
  assert.equal(read(['Auth-Status', ...OK.slice(2)], ctx('smtp')).kind, 'ok');
  assert.equal(read(['Auth-Status', ...OK.slice(2)], ctx('imap')).kind, 'fail');
});

test('§2.2 SMTP keeps only the last message, so an empty one after a failure clears it (from the source)', () => {
  assert.equal(read(['Auth-Status: Bad', 'Auth-Status:', ...OK.slice(2)], ctx('smtp')).kind, 'ok');
  assert.equal(failOf(read(['Auth-Status: Bad', 'Auth-Status:', ...OK.slice(2)], ctx('imap'))).message.length, 0);
});

// --- §2.2 Auth-Server, Auth-Port -----------------------------------------------------------------

test('§2.2 (verified) Auth-Server must be an IP literal; IPv6 without brackets', () => {
  const server = (s: string): AuthReply => read(['Auth-Status: OK', `Auth-Server: ${s}`, 'Auth-Port: 143']);
  assert.deepEqual([okOf(server('::1')).server, okOf(server('::1')).family], ['::1', 6]);
  assert.equal(errorOf(server('[::1]')).log, 'auth http server 127.0.0.1:9000 sent invalid server address:"[::1]"');
  assert.equal(errorOf(server('localhost')).code, 'bad-server');
  assert.equal(errorOf(server('255.255.255.255')).code, 'bad-server');
  assert.equal(okOf(server('010.0.0.1')).server, '10.0.0.1');
});

test('§2.2 (verified) Auth-Port must be 1..65535 digits', () => {
  const port = (p: string): AuthReply => read(['Auth-Status: OK', 'Auth-Server: 10.0.0.1', `Auth-Port: ${p}`]);
  assert.equal(errorOf(port('70000')).log, 'auth http server 127.0.0.1:9000 sent invalid server port:"70000"');
  for (const bad of ['0', '+143', '14 3', '0x8f', '99999999999999999999999']) assert.equal(errorOf(port(bad)).code, 'bad-port', bad);
  assert.equal(okOf(port('0143')).port, 143);
  assert.equal(okOf(port('65535')).port, 65535);
});

test('§1.6 (verified) without a failure, a missing or empty server or port is fatal (a 403 with no Auth headers too)', () => {
  for (const lines of [['HTTP/1.1 403 Forbidden'], ['Auth-Status: OK', 'Auth-Port: 143'], ['Auth-Status: OK', 'Auth-Server: 10.0.0.1'], ['Auth-Server:', 'Auth-Port: 143']]) {
    assert.deepEqual(errorOf(read(lines)), { kind: 'error', code: 'no-server-or-port', log: 'auth http server 127.0.0.1:9000 did not send server or port' });
  }
  // The last value wins, so an empty one after a good one counts as missing.
  assert.equal(errorOf(read([...OK, 'Auth-Port:'])).code, 'no-server-or-port');
});

// --- §2.2 Auth-User, Auth-Pass ------------------------------------------------------------------

test('§2.2 IMAP/POP3 need a password: the session\'s, or Auth-Pass (even empty); SMTP does not', () => {
  for (const protocol of ['imap', 'pop3'] as const) {
    assert.deepEqual(errorOf(read(OK, ctx(protocol, { password: undefined }))), {
      kind: 'error',
      code: 'no-password',
      log: 'auth http server 127.0.0.1:9000 did not send password',
    });
    assert.equal(okOf(read([...OK, 'Auth-Pass:'], ctx(protocol, { password: undefined }))).password?.length, 0);
  }
  assert.equal(okOf(read(OK, ctx('smtp', { password: undefined }))).password, undefined);
});

test('a bearer attempt (Postern\'s addition) succeeds without Auth-Pass: no password, the token goes on; with one, a password login', () => {
  for (const protocol of ['imap', 'pop3', 'smtp'] as const) {
    const bearer = ctx(protocol, { password: undefined, bearer: true });
    const passThrough = okOf(read([...OK, 'Auth-User: alice@example.com'], bearer));
    assert.equal(passThrough.password, undefined, protocol);
    assert.equal(passThrough.login.toString(), 'alice@example.com');
    assert.equal(okOf(read([...OK, 'Auth-Pass: master secret'], bearer)).password?.toString(), 'master secret', protocol);
  }
  // Failures, WAIT and the other checks are nginx's as for any method.
  assert.equal(errorOf(read(['Auth-Status: OK', 'Auth-Server: localhost', 'Auth-Port: 143'], ctx('imap', { password: undefined, bearer: true }))).code, 'bad-server');
  assert.equal(failOf(read(['Auth-Status: Invalid token'], ctx('imap', { password: undefined, bearer: true }))).message.toString(), 'Invalid token');
});

test('§1.6 the server/port check comes before the password check, which comes before address parsing', () => {
  assert.equal(errorOf(read(['Auth-Status: OK', 'Auth-Server: localhost'], ctx('imap', { password: undefined }))).code, 'no-server-or-port');
  assert.equal(errorOf(read(['Auth-Status: OK', 'Auth-Server: localhost', 'Auth-Port: 0'], ctx('imap', { password: undefined }))).code, 'no-password');
  assert.equal(errorOf(read(['Auth-Status: OK', 'Auth-Server: localhost', 'Auth-Port: 0'])).code, 'bad-server');
});

test('§2.2 Auth-User and Auth-Pass replace the credentials verbatim; an empty Auth-User empties the login', () => {
  const r = okOf(read([...OK, 'Auth-User: alice*master', 'Auth-User: bob', 'Auth-Pass: new pass']));
  assert.deepEqual([r.login.toString(), r.password?.toString()], ['bob', 'new pass']);
  assert.equal(okOf(read([...OK, 'Auth-User:'])).login.length, 0);
});

test('§2.2 nginx stores Auth-User/Auth-Pass even from a failure or a WAIT', () => {
  const fail = failOf(read(['Auth-Status: no', 'Auth-User: x', 'Auth-Pass: y']));
  assert.deepEqual([fail.login.toString(), fail.password?.toString()], ['x', 'y']);
  const wait = read(['Auth-Status: WAIT', 'Auth-Wait: 1', 'Auth-Pass: digest-again'], ctx('pop3', { password: undefined }));
  assert.ok(wait.kind === 'wait' && wait.password?.toString() === 'digest-again');
});

test('§2.2 other headers are ignored', () => {
  assert.equal(read([...OK, 'Auth-ID: 7', 'Content-Type: text/plain', 'Auth-SSL: on', 'X-Anything']).kind, 'ok');
});

// --- §2.2 Auth-Wait, Auth-Error-Code --------------------------------------------------------------

test('§2.2 (verified) Auth-Wait: non-digits are ignored (0), an earlier valid value stands', () => {
  const wait = (...values: string[]): number => failOf(read(['Auth-Status: no', ...values.map((v) => `Auth-Wait: ${v}`)])).waitSeconds;
  assert.equal(wait('abc'), 0);
  assert.equal(wait('1.5'), 0);
  assert.equal(wait('-1'), 0);
  assert.equal(wait('+2'), 0);
  assert.equal(wait('3', 'abc'), 3);
  assert.equal(wait('3', '0'), 0);
  assert.equal(wait('99999999999999999999'), 0);
  assert.equal(wait('007'), 7);
});

test('§2.2 Auth-Wait is ignored on success', () => {
  assert.equal(read([...OK, 'Auth-Wait: 5']).kind, 'ok');
});

test('§2.2 Auth-Error-Code is SMTP only, verbatim, last one wins, empty means the default', () => {
  assert.equal(failOf(read(['Auth-Status: Go away', 'Auth-Error-Code: 554 5.7.1'], ctx('smtp'))).smtpCode?.toString(), '554 5.7.1');
  assert.equal(failOf(read(['Auth-Status: x', 'Auth-Error-Code: 554 5.7.1', 'Auth-Error-Code:'], ctx('smtp'))).smtpCode?.toString(), '535 5.7.0');
  assert.equal(failOf(read(['Auth-Status: x'], ctx('smtp'))).smtpCode?.toString(), '535 5.7.0');
  assert.equal(failOf(read(['Auth-Status: x', 'Auth-Error-Code: 554 5.7.1'], ctx('imap'))).smtpCode, undefined);
});

// --- §2.3 order of evaluation -------------------------------------------------------------------

test('§2.3 a failure beats success headers in the same reply', () => {
  assert.equal(read(['Auth-Status: no', 'Auth-Server: 10.0.0.1', 'Auth-Port: 143', 'Auth-Status: OK']).kind, 'fail');
});

test('§2.3 a failure beats WAIT when there is no positive Auth-Wait', () => {
  assert.equal(failOf(read(['Auth-Status: WAIT', 'Auth-Status: no'])).waitSeconds, 0);
  assert.equal(read(['Auth-Status: no', 'Auth-Status: WAIT', 'Auth-Wait: 0']).kind, 'fail');
});

test('§2.3 with WAIT and Auth-Wait ≥ 1, the sleep handler re-queries and the failure is never shown (from the source)', () => {
  const r = read(['Auth-Status: no', 'Auth-Status: WAIT', 'Auth-Wait: 2']);
  assert.ok(r.kind === 'wait' && r.waitSeconds === 2 && r.discardedFailure?.toString() === 'no');
});

// --- §2.4 WAIT ----------------------------------------------------------------------------------

test('§2.4 WAIT without Auth-Wait re-asks at once (waitSeconds 0)', () => {
  assert.equal((read(['Auth-Status: WAIT']) as { waitSeconds: number }).waitSeconds, 0);
});

test('§2.4 the sticky flag: after a WAIT with no positive Auth-Wait, even OK reads as WAIT', () => {
  assert.equal(read(OK, ctx('imap', { waitPending: true })).kind, 'wait');
  assert.equal(read(['Auth-Status: no'], ctx('imap', { waitPending: true })).kind, 'fail');
  assert.equal(read(['Auth-Status: no', 'Auth-Wait: 1'], ctx('imap', { waitPending: true })).kind, 'wait');
});

// --- §2.6 the client's bytes ------------------------------------------------------------------------

test('§2.6 (verified) the failure line per protocol', () => {
  const fail = { message: latin1('Invalid login or password') };
  assert.equal(failureLine('imap', fail, 'a1').toString(), 'a1 NO Invalid login or password\r\n');
  assert.equal(failureLine('pop3', fail).toString(), '-ERR Invalid login or password\r\n');
  assert.equal(failureLine('smtp', fail).toString(), '535 5.7.0 Invalid login or password\r\n');
  assert.equal(failureLine('smtp', { ...fail, smtpCode: latin1('451 4.3.0') }).toString(), '451 4.3.0 Invalid login or password\r\n');
  assert.equal(failureLine('imap', fail).toString(), 'NO Invalid login or password\r\n');
});

test('§1.6 the internal error lines', () => {
  assert.deepEqual(
    (['imap', 'pop3', 'smtp'] as const).map((p) => internalErrorLine(p).toString()),
    ['* BAD internal server error\r\n', '-ERR internal server error\r\n', '451 4.3.2 Internal server error\r\n'],
  );
});

// --- differential: against the independent model in authhttp/testdata ---------------------------

test('property: agrees with authhttp\'s independent nginx reply reader', () => {
  const header = fc.oneof(
    fc.constantFrom('Auth-Status: OK', 'auth-status: OK', 'Auth-Status: WAIT', 'Auth-Status: Bad', 'Auth-Status:', 'Auth-Status:\tOK', 'Auth-Status: ok'),
    fc.constantFrom('Auth-Server: 127.0.0.1', 'AUTH-SERVER: ::1', 'Auth-Server: localhost', 'Auth-Server: [::1]', 'Auth-Server:'),
    fc.constantFrom('Auth-Port: 143', 'Auth-Port: 70000', 'Auth-Port: x', 'Auth-Port:   993  '),
    fc.constantFrom('Auth-User: u', 'Auth-Pass: p q', 'Auth-Error-Code: 451 4.3.0', 'X-Other: 1', 'JustAName', 'X_Bad: 1'),
  );
  const wait = fc.option(fc.constantFrom('Auth-Wait: 2', 'Auth-Wait: 0', 'Auth-Wait: abc'), { nil: undefined });
  fc.assert(
    fc.property(
      fc.constantFrom<Protocol>('imap', 'pop3', 'smtp'),
      fc.option(fc.constantFrom('HTTP/1.0 200 OK', 'HTTP/1.1 500 Oops'), { nil: undefined }),
      fc.array(header, { maxLength: 7 }),
      wait,
      fc.constantFrom('\r\n', '\n'),
      (protocol, status, headers, waitLine, eol) => {
        const lines = [...(status ? [status] : []), ...headers, ...(waitLine ? [waitLine] : [])];
        const reply = latin1(lines.map((l) => l + eol).join('') + eol);
        const ours = readAuthReply(reply, true, ctx(protocol));
        const model = readReplyAsNginx(reply, protocol).view;
        switch (ours.kind) {
          case 'ok':
            assert.equal(model.kind, 'ok');
            if (model.kind !== 'ok') return;
            assert.deepEqual([ours.server, ours.port], [model.server, model.port]);
            if (model.user) assert.ok(ours.login.equals(model.user));
            if (model.pass) assert.ok(ours.password?.equals(model.pass));
            return;
          case 'fail':
            assert.equal(model.kind, 'error');
            if (model.kind !== 'error') return;
            assert.ok(ours.message.equals(model.message));
            assert.equal(ours.waitSeconds, model.wait);
            if (protocol === 'smtp') assert.equal(ours.smtpCode?.toString(), model.errorCode || '535 5.7.0');
            return;
          case 'wait':
            // The model stops at "error beats WAIT"; nginx's sleep handler then re-queries.
            if (ours.discardedFailure) assert.ok(model.kind === 'error' && model.wait === ours.waitSeconds);
            else assert.deepEqual(model, { kind: 'wait', wait: ours.waitSeconds });
            return;
          case 'error':
            assert.equal(model.kind, 'internal-error');
            return;
          default:
            assert.fail('a whole reply with eof is never incomplete');
        }
      },
    ),
    { numRuns: 500 },
  );
});

// --- agreement with Postern's own auth_http server ------------------------------------------------

test('property: what Postern\'s auth server encodes, the client reads back as the same decision', () => {
  const text = fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }).filter((s) => !/^ | $|[\x00-\x1f\x7f]/.test(s) && s !== 'OK' && s !== 'WAIT');
  const decision = fc.oneof(
    fc.record({
      kind: fc.constant('ok' as const),
      server: fc.oneof(fc.ipV4(), fc.ipV6()),
      port: fc.integer({ min: 1, max: 65535 }),
      user: fc.option(fc.oneof(fc.constant(''), text), { nil: undefined }),
      pass: fc.option(text, { nil: undefined }),
    }),
    fc.record({ kind: fc.constant('fail' as const), temporary: fc.boolean(), message: text, wait: fc.option(fc.integer({ min: 1, max: 3600 }), { nil: undefined }) }),
    fc.record({ kind: fc.constant('wait' as const), wait: fc.integer({ min: 1, max: 3600 }) }),
  );
  fc.assert(
    fc.property(decision, fc.constantFrom<Protocol>('imap', 'pop3', 'smtp'), (d, protocol) => {
      const clean = Object.fromEntries(Object.entries(d).filter(([, v]) => v !== undefined)) as unknown as AuthDecision;
      const { bytes, fallback } = encodeReplyChecked(clean, protocol);
      const got = readAuthReply(bytes, false, ctx(protocol)) as AuthReply;
      if (fallback) return assert.equal(got.kind, 'fail');
      switch (clean.kind) {
        case 'ok': {
          const ip = parseNginxAddr(Buffer.from(clean.server));
          if (ip === undefined) {
            // Node's isIP accepts it, nginx does not (255.255.255.255, a trailing "::" for one group).
            return assert.equal(errorOf(got).code, 'bad-server');
          }
          const ok = okOf(got);
          assert.deepEqual([ok.server, ok.port], [ip.address, clean.port]);
          assert.ok(ok.login.equals(clean.user === undefined ? latin1('alice') : Buffer.from(clean.user)));
          assert.ok(ok.password?.equals(clean.pass === undefined ? latin1('pw') : Buffer.from(clean.pass)));
          return;
        }
        case 'fail': {
          const f = failOf(got);
          assert.ok(f.message.equals(Buffer.from(clean.message)));
          assert.equal(f.waitSeconds, clean.wait ?? 0);
          if (protocol === 'smtp') assert.equal(f.smtpCode?.toString(), clean.temporary ? '451 4.3.0' : '535 5.7.0');
          return;
        }
        case 'wait':
          return assert.deepEqual(got, { kind: 'wait', waitSeconds: clean.wait, login: latin1('alice'), password: latin1('pw') });
      }
    }),
    { numRuns: 300 },
  );
});

test('Postern\'s auth server can send two Auth-Server values nginx refuses (it checks with Node\'s isIP)', () => {
  for (const server of ['255.255.255.255', '1:2:3:4:5:6:7::']) {
    const { bytes, fallback } = encodeReplyChecked({ kind: 'ok', server, port: 143 }, 'imap');
    assert.equal(fallback, undefined);
    assert.equal(errorOf(readAuthReply(bytes, false, ctx()) as AuthReply).code, 'bad-server', server);
  }
});
