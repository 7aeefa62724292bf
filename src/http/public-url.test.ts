/**
 * Tests for public-url.ts: parsing with precise errors, cookie scope (mox #151), links and safe
 * redirects, and request-path mapping behind proxies that keep or strip the prefix (§4.6.1-2).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  cookieAttributes,
  cookiePath,
  cookieScope,
  inCookieScope,
  linkTo,
  mapRequestPath,
  parsePublicUrl,
  resolveRedirect,
  type PublicUrl,
} from './public-url.js';

function url(text: string): PublicUrl {
  const r = parsePublicUrl(text);
  assert.ok(r.ok, r.ok ? '' : `${r.error.code}: ${r.error.detail}`);
  return r.value;
}

function refused(text: string): { code: string; detail: string } {
  const r = parsePublicUrl(text);
  assert.equal(r.ok, false, `${JSON.stringify(text)} was accepted`);
  return r.ok ? { code: '', detail: '' } : r.error;
}

test('normalises: lower-case scheme and host, default port dropped, trailing slash added', () => {
  assert.deepEqual(url('  HTTPS://Mail.Example.COM:443/GW-Admin  '), {
    href: 'https://mail.example.com/GW-Admin/',
    origin: 'https://mail.example.com',
    scheme: 'https',
    host: 'mail.example.com',
    prefix: '/GW-Admin/',
  });
  assert.equal(url('http://localhost:8080').href, 'http://localhost:8080/');
  assert.equal(url('https://mail.example.com/a/b/').prefix, '/a/b/');
  assert.equal(url('https://[2001:DB8::1]:8443/x').host, '[2001:db8::1]:8443');
  assert.equal(url('https://bücher.example/ä').href, 'https://xn--bcher-kva.example/%C3%A4/', 'IDN host and path as the browser sends them');
  assert.equal(url('https://mail.example.com/a%20b/').prefix, '/a%20b/');
});

test('each kind of bad URL has its own code and says what to write instead', () => {
  const cases: [string, string, RegExp][] = [
    ['', 'empty', /give the address browsers use/],
    ['   ', 'empty', /empty/],
    ['mail.example.com/gw', 'not-absolute', /write the scheme too/],
    ['localhost:8080', 'not-absolute', /scheme/],
    ['//mail.example.com/', 'not-absolute', /scheme/],
    ['https:mail.example.com', 'not-absolute', /scheme/],
    ['ftp://mail.example.com/', 'bad-scheme', /only http and https/],
    ['https://exa mple.com/', 'bad-characters', /white space/],
    ['https://mail.example.com/a\tb', 'bad-characters', /control character/],
    ['https://mail.example.com\\gw', 'bad-characters', /backslash/],
    ['https://mail.example.com:99999/', 'bad-port', /1 to 65535/],
    ['https://mail.example.com:0/', 'bad-port', /1 to 65535/],
    ['https://mail.example.com:/', 'bad-port', /port ""/],
    ['https://mail.example.com:x/', 'bad-port', /"x"/],
    ['https:///gw', 'bad-host', /host/],
    ['https://127.1/', 'bad-host', /four decimal numbers/],
    ['https://0x7f.0.0.1/', 'bad-host', /host/],
    ['https://[::1/', 'bad-host', /host/],
    ['https://mail.example.com/?next=x', 'has-query', /origin and a path only/],
    ['https://mail.example.com/gw#top', 'has-fragment', /origin and a path only/],
    ['https://mail.example.com/a/../b/', 'bad-path', /\. or \.\. segment/],
    ['https://mail.example.com/a/./', 'bad-path', /\. or \.\. segment/],
    ['https://mail.example.com/a/%2e%2E/', 'bad-path', /\. or \.\. segment/],
    ['https://mail.example.com/a//b/', 'bad-path', /empty segment/],
    ['https://mail.example.com/a;b/', 'bad-path', /cookie Path/],
    ['https://mail.example.com/a%2Fb/', 'bad-path', /encoded slash/],
    ['https://mail.example.com/a"b/', 'bad-path', /percent-encoded/],
    ['https://mail.example.com/a%zz/', 'bad-path', /percent-encoded/],
  ];
  for (const [text, code, detail] of cases) {
    const e = refused(text);
    assert.equal(e.code, code, `${JSON.stringify(text)}: ${e.detail}`);
    assert.match(e.detail, detail, text);
  }
});

test('a password in the URL is refused and never echoed', () => {
  const e = refused('https://admin:s3cret@mail.example.com/');
  assert.equal(e.code, 'has-credentials');
  assert.doesNotMatch(e.detail, /s3cret/);
  assert.doesNotMatch(refused('https://admin:s3cret@mail.example.com/ x').detail, /s3cret/);
});

test('cookie Path: the prefix without its slash, so /gw is in scope and /gwx is not (RFC 6265 §5.1.4)', () => {
  const gw = url('https://mail.example.com/gw/');
  assert.equal(cookiePath(gw), '/gw');
  for (const p of ['/gw', '/gw/', '/gw/login', '/gw/a/b']) assert.ok(inCookieScope(gw, p), p);
  for (const p of ['/', '/gwx', '/g', '/GW/', '/other/gw/']) assert.ok(!inCookieScope(gw, p), p);
  const root = url('https://mail.example.com');
  assert.equal(cookiePath(root), '/');
  assert.ok(inCookieScope(root, '/anything'));
});

test('cookie scope: __Host- at an https root, __Secure- under a prefix, plain over http', () => {
  assert.deepEqual(cookieScope(url('https://admin.example.com/'), 'postern_admin'), {
    name: '__Host-postern_admin', path: '/', secure: true, httpOnly: true, sameSite: 'Strict',
  });
  const sub = cookieScope(url('https://mail.example.com/gw-admin/'), 'postern_admin');
  assert.equal(sub.name, '__Secure-postern_admin');
  assert.equal(cookieAttributes(sub), 'Path=/gw-admin; Secure; HttpOnly; SameSite=Strict');
  const plain = cookieScope(url('http://localhost:8080/gw'), 'postern_admin');
  assert.deepEqual([plain.name, plain.secure], ['postern_admin', false]);
  assert.equal(cookieAttributes(plain), 'Path=/gw; HttpOnly; SameSite=Strict');
});

test('linkTo builds absolute links under the prefix', () => {
  const gw = url('https://mail.example.com/gw');
  assert.equal(linkTo(gw, '/mailboxes?page=2'), 'https://mail.example.com/gw/mailboxes?page=2');
  assert.equal(linkTo(gw, 'login'), 'https://mail.example.com/gw/login');
  assert.equal(linkTo(gw, '//evil.example/x'), 'https://mail.example.com/gw/evil.example/x', 'never protocol-relative');
  assert.equal(linkTo(gw, '/'), 'https://mail.example.com/gw/');
});

test('resolveRedirect keeps ?next= under the public URL, refusing open redirects', () => {
  const gw = url('https://mail.example.com/gw/');
  const ok = (t: string): string => {
    const r = resolveRedirect(gw, t);
    assert.ok(r.ok, r.ok ? '' : r.error.detail);
    return r.value;
  };
  assert.equal(ok('/mailboxes?x=1#top'), 'https://mail.example.com/gw/mailboxes?x=1#top');
  assert.equal(ok('https://MAIL.example.com/gw/a/./b'), 'https://mail.example.com/gw/a/b');
  assert.equal(ok('https://mail.example.com/gw'), 'https://mail.example.com/gw');
  for (const bad of [
    '//evil.example/',
    '/\\evil.example/',
    'https://evil.example/gw/',
    'https://mail.example.com.evil.example/gw/',
    'http://mail.example.com/gw/',
    'https://mail.example.com:8443/gw/',
    'https://mail.example.com/other/',
    'https://mail.example.com/gwx',
    '/../other',
    '/%2e%2e/other',
    'https://user@mail.example.com/gw/',
    'javascript:alert(1)',
    'mailboxes',
    '/a\nb',
    '',
  ]) {
    const r = resolveRedirect(gw, bad);
    assert.equal(r.ok, false, `${JSON.stringify(bad)} was allowed: ${r.ok ? r.value : ''}`);
    assert.ok(!r.ok && r.error.code === 'outside-public-url');
  }
});

test('mapRequestPath: a proxy that keeps the prefix', () => {
  const gw = url('https://mail.example.com/gw/');
  const auto = { mode: 'auto' as const, forwardedPrefix: null };
  assert.deepEqual(mapRequestPath(gw, '/gw/mailboxes?page=2', auto), { kind: 'app', path: '/mailboxes', query: '?page=2', via: 'prefix-kept' });
  assert.deepEqual(mapRequestPath(gw, '/gw/', auto), { kind: 'app', path: '/', query: '', via: 'prefix-kept' });
  assert.deepEqual(mapRequestPath(gw, '/gw//evil', auto), { kind: 'app', path: '/evil', query: '', via: 'prefix-kept' });
  assert.deepEqual(mapRequestPath(gw, '/gw?x', auto), { kind: 'redirect', location: 'https://mail.example.com/gw/?x', reason: 'add-trailing-slash' });
  assert.deepEqual(mapRequestPath(gw, 'https://mail.example.com/gw/a?b', auto), { kind: 'app', path: '/a', query: '?b', via: 'prefix-kept' }, 'absolute-form');
});

test('mapRequestPath: a proxy that strips the prefix (mox #151: / → /admin/)', () => {
  const gw = url('https://admin.example.com/admin/');
  const stripped = mapRequestPath(gw, '/login', { mode: 'auto', forwardedPrefix: null });
  assert.deepEqual(stripped, { kind: 'app', path: '/login', query: '', via: 'assumed-stripped' });
  const told = mapRequestPath(gw, '/login', { mode: 'require', forwardedPrefix: '/admin/' });
  assert.deepEqual(told, { kind: 'app', path: '/login', query: '', via: 'prefix-stripped' }, 'X-Forwarded-Prefix wins over require');
  const partly = mapRequestPath(url('https://a.example/x/y/'), '/y/z', { mode: 'auto', forwardedPrefix: '/x/' });
  assert.deepEqual(partly, { kind: 'app', path: '/z', query: '', via: 'prefix-stripped' });
});

test('mapRequestPath: outside the cookie scope it redirects into it, when it can know (Grafana #66724)', () => {
  const gw = url('https://mail.example.com/gw-admin/');
  assert.deepEqual(mapRequestPath(gw, '/?a=1', { mode: 'require', forwardedPrefix: null }), {
    kind: 'redirect', location: 'https://mail.example.com/gw-admin/?a=1', reason: 'outside-cookie-scope',
  });
  assert.deepEqual(mapRequestPath(gw, '/mailboxes', { mode: 'auto', forwardedPrefix: '/' }), {
    kind: 'redirect', location: 'https://mail.example.com/gw-admin/mailboxes', reason: 'outside-cookie-scope',
  }, 'the trusted proxy says the browser is at /mailboxes');
  assert.deepEqual(mapRequestPath(gw, '/x', { mode: 'auto', forwardedPrefix: '/other/' }).kind, 'redirect');
});

test('mapRequestPath: at the root everything is the app; bad targets are reported', () => {
  const root = url('https://admin.example.com/');
  assert.deepEqual(mapRequestPath(root, '/a/b?c', { mode: 'require', forwardedPrefix: null }), { kind: 'app', path: '/a/b', query: '?c', via: 'root' });
  for (const bad of ['*', 'mailboxes', 'http://[bad/']) {
    assert.equal(mapRequestPath(root, bad, { mode: 'auto', forwardedPrefix: null }).kind, 'bad-target', bad);
  }
});

test('property: any accepted URL is stable (parsing its href gives it back) and its links stay in scope', () => {
  const segment = fc.stringMatching(/^[a-zA-Z0-9._~-]{1,8}$/).filter((s) => s !== '.' && s !== '..');
  fc.assert(
    fc.property(fc.constantFrom('http', 'https'), fc.domain(), fc.option(fc.integer({ min: 1, max: 65535 })), fc.array(segment, { maxLength: 3 }), fc.boolean(),
      (scheme, host, port, segs, slash) => {
        const text = `${scheme}://${host}${port === null ? '' : `:${port}`}/${segs.join('/')}${slash && segs.length ? '/' : ''}`;
        const r = parsePublicUrl(text);
        if (!r.ok) return; // fast-check domains can end in a numeric label, which is refused on purpose
        const again = parsePublicUrl(r.value.href);
        assert.ok(again.ok);
        assert.deepEqual(again.value, r.value);
        assert.ok(r.value.prefix.startsWith('/') && r.value.prefix.endsWith('/'));
        const link = new URL(linkTo(r.value, '/some/page'));
        assert.ok(inCookieScope(r.value, link.pathname), link.pathname);
        const m = mapRequestPath(r.value, new URL(r.value.href).pathname + 'x', { mode: 'require', forwardedPrefix: null });
        assert.deepEqual(m.kind === 'app' && m.path, '/x');
      }),
    { numRuns: 500 },
  );
});

test('property: parsePublicUrl and resolveRedirect never throw', () => {
  const gw = url('https://mail.example.com/gw/');
  fc.assert(
    fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 60 }), fc.webUrl(), fc.webPath()), (s) => {
      parsePublicUrl(s);
      const r = resolveRedirect(gw, s);
      if (r.ok) assert.ok(r.value.startsWith('https://mail.example.com/gw'));
      mapRequestPath(gw, s, { mode: 'auto', forwardedPrefix: null });
    }),
    { numRuns: 2000 },
  );
});
