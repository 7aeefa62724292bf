/** Tests for request.ts: nginx's documented and captured requests, every refusal, and properties. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { escapeMailAuth } from './escape.js';
import { findHeadEnd, parseHead, type RawHead } from './http-head.js';
import { parseAuthRequest } from './request.js';
import type { AuthRequest } from './types.js';
import { CAPTURES, bytes, capture } from './testdata/captures.js';

const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');
const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');

function head(lines: readonly string[]): RawHead {
  const r = parseHead(bytes(lines));
  assert.ok(r.ok, r.ok ? '' : r.error.detail);
  return r.value;
}

function ok(lines: readonly string[]): AuthRequest {
  const r = parseAuthRequest(head(lines));
  assert.ok(r.ok, r.ok ? '' : `${r.error.code}: ${r.error.detail}`);
  return r.value;
}

function refused(lines: readonly string[]): string {
  const r = parseAuthRequest(head(lines));
  assert.equal(r.ok, false, `expected a refusal for ${JSON.stringify(lines)}`);
  return r.ok ? '' : r.error.code;
}

/** A plain IMAP request (§1.3) with `extra` lines replacing or adding headers by name. */
function plain(extra: Record<string, string | null> = {}): string[] {
  const base: Record<string, string> = {
    'Auth-Method': 'plain',
    'Auth-User': 'alice',
    'Auth-Pass': 'pw',
    'Auth-Protocol': 'imap',
    'Auth-Login-Attempt': '1',
    'Client-IP': '127.0.0.1',
  };
  const lines = ['GET /auth HTTP/1.0', 'Host: 127.0.0.1'];
  for (const [k, v] of Object.entries({ ...base, ...extra })) if (v !== null) lines.push(`${k}: ${v}`);
  return lines;
}

const PREFIX = ['GET /auth HTTP/1.0', 'Host: 127.0.0.1'];

test('§1.3 plain IMAP example: escaped user and password decoded to bytes', () => {
  const r = ok([
    'GET /auth/path?x=1&y=%20 HTTP/1.0',
    'Host: 127.0.0.1',
    'Auth-Method: plain',
    'Auth-User: user@example.com',
    'Auth-Pass: p%20a%25s\\s',
    'Auth-Protocol: imap',
    'Auth-Login-Attempt: 1',
    'Client-IP: 127.0.0.1',
    'X-Auth-Key: secret value',
    'X-Second: two',
  ]);
  assert.deepEqual(r, {
    method: 'plain',
    protocol: 'imap',
    user: latin1('user@example.com'),
    pass: latin1('p a%s\\s'),
    attempt: 1,
    clientIp: '127.0.0.1',
  });
});

test('§1.3 SMTP none example: envelope kept raw, Client-Host kept', () => {
  const r = ok([
    ...PREFIX,
    'Auth-Method: none',
    'Auth-User: ',
    'Auth-Pass: ',
    'Auth-Protocol: smtp',
    'Auth-Login-Attempt: 1',
    'Client-IP: 127.0.0.1',
    'Client-Host: [UNAVAILABLE]',
    'Auth-SMTP-Helo: client.example',
    'Auth-SMTP-From: MAIL FROM:<a@b.c> SIZE=100',
    'Auth-SMTP-To: RCPT TO:<x@y.z> NOTIFY=NEVER',
  ]);
  assert.deepEqual(r, {
    method: 'none',
    protocol: 'smtp',
    user: Buffer.alloc(0),
    pass: Buffer.alloc(0),
    attempt: 1,
    clientIp: '127.0.0.1',
    clientHost: '[UNAVAILABLE]',
    smtp: { helo: 'client.example', from: 'MAIL FROM:<a@b.c> SIZE=100', to: 'RCPT TO:<x@y.z> NOTIFY=NEVER' },
  });
});

