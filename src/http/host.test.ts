/** Tests for host.ts and path-prefix.ts: the small validators the forwarding and public-URL code share. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { sameHost, validHost } from './host.js';
import { normalisePrefix } from './path-prefix.js';

test('validHost: names, IPv4, bracketed IPv6, optional port; lower-cased', () => {
  assert.equal(validHost('Mail.Example.com'), 'mail.example.com');
  assert.equal(validHost('mail.example.com.:8443'), 'mail.example.com.:8443');
  assert.equal(validHost('192.0.2.1:80'), '192.0.2.1:80');
  assert.equal(validHost('[2001:DB8::1]:443'), '[2001:db8::1]:443');
  assert.equal(validHost('postern_admin'), 'postern_admin');
  for (const bad of ['', 'a b', 'a:65536', 'a:', '[::1', '[nope]', '2001:db8::1', '127.1', '0x7f.0.0.1', 'host.123', 'a/b', 'a@b', 'ü.example']) {
    assert.equal(validHost(bad), null, bad);
  }
});

test('sameHost: the default port for the scheme may be written or not', () => {
  assert.ok(sameHost('mail.example.com:443', 'Mail.Example.com', 'https'));
  assert.ok(sameHost('mail.example.com:80', 'mail.example.com', 'http'));
  assert.ok(!sameHost('mail.example.com:80', 'mail.example.com', 'https'));
  assert.ok(!sameHost('mail.example.com:8443', 'mail.example.com', 'https'));
  assert.ok(!sameHost('a.example', 'b.example', 'https'));
});

test('normalisePrefix: one form, /x/ or /', () => {
  const ok = (p: string): string => {
    const r = normalisePrefix(p);
    assert.ok(r.ok, r.ok ? '' : r.error.detail);
    return r.value;
  };
  assert.equal(ok('/'), '/');
  assert.equal(ok('/gw'), '/gw/');
  assert.equal(ok('/gw/'), '/gw/');
  assert.equal(ok('/a/b.c/~d/%20/'), '/a/b.c/~d/%20/');
  for (const bad of ['', 'gw', '//', '/a//b', '/./', '/a/..', '/%2E/', '/a;b', '/a%2fb', '/a b', '/a?b', '/a#b', '/%g0']) {
    const r = normalisePrefix(bad);
    assert.ok(!r.ok && r.error.code === 'bad-path', bad);
  }
});

test('property: normalisePrefix is idempotent and never throws', () => {
  fc.assert(
    fc.property(fc.oneof(fc.webPath(), fc.string({ unit: 'binary', maxLength: 30 })), (p) => {
      const r = normalisePrefix(p);
      if (!r.ok) return;
      assert.ok(r.value.startsWith('/') && r.value.endsWith('/'));
      assert.deepEqual(normalisePrefix(r.value), r);
    }),
    { numRuns: 1000 },
  );
});
