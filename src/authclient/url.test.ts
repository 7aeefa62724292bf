/** Tests for url.ts: the auth_http URL as ngx_parse_url reads it (§1.1, §1.2). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAuthHttpUrl, type AuthHttpUrl } from './url.js';

function ok(url: string): AuthHttpUrl {
  const r = parseAuthHttpUrl(url);
  assert.ok(r.ok, r.ok ? '' : `${url}: ${r.error.detail}`);
  return r.value;
}

function refused(url: string): string {
  const r = parseAuthHttpUrl(url);
  assert.equal(r.ok, false, url);
  return r.ok ? '' : r.error.detail;
}

test('§1.2 verified: host without the port in Host, path and query byte for byte', () => {
  assert.deepEqual(ok('127.0.0.1:19000/auth/path?x=1&y=%20'), {
    peer: { kind: 'ip', family: 4, address: '127.0.0.1', port: 19000 },
    host: '127.0.0.1',
    uri: '/auth/path?x=1&y=%20',
  });
});

test('§1.1 a leading http:// is dropped (case-sensitive), the default port is 80, no path is /', () => {
  assert.deepEqual(ok('http://10.0.0.1'), { peer: { kind: 'ip', family: 4, address: '10.0.0.1', port: 80 }, host: '10.0.0.1', uri: '/' });
  // Not stripped: "HTTP" becomes the host and "//x" the port.
  assert.equal(refused('HTTP://10.0.0.1/'), 'invalid port');
});

test('§1.1 a host name is left for the caller to resolve once', () => {
  assert.deepEqual(ok('auth.internal:8080/a'), { peer: { kind: 'name', name: 'auth.internal', port: 8080 }, host: 'auth.internal', uri: '/a' });
});

test('a ? before any / starts the uri, as in ngx_parse_inet_url', () => {
  assert.equal(ok('127.0.0.1:9000?k=v/w').uri, '?k=v/w');
  // A colon after the uri starts is part of the uri, not a port.
  assert.deepEqual(ok('host/a:b').peer, { kind: 'name', name: 'host', port: 80 });
});

test('§1.2 verified: unix: URLs send Host: localhost; the first colon after the path starts the uri', () => {
  assert.deepEqual(ok('unix:/path.sock:/unixpath'), { peer: { kind: 'unix', path: '/path.sock' }, host: 'localhost', uri: '/unixpath' });
  assert.deepEqual(ok('UNIX:/run/auth.sock'), { peer: { kind: 'unix', path: '/run/auth.sock' }, host: 'localhost', uri: '/' });
  assert.equal(refused('unix:'), 'no path in the unix domain socket');
  assert.equal(refused(`unix:/${'a'.repeat(107)}`), 'too long path in the unix domain socket');
});

test('IPv6 URLs keep the brackets in Host', () => {
  assert.deepEqual(ok('[::1]:9000/auth'), { peer: { kind: 'ip', family: 6, address: '::1', port: 9000 }, host: '[::1]', uri: '/auth' });
  assert.deepEqual(ok('[2001:DB8::0001]').peer, { kind: 'ip', family: 6, address: '2001:db8::1', port: 80 });
  assert.equal(refused('[::1'), 'invalid host');
  assert.equal(refused('[::1]x/'), 'invalid host');
  assert.equal(refused('[]:80'), 'no host');
  assert.equal(refused('[1.2.3.4]'), 'invalid IPv6 address');
});

test('ports are 1..65535 digits; a host is required', () => {
  for (const bad of ['h:0', 'h:65536', 'h:', 'h:+80', 'h:8 0']) assert.equal(refused(bad), 'invalid port', bad);
  assert.deepEqual(ok('h:065535').peer, { kind: 'name', name: 'h', port: 65535 });
  assert.equal(refused(':80/a'), 'no host');
  assert.equal(refused('/auth'), 'no host');
});
