/**
 * Tests for forwarded.ts: the right-to-left walk, spoofing attempts (anchors-admin-secrets.md
 * §4.6.3-4), which proto/host/prefix is honoured, and the warnings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { resolveForwarded, type ClientIpHeader, type Forwarding } from './forwarded.js';
import { headerPairs, type HeaderList } from './headers.js';
import { parseTrustedProxies, type TrustedProxies } from './trusted-proxies.js';

function trusted(list: readonly string[]): TrustedProxies {
  const r = parseTrustedProxies(list);
  assert.ok(r.ok);
  return r.value;
}

const LB = trusted(['loopback', '10.0.0.0/8']);

function resolve(peer: string | undefined, headers: HeaderList, opts: { header?: ClientIpHeader; tls?: boolean; maxHops?: number; trust?: TrustedProxies } = {}): Forwarding {
  return resolveForwarded(
    { peer, tls: opts.tls ?? false, headers },
    { trusted: opts.trust ?? LB, header: opts.header ?? 'x-forwarded-for', ...(opts.maxHops === undefined ? {} : { maxHops: opts.maxHops }) },
  );
}

const codes = (f: Forwarding): string[] => f.warnings.map((w) => w.code);

test('an untrusted peer is the client, and its forwarding headers are ignored and listed', () => {
  const f = resolve('203.0.113.9', [
    ['X-Forwarded-For', '1.2.3.4'],
    ['X-Forwarded-Proto', 'https'],
    ['X-Forwarded-Host', 'evil.example'],
    ['Host', 'mail.example.com'],
  ]);
  assert.equal(f.clientIp, '203.0.113.9');
  assert.equal(f.trustedPeer, false);
  assert.equal(f.proto, 'http');
  assert.equal(f.host, 'mail.example.com');
  assert.deepEqual(f.ignoredHeaders, ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host']);
  assert.deepEqual(codes(f), ['forwarded-untrusted']);
  assert.match(f.warnings[0]?.fix ?? '', /add "203\.0\.113\.9".*admin\.trusted_proxies/);
  assert.deepEqual(f.hops, [{ address: '203.0.113.9', source: 'socket', trusted: false, why: 'socket peer, not in admin.trusted_proxies: it is the client' }]);
});

test('a trusted peer forwarding "spoof, real": the client is real (§4.6.4)', () => {
  const f = resolve('127.0.0.1', [['X-Forwarded-For', '6.6.6.6, 198.51.100.20']]);
  assert.equal(f.clientIp, '198.51.100.20');
  assert.deepEqual(f.hops.map((h) => [h.address, h.trusted]), [['127.0.0.1', true], ['198.51.100.20', false]]);
  assert.match(f.hops[1]?.why ?? '', /first address not in admin\.trusted_proxies/);
  assert.deepEqual(f.warnings, []);
});

test('trusted hops are stepped over right to left, across repeated header lines', () => {
  const f = resolve('::ffff:10.0.0.2', [
    ['X-Forwarded-For', '6.6.6.6, 198.51.100.20'],
    ['x-forwarded-for', '10.1.2.3'],
    ['X-FORWARDED-FOR', '10.9.9.9, 127.0.0.1'],
  ]);
  assert.equal(f.clientIp, '198.51.100.20');
  assert.deepEqual(f.hops.map((h) => h.address), ['10.0.0.2', '127.0.0.1', '10.9.9.9', '10.1.2.3', '198.51.100.20']);
  assert.equal(f.hops[0]?.why, 'socket peer, in trusted network 10.0.0.0/8');
  assert.equal(f.hops[1]?.why, 'in trusted network loopback (127.0.0.0/8)');
});

test('§4.6.3: the same client through two different trusted proxies resolves to one address', () => {
  const a = resolve('10.0.0.5', [['X-Forwarded-For', '198.51.100.20']]);
  const b = resolve('10.0.0.6', [['X-Forwarded-For', '198.51.100.20']]);
  assert.equal(a.clientIp, '198.51.100.20');
  assert.equal(b.clientIp, a.clientIp);
});

test('when every entry is trusted, the leftmost is the client', () => {
  const f = resolve('127.0.0.1', [['X-Forwarded-For', '10.1.1.1, 10.2.2.2']]);
  assert.equal(f.clientIp, '10.1.1.1');
  assert.match(f.hops[f.hops.length - 1]?.why ?? '', /leftmost entry, so it is the client/);
});

test('a trusted peer without a client header: the peer is the client', () => {
  const f = resolve('127.0.0.1', [['Host', 'localhost:8080']]);
  assert.equal(f.clientIp, '127.0.0.1');
  assert.equal(f.hops.length, 1);
  assert.deepEqual(f.warnings, []);
});

test('garbage, unknown and ports in X-Forwarded-For, deliberately', () => {
  const garbage = resolve('127.0.0.1', [['X-Forwarded-For', '198.51.100.20, not-an-ip, 10.0.0.7']]);
  assert.equal(garbage.clientIp, '10.0.0.7', 'the proxy that wrote the garbage stands in for its client');
  assert.deepEqual(garbage.hops.map((h) => [h.address, h.trusted]), [['127.0.0.1', true], ['10.0.0.7', true], ['not-an-ip', false]]);
  assert.deepEqual(codes(garbage), ['malformed-hop']);
  assert.match(garbage.warnings[0]?.message ?? '', /10\.0\.0\.7 reported a malformed entry "not-an-ip"/);

  const unknown = resolve('127.0.0.1', [['X-Forwarded-For', 'unknown']]);
  assert.equal(unknown.clientIp, '127.0.0.1');
  assert.deepEqual(codes(unknown), ['hidden-hop']);

  const ports = resolve('127.0.0.1', [['X-Forwarded-For', '[2001:db8::9]:443, 10.0.0.1:8080']]);
  assert.equal(ports.clientIp, '2001:db8::9');

  const mapped = resolve('127.0.0.1', [['X-Forwarded-For', '::ffff:198.51.100.20']]);
  assert.equal(mapped.clientIp, '198.51.100.20');

  const empty = resolve('127.0.0.1', [['X-Forwarded-For', ' , ,198.51.100.20,, ']]);
  assert.equal(empty.clientIp, '198.51.100.20', 'empty list items are ignored (RFC 9110 §5.6.1)');
});

test('a client cannot push garbage past the trusted proxy: only entries right of it are read', () => {
  const f = resolve('127.0.0.1', [['X-Forwarded-For', '"x, ][, _hidden, 198.51.100.20']]);
  assert.equal(f.clientIp, '198.51.100.20');
  assert.deepEqual(f.warnings, []);
});

test('Forwarded: the walk uses for=, IPv6 quoted and bracketed, with ports', () => {
  const f = resolve('127.0.0.1', [['Forwarded', 'for=6.6.6.6, for="[2001:db8:cafe::17]:4711";proto=https, for="10.0.0.3:_p";proto=http']], { header: 'forwarded' });
  assert.equal(f.clientIp, '2001:db8:cafe::17');
  assert.deepEqual(f.hops.map((h) => [h.address, h.source, h.trusted]), [
    ['127.0.0.1', 'socket', true],
    ['10.0.0.3', 'forwarded', true],
    ['2001:db8:cafe::17', 'forwarded', false],
  ]);
});

test('Forwarded: proto= and host= come from the proxy that faced the client, never from beyond it', () => {
  const f = resolve('127.0.0.1', [
    ['Forwarded', 'for=6.6.6.6;proto=http;host=evil.example'],
    ['Forwarded', 'for=198.51.100.20;proto=https;host=mail.example.com, for=10.0.0.3;proto=http;host="backend:8080"'],
    ['Host', 'internal:8880'],
  ], { header: 'forwarded' });
  assert.equal(f.clientIp, '198.51.100.20');
  assert.equal(f.proto, 'https');
  assert.equal(f.host, 'mail.example.com');
  assert.deepEqual(f.from, { proto: 'forwarded', host: 'forwarded', prefix: 'none' });
});

test('Forwarded: a parameter missing on the outer element is taken from the nearest trusted one that has it', () => {
  const f = resolve('127.0.0.1', [['Forwarded', 'for=198.51.100.20, for=10.0.0.3;proto=https']], { header: 'forwarded' });
  assert.equal(f.proto, 'https');
});

test('Forwarded: _hidden, unknown, missing for= and malformed elements stop the walk at the proxy that wrote them', () => {
  for (const [value, code, hop, client] of [
    ['for=_hidden, for=10.0.0.3', 'hidden-hop', '_hidden', '10.0.0.3'],
    ['for=unknown;proto=https', 'hidden-hop', 'unknown', '127.0.0.1'],
    ['proto=https;host=mail.example.com', 'hidden-hop', '(no for=)', '127.0.0.1'],
    ['for="2001:db8::1"', 'malformed-hop', '2001:db8::1', '127.0.0.1'],
    ['for="[2001:db8::1]', 'malformed-hop', 'for="[2001:db8::1]', '127.0.0.1'],
    ['for=1.2.3.4;for=5.6.7.8', 'malformed-hop', 'for=1.2.3.4;for=5.6.7.8', '127.0.0.1'],
    ['for=10.0.0.3:4711', 'malformed-hop', 'for=10.0.0.3:4711', '127.0.0.1'],
  ] as const) {
    const f = resolve('127.0.0.1', [['Forwarded', value]], { header: 'forwarded' });
    assert.equal(f.clientIp, client, value);
    assert.deepEqual(codes(f), [code], value);
    const last = f.hops[f.hops.length - 1];
    assert.equal(last?.address, hop, value);
    assert.equal(last?.trusted, false);
    assert.match(last?.why ?? '', new RegExp(`the client IP stays ${client.replace(/\./g, '\\.')}`));
  }
  const hidden = resolve('127.0.0.1', [['Forwarded', 'for=_hidden;proto=https;host=mail.example.com']], { header: 'forwarded' });
  assert.equal(hidden.proto, 'https', 'the element was still written by a trusted proxy');
  assert.equal(hidden.host, 'mail.example.com');
});

test('Forwarded: a client\'s unbalanced quote cannot swallow the trusted proxy\'s element', () => {
  const f = resolve('127.0.0.1', [['Forwarded', 'for="6.6.6.6, for=198.51.100.20;proto=https']], { header: 'forwarded' });
  assert.equal(f.clientIp, '198.51.100.20');
  assert.equal(f.proto, 'https');
  assert.deepEqual(f.warnings, []);
});

test('X-Forwarded-Proto/Host/Prefix: honoured from a trusted peer, the last value when several', () => {
  const f = resolve('127.0.0.1', [
    ['X-Forwarded-Proto', 'HTTPS'],
    ['X-Forwarded-Host', 'Mail.Example.com:8443'],
    ['X-Forwarded-Prefix', '/gw'],
  ]);
  assert.deepEqual([f.proto, f.host, f.prefix], ['https', 'mail.example.com:8443', '/gw/']);
  assert.deepEqual(f.from, { proto: 'x-forwarded-proto', host: 'x-forwarded-host', prefix: 'x-forwarded-prefix' });

  const several = resolve('127.0.0.1', [['X-Forwarded-Proto', 'https, http'], ['X-Forwarded-Proto', 'https']]);
  assert.equal(several.proto, 'https');
  assert.deepEqual(codes(several), ['conflicting-values']);
  const same = resolve('127.0.0.1', [['X-Forwarded-Proto', 'https, https']]);
  assert.deepEqual(codes(same), [], 'repeating one value is not a conflict');
});

test('malformed scheme, host and prefix values are ignored with a warning', () => {
  const f = resolve('127.0.0.1', [
    ['X-Forwarded-Proto', 'ftp'],
    ['X-Forwarded-Host', 'a b'],
    ['X-Forwarded-Prefix', '/../admin'],
    ['Host', 'mail.example.com'],
  ], { tls: true });
  assert.deepEqual([f.proto, f.host, f.prefix], ['https', 'mail.example.com', null]);
  assert.deepEqual(f.from, { proto: 'socket', host: 'host', prefix: 'none' });
  assert.deepEqual(codes(f), ['malformed-value', 'malformed-value', 'malformed-value']);
});

test('Host: absent, duplicated or malformed', () => {
  assert.equal(resolve('127.0.0.1', []).host, null);
  const dup = resolve('127.0.0.1', [['Host', 'a.example'], ['Host', 'b.example']]);
  assert.equal(dup.host, null);
  assert.deepEqual(codes(dup), ['duplicate-host']);
  for (const bad of ['a b', 'a.example:99999', '[::1', '127.1', 'x/y', '']) {
    assert.equal(resolve('127.0.0.1', [['Host', bad]]).host, null, bad);
  }
  assert.equal(resolve('127.0.0.1', [['Host', '[::1]:8080']]).host, '[::1]:8080');
  assert.equal(resolve('127.0.0.1', [['Host', 'postern_admin:8080']]).host, 'postern_admin:8080', 'container names have underscores');
});

test('the header setting: the other scheme\'s headers are ignored, and sending only them is flagged', () => {
  const xffOnly = resolve('127.0.0.1', [['X-Forwarded-For', '198.51.100.20'], ['X-Forwarded-Proto', 'https']], { header: 'forwarded' });
  assert.equal(xffOnly.clientIp, '127.0.0.1');
  assert.equal(xffOnly.proto, 'http', 'X-Forwarded-Proto is not read in forwarded mode');
  assert.deepEqual(xffOnly.ignoredHeaders, ['x-forwarded-for', 'x-forwarded-proto']);
  assert.deepEqual(codes(xffOnly), ['header-scheme-mismatch']);

  const fwdOnly = resolve('127.0.0.1', [['Forwarded', 'for=198.51.100.20'], ['X-Real-IP', '198.51.100.20']]);
  assert.equal(fwdOnly.clientIp, '127.0.0.1');
  assert.deepEqual(fwdOnly.ignoredHeaders, ['forwarded', 'x-real-ip']);
  assert.deepEqual(codes(fwdOnly), ['header-scheme-mismatch']);

  const none = resolve('127.0.0.1', [['X-Forwarded-For', '198.51.100.20'], ['X-Forwarded-Proto', 'https']], { header: 'none' });
  assert.equal(none.clientIp, '127.0.0.1');
  assert.equal(none.proto, 'http');
  assert.deepEqual(codes(none), ['header-scheme-mismatch']);
});

test('X-Forwarded-Prefix is honoured in forwarded mode too (RFC 7239 has no prefix)', () => {
  const f = resolve('127.0.0.1', [['Forwarded', 'for=198.51.100.20'], ['X-Forwarded-Prefix', '/gw/']], { header: 'forwarded' });
  assert.equal(f.prefix, '/gw/');
});

test('maxHops: the hop after that many proxies is the client, even from a trusted network', () => {
  const headers: HeaderList = [['X-Forwarded-For', '198.51.100.20, 10.0.0.8, 10.0.0.9']];
  assert.equal(resolve('127.0.0.1', headers).clientIp, '198.51.100.20');
  const one = resolve('127.0.0.1', headers, { maxHops: 1 });
  assert.equal(one.clientIp, '10.0.0.9');
  assert.deepEqual(codes(one), ['max-hops-reached']);
  assert.match(one.hops[1]?.why ?? '', /admin\.max_proxy_hops = 1/);
  assert.equal(resolve('127.0.0.1', headers, { maxHops: 2 }).clientIp, '10.0.0.8');
  assert.equal(resolve('127.0.0.1', headers, { maxHops: 3 }).clientIp, '198.51.100.20');
  assert.deepEqual(codes(resolve('127.0.0.1', headers, { maxHops: 3 })), []);
  assert.equal(resolve('127.0.0.1', headers, { maxHops: 0 }).clientIp, '127.0.0.1', '0: no proxy speaks for a client');
});

test('an unknown peer address (closed or Unix socket) gives no client IP', () => {
  for (const peer of [undefined, '', 'garbage']) {
    const f = resolve(peer, [['X-Forwarded-For', '198.51.100.20']]);
    assert.equal(f.clientIp, null);
    assert.equal(f.trustedPeer, false);
    assert.deepEqual(codes(f), ['unusable-peer']);
    assert.deepEqual(f.ignoredHeaders, ['x-forwarded-for']);
  }
});

test('trust-everything lets any client choose its address (the SFTPGo #1410 workaround)', () => {
  const all = trusted(['0.0.0.0/0', '::/0']);
  const f = resolve('203.0.113.9', [['X-Forwarded-For', '1.2.3.4']], { trust: all });
  assert.equal(f.clientIp, '1.2.3.4');
});

test('headerPairs turns Node\'s rawHeaders into pairs', () => {
  assert.deepEqual(headerPairs(['Host', 'a', 'X-Forwarded-For', '1.2.3.4', 'x-forwarded-for', '5.6.7.8']), [
    ['Host', 'a'],
    ['X-Forwarded-For', '1.2.3.4'],
    ['x-forwarded-for', '5.6.7.8'],
  ]);
  assert.deepEqual(headerPairs(['odd']), []);
});

test('property: whatever the headers, it never throws, and an untrusted peer is always the client', () => {
  const name = fc.constantFrom('X-Forwarded-For', 'Forwarded', 'X-Forwarded-Proto', 'X-Forwarded-Host', 'X-Forwarded-Prefix', 'Host');
  const value = fc.oneof(fc.string({ unit: 'binary', maxLength: 60 }), fc.ipV4(), fc.ipV6(), fc.constantFrom('for=10.0.0.1', 'for="[::1]"', 'unknown', '_x', ', ,'));
  fc.assert(
    fc.property(
      fc.constantFrom('127.0.0.1', '10.0.0.1', '203.0.113.5', '::1', '::ffff:10.1.1.1'),
      fc.array(fc.tuple(name, value), { maxLength: 6 }),
      fc.constantFrom<ClientIpHeader>('x-forwarded-for', 'forwarded', 'none'),
      (peer, headers, header) => {
        const f = resolve(peer, headers, { header });
        assert.ok(f.hops.length >= 1);
        if (peer === '203.0.113.5') {
          assert.equal(f.clientIp, peer);
          assert.equal(f.proto, 'http');
        }
        for (const h of f.hops) assert.ok(/^[\x20-\x7e]*$/.test(h.address), 'diagnostics show printable text only');
      },
    ),
    { numRuns: 1500 },
  );
});