test('§1.3 TLS example: Auth-SSL-* fields, the certificate percent-decoded', () => {
  const r = ok([
    ...plain(),
    'Auth-SSL: on',
    'Auth-SSL-Protocol: TLSv1.2',
    'Auth-SSL-Cipher: ECDHE-RSA-AES128-GCM-SHA256',
    'Auth-SSL-Verify: FAILED:self-signed certificate',
    'Auth-SSL-Subject: O=Example Org,CN=client user',
    'Auth-SSL-Issuer: O=Example Org,CN=client user',
    'Auth-SSL-Serial: 58D2154396EC05C481613729AF923BADFF69206F',
    'Auth-SSL-Fingerprint: bcc970f51f139f02019b3dde8742df2c57716af6',
    'Auth-SSL-Cert: -----BEGIN%20CERTIFICATE-----%0AMIIDOTCC+/a=%0A-----END%20CERTIFICATE-----%0A',
    'X-Auth-Key: secret value',
  ]);
  assert.deepEqual(r.tls, {
    protocol: 'TLSv1.2',
    cipher: 'ECDHE-RSA-AES128-GCM-SHA256',
    verify: 'FAILED:self-signed certificate',
    subject: 'O=Example Org,CN=client user',
    issuer: 'O=Example Org,CN=client user',
    serial: '58D2154396EC05C481613729AF923BADFF69206F',
    fingerprint: 'bcc970f51f139f02019b3dde8742df2c57716af6',
    cert: '-----BEGIN CERTIFICATE-----\nMIIDOTCC+/a=\n-----END CERTIFICATE-----\n',
  });
});

test('§1.3 PROXY protocol example', () => {
  const r = ok([
    ...plain({ 'Client-IP': '203.0.113.7' }),
    'Proxy-Protocol-Addr: 203.0.113.7',
    'Proxy-Protocol-Port: 5555',
    'Proxy-Protocol-Server-Addr: 192.0.2.1',
    'Proxy-Protocol-Server-Port: 143',
  ]);
  assert.equal(r.clientIp, '203.0.113.7');
  assert.deepEqual(r.proxyProtocol, { addr: '203.0.113.7', port: '5555', serverAddr: '192.0.2.1', serverPort: '143' });
});

test('every captured request decodes, with the method taken from Auth-Method', () => {
  for (const c of CAPTURES) {
    const r = ok(c.lines);
    const method = c.lines.find((l) => l.startsWith('Auth-Method: '))?.slice(13);
    assert.equal(r.method, method, `#${c.n}`);
    if (r.method === 'cram-md5' || r.method === 'apop') assert.match(r.salt ?? '', /^<\d+\.\d+@mail\.harness\.test>$/);
    if (r.method === 'none') assert.ok(r.smtp && r.user.length === 0 && r.pass.length === 0);
    else assert.equal(r.smtp, undefined);
    assert.equal(r.clientHost, r.protocol === 'smtp' ? '[UNAVAILABLE]' : undefined, `#${c.n}`);
  }
});

test('capture #6: UTF-8 and escaped specials decode to the exact bytes the client typed', () => {
  const r = ok(capture(6).lines);
  assert.deepEqual(r.user, utf8('zoë "q" 100% o\'k'));
  assert.deepEqual(r.pass, utf8('pä ss%41 "w" \'x\' \\b'));
  assert.deepEqual(r.user, Buffer.from([0x7a, 0x6f, 0xc3, 0xab, 0x20, 0x22, 0x71, 0x22, 0x20, 0x31, 0x30, 0x30, 0x25, 0x20, 0x6f, 0x27, 0x6b]));
  // The same login via SMTP AUTH PLAIN (#84) and POP3 USER/PASS (#74).
  for (const n of [74, 84]) {
    const s = ok(capture(n).lines);
    assert.deepEqual([s.user, s.pass], [r.user, r.pass]);
  }
});

