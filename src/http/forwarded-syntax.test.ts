/** Tests for forwarded-syntax.ts: X-Forwarded-For entries, RFC 7239 nodes and elements, the odd forms deliberately. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseForwardedElement, parseForwardedNode, parseXffEntry, type NodeName } from './forwarded-syntax.js';

const ip = (address: string): NodeName => ({ kind: 'ip', address });

test('X-Forwarded-For: addresses with and without ports and brackets, normalised', () => {
  assert.deepEqual(parseXffEntry('192.0.2.60'), ip('192.0.2.60'));
  assert.deepEqual(parseXffEntry(' 192.0.2.60:8080 '), ip('192.0.2.60'), 'Azure Application Gateway adds the port');
  assert.deepEqual(parseXffEntry('2001:DB8::17'), ip('2001:db8::17'));
  assert.deepEqual(parseXffEntry('[2001:db8::17]'), ip('2001:db8::17'));
  assert.deepEqual(parseXffEntry('[2001:db8::17]:4711'), ip('2001:db8::17'));
  assert.deepEqual(parseXffEntry('::ffff:192.0.2.1'), ip('192.0.2.1'), 'IPv4-mapped IPv6 is the IPv4 client');
  assert.deepEqual(parseXffEntry('[::ffff:c000:201]:1'), ip('192.0.2.1'));
  assert.deepEqual(parseXffEntry('unknown'), { kind: 'unknown' }, 'Squid with forwarded_for off');
  assert.deepEqual(parseXffEntry('UNKNOWN'), { kind: 'unknown' });
});

test('X-Forwarded-For: everything else is invalid, with a reason', () => {
  for (const bad of [
    '',
    'garbage',
    'example.com',
    '"192.0.2.1"',
    '192.0.2.1:99999',
    '192.0.2.1:',
    '192.0.2',
    '010.0.0.1',
    '0x7f.0.0.1',
    '256.1.1.1',
    '[2001:db8::17',
    '[2001:db8::17]x',
    '[192.0.2.1]',
    'fe80::1%eth0',
    '_hidden',
    '1.2.3.4 5.6.7.8',
  ]) {
    const n = parseXffEntry(bad);
    assert.equal(n.kind, 'invalid', `${JSON.stringify(bad)} gave ${JSON.stringify(n)}`);
    assert.ok(n.kind === 'invalid' && n.reason.length > 0);
  }
});

test('RFC 7239 nodes: §6 forms, including obfuscated names and ports', () => {
  assert.deepEqual(parseForwardedNode('192.0.2.43'), ip('192.0.2.43'));
  assert.deepEqual(parseForwardedNode('192.0.2.43:47011'), ip('192.0.2.43'));
  assert.deepEqual(parseForwardedNode('[2001:db8:cafe::17]'), ip('2001:db8:cafe::17'));
  assert.deepEqual(parseForwardedNode('[2001:db8:cafe::17]:4711'), ip('2001:db8:cafe::17'));
  assert.deepEqual(parseForwardedNode('[::ffff:192.0.2.1]:_port'), ip('192.0.2.1'));
  assert.deepEqual(parseForwardedNode('unknown'), { kind: 'unknown' });
  assert.deepEqual(parseForwardedNode('unknown:80'), { kind: 'unknown' });
  assert.deepEqual(parseForwardedNode('_hidden'), { kind: 'obfuscated', id: '_hidden' });
  assert.deepEqual(parseForwardedNode('_SEVKISEK'), { kind: 'obfuscated', id: '_SEVKISEK' });
  assert.deepEqual(parseForwardedNode('_gazonk:_x-1'), { kind: 'obfuscated', id: '_gazonk' });
});

test('RFC 7239 nodes: unbracketed IPv6 and other malformed ones are invalid', () => {
  const reason = (v: string): string => {
    const n = parseForwardedNode(v);
    assert.equal(n.kind, 'invalid', `${v} gave ${JSON.stringify(n)}`);
    return n.kind === 'invalid' ? n.reason : '';
  };
  assert.match(reason('2001:db8::1'), /brackets/);
  assert.match(reason('[2001:db8::1'), /bracketed/);
  assert.match(reason('[2001:db8::1]:'), /bracketed/);
  assert.match(reason('192.0.2.1:'), /node-port/);
  assert.match(reason('192.0.2.1:65536'), /node-port/);
  assert.match(reason('_'), /IPv4/);
  assert.match(reason('_bad!'), /IPv4/);
  assert.match(reason('example.com'), /IPv4/);
  assert.match(reason('[fe80::1%25eth0]'), /IPv6/);
  assert.match(reason(''), /IPv4/);
});

test('forwarded-element: tokens and quoted strings, case-insensitive names, tolerant of OWS around ;', () => {
  const params = (s: string): Record<string, string> => {
    const r = parseForwardedElement(s);
    assert.ok(r.ok, r.ok ? '' : r.error.detail);
    return Object.fromEntries(r.value);
  };
  assert.deepEqual(params('for=192.0.2.60;proto=http;by=203.0.113.43'), { for: '192.0.2.60', proto: 'http', by: '203.0.113.43' });
  assert.deepEqual(params('For="[2001:db8:cafe::17]:4711"'), { for: '[2001:db8:cafe::17]:4711' });
  assert.deepEqual(params('for=192.0.2.43 ; Proto=HTTPS ;host="mail.example.com:8443"'), { for: '192.0.2.43', proto: 'HTTPS', host: 'mail.example.com:8443' });
  assert.deepEqual(params('for="a\\"b"'), { for: 'a"b' }, 'quoted-pair');
  assert.deepEqual(params(';;for=_x;'), { for: '_x' }, 'empty pairs are allowed by the grammar');
  assert.deepEqual(params(''), {});
});

test('forwarded-element: malformed elements are refused, never half-read', () => {
  for (const bad of [
    'for',
    'for=',
    '=1.2.3.4',
    'for=1.2.3.4=5',
    'for="1.2.3.4',
    'for="1.2.3.4"x',
    'for=1.2.3.4;for=5.6.7.8',
    'for=[::1]',
    'for="\x01"',
    'for=1.2.3.4 proto=http',
    'fo r=1.2.3.4',
  ]) {
    const r = parseForwardedElement(bad);
    assert.equal(r.ok, false, `${JSON.stringify(bad)} was accepted`);
    assert.ok(!r.ok && r.error.code === 'bad-element' && r.error.detail.length > 0);
  }
});

test('property: none of the parsers throws on any string', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (s) => {
      parseXffEntry(s);
      parseForwardedNode(s);
      parseForwardedElement(s);
    }),
    { numRuns: 3000 },
  );
});

test('property: any IP fast-check writes parses as itself from XFF and from a quoted for=', () => {
  fc.assert(
    fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), fc.option(fc.integer({ min: 0, max: 65535 })), (addr, port) => {
      const six = addr.includes(':');
      const xff = parseXffEntry(six ? `[${addr}]${port === null ? '' : `:${port}`}` : `${addr}${port === null ? '' : `:${port}`}`);
      const fwd = parseForwardedNode(six ? `[${addr}]${port === null ? '' : `:${port}`}` : `${addr}${port === null ? '' : `:${port}`}`);
      assert.equal(xff.kind, 'ip');
      assert.deepEqual(fwd, xff);
    }),
  );
});
