/** Tests for http-head.ts: the raw request-head parser, on nginx's real bytes and on garbage. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { findHeadEnd, getHeader, getHeaderAll, parseHead, type RawHead } from './http-head.js';
import { CAPTURES, bytes } from './testdata/captures.js';

const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');

function parsed(s: string | Buffer): RawHead {
  const r = parseHead(typeof s === 'string' ? latin1(s) : s);
  assert.ok(r.ok, r.ok ? '' : `${r.error.code}: ${r.error.detail}`);
  return r.value;
}

function errorCode(s: string): string {
  const r = parseHead(latin1(s));
  assert.equal(r.ok, false, `expected ${JSON.stringify(s)} to be refused`);
  return r.ok ? '' : r.error.code;
}

test('findHeadEnd: CRLF, bare LF and mixed line ends, as nginx accepts', () => {
  assert.equal(findHeadEnd(latin1('GET / HTTP/1.0\r\nA: b\r\n\r\nbody'), 1024), 24);
  assert.equal(findHeadEnd(latin1('GET / HTTP/1.0\nA: b\n\n'), 1024), 21);
  assert.equal(findHeadEnd(latin1('GET / HTTP/1.0\r\nA: b\n\r\n'), 1024), 23);
  assert.equal(findHeadEnd(latin1('GET / HTTP/1.0\r\nA: b\r\n'), 1024), 'incomplete');
  assert.equal(findHeadEnd(latin1('GET / HTTP/1.0\r\nA: b\r\n\r'), 1024), 'incomplete');
  assert.equal(findHeadEnd(Buffer.alloc(0), 1024), 'incomplete');
});

test('findHeadEnd: the head must end within maxBytes', () => {
  const head = latin1('GET / HTTP/1.0\r\n\r\n'); // 18 bytes
  assert.equal(findHeadEnd(head, 18), 18);
  assert.equal(findHeadEnd(head, 17), 'too-large');
  assert.equal(findHeadEnd(latin1('GET / HTTP/1.0\r\nX: yyyyy'), 10), 'too-large');
  assert.equal(findHeadEnd(latin1('GET / HT'), 10), 'incomplete');
});

test('parses the §1.3 plain IMAP example with its header order and raw values', () => {
  const head = parsed(
    'GET /auth/path?x=1&y=%20 HTTP/1.0\r\nHost: 127.0.0.1\r\nAuth-Method: plain\r\nAuth-User: user@example.com\r\n' +
      'Auth-Pass: p%20a%25s\\s\r\nAuth-Protocol: imap\r\nAuth-Login-Attempt: 1\r\nClient-IP: 127.0.0.1\r\n' +
      'X-Auth-Key: secret value\r\nX-Second: two\r\n\r\n',
  );
  assert.equal(head.method, 'GET');
  assert.equal(head.target, '/auth/path?x=1&y=%20');
  assert.equal(head.version, 'HTTP/1.0');
  assert.deepEqual(
    head.headers.map(([n, v]) => [n, v.toString('latin1')]),
    [
      ['Host', '127.0.0.1'],
      ['Auth-Method', 'plain'],
      ['Auth-User', 'user@example.com'],
      ['Auth-Pass', 'p%20a%25s\\s'],
      ['Auth-Protocol', 'imap'],
      ['Auth-Login-Attempt', '1'],
      ['Client-IP', '127.0.0.1'],
      ['X-Auth-Key', 'secret value'],
      ['X-Second', 'two'],
    ],
  );
});

test('every captured nginx 1.22 request parses, byte counts match the log', () => {
  assert.equal(CAPTURES.length, 93);
  for (const c of CAPTURES) {
    const b = bytes(c.lines);
    assert.equal(b.length, c.size, `capture #${c.n} is not verbatim`);
    assert.equal(findHeadEnd(b, 4096), b.length);
    const head = parsed(b);
    assert.equal(head.headers.length, c.lines.length - 1);
  }
});

test('accepts the bytes nginx sends raw: DEL, 0x80-0xFF, TAB and controls inside values', () => {
  const head = parsed('GET / HTTP/1.0\r\nAuth-User: j\xc3\xbcrg\x7f\r\nAuth-SMTP-Helo: a\x01b\tc\x0b\x1fd\r\n\r\n');
  assert.deepEqual(head.headers[0]?.[1], latin1('j\xc3\xbcrg\x7f'));
  assert.deepEqual(head.headers[1]?.[1], latin1('a\x01b\tc\x0b\x1fd'));
});

test('trims SP/HTAB around values, keeps inner ones, allows empty values', () => {
  const head = parsed('GET / HTTP/1.0\r\nA:  \t x y \t \r\nAuth-User: \r\nB:\r\n\r\n');
  assert.deepEqual(head.headers.map(([, v]) => v.toString('latin1')), ['x y', '', '']);
});

test('accepts bare-LF line ends', () => {
  const head = parsed('GET / HTTP/1.0\nA: b\n\n');
  assert.deepEqual(head.headers, [['A', latin1('b')]]);
});

test('refuses bad request lines', () => {
  for (const s of [
    '\r\n\r\n',
    'GET /\r\n\r\n',
    'GET  / HTTP/1.0\r\n\r\n',
    'GET / HTTP/1.0 \r\n\r\n',
    'GET / HTTP/10\r\n\r\n',
    'GET / http/1.0\r\n\r\n',
    'G(T / HTTP/1.0\r\n\r\n',
    'GET /\x7f HTTP/1.0\r\n\r\n',
    'GET /\xe9 HTTP/1.0\r\n\r\n',
    'GET /\r HTTP/1.0\r\n\r\n',
  ]) {
    assert.equal(errorCode(s), 'bad-request-line', JSON.stringify(s));
  }
});

test('refuses header names outside RFC 9110 token chars, and space before the colon', () => {
  for (const name of ['Auth User', 'Auth-User ', 'Auth(User)', 'Auth\x7fUser', 'Ä', '']) {
    assert.equal(errorCode(`GET / HTTP/1.0\r\n${name}: v\r\n\r\n`), 'bad-header-name', JSON.stringify(name));
  }
  assert.equal(errorCode('GET / HTTP/1.0\r\nNoColon\r\n\r\n'), 'bad-header-name');
  // RFC 9110 tchar includes these.
  assert.equal(parsed("GET / HTTP/1.0\r\nX!#$%&'*+.^_`|~9: v\r\n\r\n").headers[0]?.[0], "X!#$%&'*+.^_`|~9");
});

test('refuses obs-fold continuation lines', () => {
  assert.equal(errorCode('GET / HTTP/1.0\r\nAuth-User: a\r\n b\r\n\r\n'), 'obs-fold');
  assert.equal(errorCode('GET / HTTP/1.0\r\nAuth-User: a\r\n\tb\r\n\r\n'), 'obs-fold');
});

test('refuses NUL and bare CR inside values', () => {
  assert.equal(errorCode('GET / HTTP/1.0\r\nAuth-SMTP-Helo: a\x00b\r\n\r\n'), 'bad-header-value');
  assert.equal(errorCode('GET / HTTP/1.0\r\nAuth-User: a\rb\r\n\r\n'), 'bad-header-value');
  assert.equal(errorCode('GET / HTTP/1.0\r\nAuth-User: a\r\r\n\r\n'), 'bad-header-value');
});

test('refuses a head without its empty line, or with bytes after it', () => {
  assert.equal(errorCode(''), 'incomplete-head');
  assert.equal(errorCode('GET / HTTP/1.0\r\nA: b\r\n'), 'incomplete-head');
  assert.equal(errorCode('GET / HTTP/1.0\r\nA: b'), 'incomplete-head');
  assert.equal(errorCode('GET / HTTP/1.0\r\n\r\nX'), 'trailing-bytes');
});

test('getHeader: case-insensitive; absent and duplicated both give undefined', () => {
  const head = parsed('GET / HTTP/1.0\r\nX-Auth-Key: s1\r\nx-second: a\r\nX-SECOND: b\r\n\r\n');
  assert.deepEqual(getHeader(head, 'x-auth-key'), latin1('s1'));
  assert.equal(getHeader(head, 'X-Second'), undefined);
  assert.equal(getHeader(head, 'X-Missing'), undefined);
  assert.deepEqual(getHeaderAll(head, 'x-second'), [latin1('a'), latin1('b')]);
});

test('property: parseHead and findHeadEnd never throw on arbitrary bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), fc.integer({ min: 0, max: 500 }), (b, max) => {
      const buf = Buffer.from(b);
      const end = findHeadEnd(buf, max);
      if (typeof end === 'number') assert.ok(end <= max && end <= buf.length);
      parseHead(buf);
    }),
    { numRuns: 3000 },
  );
});

test('property: parseHead never throws on mutations of real requests, and what it accepts is clean', () => {
  const real = CAPTURES.map((c) => bytes(c.lines));
  fc.assert(
    fc.property(fc.constantFrom(...real), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat(2)), { maxLength: 6 }), (orig, edits) => {
      let buf = Buffer.from(orig);
      for (const [at, byte, op] of edits) {
        const i = at % (buf.length + 1);
        if (op === 0) buf = Buffer.concat([buf.subarray(0, i), Buffer.from([byte]), buf.subarray(i)]);
        else if (op === 1) buf = Buffer.concat([buf.subarray(0, i), buf.subarray(i + 1)]);
        else if (i < buf.length) buf[i] = byte;
      }
      const end = findHeadEnd(buf, 4096);
      const r = parseHead(typeof end === 'number' ? buf.subarray(0, end) : buf);
      if (r.ok) {
        for (const [name, value] of r.value.headers) {
          assert.match(name, /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/);
          assert.ok(!value.includes(0) && !value.includes(0x0d) && !value.includes(0x0a));
        }
      }
    }),
    { numRuns: 3000 },
  );
});