test('capture #4: TLS after STARTTLS, cram-md5 with its salt', () => {
  const r = ok(capture(4).lines);
  assert.equal(r.method, 'cram-md5');
  assert.equal(r.salt, '<1036212491.1795433940@mail.harness.test>');
  assert.deepEqual(r.pass, latin1('be61a1eac327a8c693c17e6727ada578'));
  assert.deepEqual(r.tls, { protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' });
});

test('capture #22: SMTP none', () => {
  const r = ok(capture(22).lines);
  assert.deepEqual(r.smtp, { helo: 'curl-client.example.org', from: 'MAIL FROM:<a@example.org> SIZE=172', to: 'RCPT TO:<b@harness.test>' });
});

test('§5.3: SMTP none ignores the stale Auth-User/Auth-Pass 1.22.1 sends, even undecodable ones', () => {
  const stale: Array<[string, string]> = [
    ['bob', 'bobs%20password'],
    ['bad%0Duser', 'x%00'],
    ['100%', '%zz'],
  ];
  for (const [user, pass] of stale) {
    const r = ok([
      ...PREFIX,
      'Auth-Method: none',
      `Auth-User: ${user}`,
      `Auth-Pass: ${pass}`,
      'Auth-Salt: <1.2@mail>',
      'Auth-Protocol: smtp',
      'Auth-Login-Attempt: 2',
      'Client-IP: 192.0.2.9',
      'Client-Host: [TEMPUNAVAIL]',
      'Auth-SMTP-Helo: ',
      'Auth-SMTP-From: MAIL FROM:<>',
      'Auth-SMTP-To: RCPT TO:<x@y.z>',
    ]);
    assert.equal(r.method, 'none');
    assert.deepEqual([r.user, r.pass], [Buffer.alloc(0), Buffer.alloc(0)]);
    assert.equal(r.attempt, 2);
    assert.deepEqual(r.smtp, { helo: '', from: 'MAIL FROM:<>', to: 'RCPT TO:<x@y.z>' });
  }
});

test('§5.4: external with Auth-Salt (1.22.1 POP3) stays external', () => {
  const r = ok(plain({ 'Auth-Method': 'external', 'Auth-User': '', 'Auth-Pass': '', 'Auth-Salt': '<337361947.1795432836@mail.test>', 'Auth-Protocol': 'pop3' }));
  assert.equal(r.method, 'external');
  assert.equal(r.salt, '<337361947.1795432836@mail.test>');
  assert.deepEqual([r.user, r.pass], [Buffer.alloc(0), Buffer.alloc(0)]);
  assert.equal(r.tls, undefined);
});

test('Auth-SMTP-* text: raw controls kept, UTF-8 decoded, invalid UTF-8 read as latin1', () => {
  const r = ok([
    ...PREFIX,
    'Auth-Method: none',
    'Auth-User: ',
    'Auth-Pass: ',
    'Auth-Protocol: smtp',
    'Client-IP: ::1',
    'Auth-SMTP-Helo: a\x01b\tc\x7f',
    'Auth-SMTP-From: MAIL FROM:<j\xc3\xb6rg@example.org>',
    'Auth-SMTP-To: RCPT TO:<x\xffy@example.org>',
  ]);
  assert.deepEqual(r.smtp, { helo: 'a\x01b\tc\x7f', from: 'MAIL FROM:<jörg@example.org>', to: 'RCPT TO:<xÿy@example.org>' });
  assert.equal(r.attempt, 1, 'a missing Auth-Login-Attempt is the first');
  assert.equal(r.clientIp, '::1');
});

test('header names are case-insensitive', () => {
  const r = ok(['GET /auth HTTP/1.0', 'auth-method: apop', 'AUTH-USER: bob', 'auth-pass: 0123', 'aUTH-pROTOCOL: pop3', 'client-ip: 10.0.0.1']);
  assert.deepEqual([r.method, r.protocol, r.user.toString(), r.clientIp], ['apop', 'pop3', 'bob', '10.0.0.1']);
});

test('refuses methods nginx never sends, and none outside SMTP', () => {
  assert.equal(refused(plain({ 'Auth-Method': 'login' })), 'bad-method');
  assert.equal(refused(plain({ 'Auth-Method': 'PLAIN' })), 'bad-method');
  assert.equal(refused(plain({ 'Auth-Method': '' })), 'bad-method');
  assert.equal(refused(plain({ 'Auth-Method': null })), 'missing-header');
  assert.equal(refused([...plain({ 'Auth-Method': 'none' }), 'Auth-SMTP-Helo: h', 'Auth-SMTP-From: f', 'Auth-SMTP-To: t']), 'bad-method');
  assert.equal(refused(plain({ 'Auth-Protocol': 'http' })), 'bad-protocol');
  assert.equal(refused(plain({ 'Auth-Protocol': null })), 'missing-header');
});

test("Postern's bearer methods: the identity (may be empty) in Auth-User, the token in Auth-Pass, exact spelling only", () => {
  for (const method of ['oauthbearer', 'xoauth2'] as const) {
    for (const protocol of ['imap', 'pop3', 'smtp']) {
      const r = ok(plain({ 'Auth-Method': method, 'Auth-User': '', 'Auth-Pass': 'ya29.a0-tok_en~/+==', 'Auth-Protocol': protocol }));
      assert.deepEqual([r.method, r.protocol, r.user.toString(), r.pass.toString(), r.salt], [method, protocol, '', 'ya29.a0-tok_en~/+==', undefined]);
    }
    assert.equal(ok(plain({ 'Auth-Method': method, 'Auth-User': 'alice%40example.com' })).user.toString(), 'alice@example.com');
    assert.equal(refused(plain({ 'Auth-Method': method.toUpperCase() })), 'bad-method');
    assert.equal(refused(plain({ 'Auth-Method': method, 'Auth-Pass': 'tok%0Aen' })), 'control-chars');
  }
  assert.equal(refused(plain({ 'Auth-Method': 'oauth2' })), 'bad-method');
});

test('refuses duplicated Auth-*, Client-* and Proxy-Protocol-* headers, in any case', () => {
  assert.equal(refused([...plain(), 'Auth-User: mallory']), 'duplicate-header');
  assert.equal(refused([...plain(), 'auth-pass: other']), 'duplicate-header');
  assert.equal(refused([...plain(), 'CLIENT-IP: 10.0.0.1']), 'duplicate-header');
  assert.equal(refused([...plain(), 'Auth-Foo: 1', 'Auth-Foo: 2']), 'duplicate-header');
  assert.equal(refused([...plain(), 'Proxy-Protocol-Addr: a', 'Proxy-Protocol-Addr: b']), 'duplicate-header');
  // Headers this module does not read may repeat: the shell decides about its own.
  assert.ok(ok([...plain(), 'X-Other: 1', 'X-Other: 2']));
});

test('§5.6: control characters in the decoded login or password are refused with their own code', () => {
  const cases: Array<[string, string]> = [
    ['a%0D%0Ab', 'pw'],
    ['alice', 'p%00w'],
    ['alice', 'p%09w'],
    ['alice', 'p%7Fw'],
    ['j\xc3\xbcrg\x7f', 'pw'], // raw DEL, as nginx passes it
    ['alice', 'p\tw'], // raw TAB inside a value
    ['alice', 'p\x01w'],
  ];
  for (const [user, pass] of cases) {
    assert.equal(refused(plain({ 'Auth-User': user, 'Auth-Pass': pass })), 'control-chars', JSON.stringify([user, pass]));
  }
  // Raw UTF-8 and other high bytes are accepted as bytes.
  assert.deepEqual(ok(plain({ 'Auth-User': 'j\xc3\xbcrg\xff' })).user, latin1('j\xc3\xbcrg\xff'));
});

test('refuses a % nginx could not have written, in credentials and the certificate', () => {
  assert.equal(refused(plain({ 'Auth-Pass': '100%' })), 'bad-escape');
  assert.equal(refused(plain({ 'Auth-User': '%zz' })), 'bad-escape');
  assert.equal(refused([...plain(), 'Auth-SSL: on', 'Auth-SSL-Cert: ---%0']), 'bad-escape');
});

test('refuses missing Auth-User/Auth-Pass outside none: nginx always writes both', () => {
  assert.equal(refused(plain({ 'Auth-User': null })), 'missing-header');
  assert.equal(refused(plain({ 'Auth-Pass': null })), 'missing-header');
});

test('Auth-Login-Attempt: decimal from 1', () => {
  assert.equal(ok(plain({ 'Auth-Login-Attempt': '3' })).attempt, 3);
  assert.equal(ok(plain({ 'Auth-Login-Attempt': null })).attempt, 1);
  for (const v of ['0', '-1', '+1', 'abc', '1.5', '', '1e3', '0x10', '12345678901', '\xb9']) {
    assert.equal(refused(plain({ 'Auth-Login-Attempt': v })), 'bad-attempt', v);
  }
});

test('Client-IP: required IP literal, IPv6 without brackets or zone', () => {
  assert.equal(ok(plain({ 'Client-IP': '2001:db8::7' })).clientIp, '2001:db8::7');
  assert.equal(ok(plain({ 'Client-IP': '::ffff:192.0.2.1' })).clientIp, '::ffff:192.0.2.1');
  for (const v of ['[::1]', 'localhost', 'fe80::1%eth0', '', '1.2.3', '127.0.0.1:993']) {
    assert.equal(refused(plain({ 'Client-IP': v })), 'bad-client-ip', v);
  }
  assert.equal(refused(plain({ 'Client-IP': null })), 'missing-header');
});

test('TLS block only after Auth-SSL: on', () => {
  assert.equal(refused([...plain(), 'Auth-SSL-Verify: SUCCESS']), 'bad-header-value');
  assert.equal(refused([...plain(), 'Auth-SSL: off']), 'bad-header-value');
  assert.deepEqual(ok([...plain(), 'Auth-SSL: on']).tls, {});
});

test('SMTP none needs all three Auth-SMTP-* headers', () => {
  const none = [...PREFIX, 'Auth-Method: none', 'Auth-Protocol: smtp', 'Client-IP: 127.0.0.1', 'Auth-SMTP-Helo: h', 'Auth-SMTP-From: f'];
  assert.equal(refused(none), 'missing-header');
  assert.ok(ok([...none, 'Auth-SMTP-To: t']));
});

// ---- properties ----

const NAMES = [
  'Host', 'Auth-Method', 'Auth-User', 'Auth-Pass', 'Auth-Salt', 'Auth-Protocol', 'Auth-Login-Attempt', 'Client-IP',
  'Client-Host', 'Auth-SMTP-Helo', 'Auth-SMTP-From', 'Auth-SMTP-To', 'Auth-SSL', 'Auth-SSL-Verify', 'Auth-SSL-Cert',
  'Proxy-Protocol-Addr', 'X-Auth-Key',
];
const VALUES = ['plain', 'none', 'external', 'cram-md5', 'smtp', 'imap', 'pop3', 'on', '1', '127.0.0.1', '::1', '%41', '%', ''];

const arbHeader = fc.tuple(
  fc.oneof(fc.constantFrom(...NAMES), fc.string({ maxLength: 20 })).chain((n) => fc.constantFrom(n, n.toLowerCase(), n.toUpperCase())),
  fc.oneof(fc.constantFrom(...VALUES).map(latin1), fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b))),
);

function assertClean(r: ReturnType<typeof parseAuthRequest>): void {
  if (!r.ok) return;
  for (const b of [...r.value.user, ...r.value.pass]) assert.ok(b >= 0x20 && b !== 0x7f, 'control byte in a credential');
  assert.ok(r.value.attempt >= 1);
  if (r.value.method === 'none') assert.ok(r.value.user.length === 0 && r.value.pass.length === 0);
}

test('property: parseAuthRequest never throws on arbitrary heads; credentials are never dirty', () => {
  fc.assert(
    fc.property(fc.array(arbHeader, { maxLength: 16 }), (headers) => {
      assertClean(parseAuthRequest({ method: 'GET', target: '/', version: 'HTTP/1.0', headers }));
    }),
    { numRuns: 5000 },
  );
});

test('property: bytes to AuthRequest never throws on arbitrary input', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), (b) => {
      const h = parseHead(Buffer.from(b));
      if (h.ok) assertClean(parseAuthRequest(h.value));
    }),
    { numRuns: 3000 },
  );
});

test('property: mutated real requests never throw; what passes is clean', () => {
  const real = CAPTURES.map((c) => bytes(c.lines));
  fc.assert(
    fc.property(fc.constantFrom(...real), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat(2)), { minLength: 1, maxLength: 4 }), (orig, edits) => {
      let buf = Buffer.from(orig);
      for (const [at, byte, op] of edits) {
        const i = at % (buf.length + 1);
        if (op === 0) buf = Buffer.concat([buf.subarray(0, i), Buffer.from([byte]), buf.subarray(i)]);
        else if (op === 1) buf = Buffer.concat([buf.subarray(0, i), buf.subarray(i + 1)]);
        else if (i < buf.length) buf[i] = byte;
      }
      const end = findHeadEnd(buf, 4096);
      if (typeof end !== 'number') return;
      const h = parseHead(buf.subarray(0, end));
      if (h.ok) assertClean(parseAuthRequest(h.value));
    }),
    { numRuns: 5000 },
  );
});

test('property: any login and password nginx escapes decodes to the same bytes, or is refused for control chars', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 60 }), fc.uint8Array({ maxLength: 60 }), (user, pass) => {
      const lines = plain({ 'Auth-User': escapeMailAuth(user).toString('latin1'), 'Auth-Pass': escapeMailAuth(pass).toString('latin1') });
      const r = parseAuthRequest(head(lines));
      const dirty = [...user, ...pass].some((b) => b < 0x20 || b === 0x7f);
      if (dirty) {
        assert.equal(r.ok ? 'ok' : r.error.code, 'control-chars');
      } else {
        assert.ok(r.ok);
        assert.deepEqual([r.value.user, r.value.pass], [Buffer.from(user), Buffer.from(pass)]);
      }
    }),
    { numRuns: 3000 },
  );
});
