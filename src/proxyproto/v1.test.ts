/** Tests for the PROXY protocol v1 line: spec §2.1's examples and limits, and every refusal. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeProxyHeader, encodeV1, V1_MAX_BYTES, type ProxyDecodeResult, type ProxyHeader } from './index.js';

const ascii = (s: string): Buffer => Buffer.from(s, 'latin1');

function complete(r: ProxyDecodeResult): { header: ProxyHeader; consumed: number } {
  assert.equal(r.status, 'complete', r.status === 'error' ? `${r.error.code}: ${r.error.detail}` : r.status);
  return r as { status: 'complete'; header: ProxyHeader; consumed: number };
}

function errorCode(s: string | Buffer, endOfStream = false): string {
  const r = decodeProxyHeader(typeof s === 'string' ? ascii(s) : s, { endOfStream });
  assert.equal(r.status, 'error', `expected ${JSON.stringify(String(s))} to be refused, got ${r.status}`);
  return r.status === 'error' ? r.error.code : '';
}

test('decodes the spec §2.1 example and leaves the HTTP request after it alone', () => {
  const line = 'PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n';
  const { header, consumed } = complete(decodeProxyHeader(ascii(`${line}GET / HTTP/1.1\r\nHost: 192.168.0.11\r\n\r\n`)));
  assert.equal(consumed, line.length);
  assert.deepEqual(header, {
    version: 1,
    command: 'proxy',
    transport: 'stream',
    family: 'ipv4',
    source: { address: '192.168.0.1', port: 56324 },
    destination: { address: '192.168.0.11', port: 443 },
    tlvs: [],
    info: {},
  });
});

test('accepts the longest TCP6 line (104 bytes) and normalises IPv6 text', () => {
  const full = 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff';
  const line = `PROXY TCP6 ${full} ${full} 65535 65535\r\n`;
  assert.equal(line.length, 104);
  const { header } = complete(decodeProxyHeader(ascii(line)));
  assert.equal(header.family, 'ipv6');
  const h = complete(decodeProxyHeader(ascii('PROXY TCP6 2001:DB8:0:0:0:0:0:1 ::FFFF:192.0.2.1 0 1\r\n'))).header;
  assert.ok(h.family === 'ipv6');
  assert.deepEqual([h.source, h.destination], [
    { address: '2001:db8::1', port: 0 },
    { address: '::ffff:192.0.2.1', port: 1 },
  ]);
});

test('UNKNOWN: short and long forms, whatever follows it, means "use the real connection"', () => {
  for (const line of ['PROXY UNKNOWN\r\n', 'PROXY UNKNOWN ffff:f::1 ffff:f::2 65535 65535\r\n', 'PROXY UNKNOWN anything at all \x01\r\n']) {
    const { header, consumed } = complete(decodeProxyHeader(ascii(`${line}rest`)));
    assert.equal(consumed, line.length);
    assert.equal(header.family, 'unspec');
    assert.equal(header.transport, 'unspec');
  }
});

test('the line must end within 107 bytes (spec worst case); until then it waits', () => {
  const worst = `PROXY UNKNOWN ${'ffff:'.repeat(7)}ffff ${'ffff:'.repeat(7)}ffff 65535 65535\r\n`;
  assert.equal(worst.length, V1_MAX_BYTES);
  complete(decodeProxyHeader(ascii(worst)));
  const long = `PROXY UNKNOWN ${'x'.repeat(V1_MAX_BYTES)}\r\n`;
  assert.equal(errorCode(long.slice(0, V1_MAX_BYTES)), 'too-long');
  assert.equal(errorCode(long), 'too-long');
  assert.deepEqual(decodeProxyHeader(ascii(long.slice(0, V1_MAX_BYTES - 1))), { status: 'need-more' });
  assert.equal(errorCode(long.slice(0, 50), true), 'truncated', 'the peer closed before the CRLF');
});

test('every proper prefix of a valid line is need-more', () => {
  const line = 'PROXY TCP6 2001:db8::1 2001:db8::2 4711 993\r\n';
  for (let n = 0; n < line.length; n++) assert.deepEqual(decodeProxyHeader(ascii(line.slice(0, n))), { status: 'need-more' }, `prefix of ${n}`);
  assert.equal(complete(decodeProxyHeader(ascii(line))).consumed, line.length);
});

test('a lone LF or a CR without LF is refused, as early as it is seen', () => {
  assert.equal(errorCode('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n'), 'bad-syntax');
  assert.equal(errorCode('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX'), 'bad-syntax');
  assert.equal(errorCode('PROXY TCP4 1.2.3.4\r 5.6.7.8 1 2\r\n'), 'bad-syntax');
  assert.equal(errorCode('PROXYX'), 'bad-syntax', 'PROXY must be followed by a space');
});

test('fields: single spaces, exactly four after TCP4/TCP6', () => {
  for (const line of [
    'PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n',
    'PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n',
    'PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n',
    'PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n',
    'PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n',
    'PROXY TCP4\r\n',
  ]) {
    assert.match(errorCode(line), /^(bad-syntax|unsupported-family)$/, line);
  }
  assert.equal(errorCode('PROXY TCP4\r\n'), 'bad-syntax');
});

test('only TCP4, TCP6 and UNKNOWN exist', () => {
  assert.equal(errorCode('PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n'), 'unsupported-family');
  assert.equal(errorCode('PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n'), 'unsupported-family', 'the keywords are upper case');
  assert.equal(errorCode('PROXY \r\n'), 'unsupported-family');
});

test('addresses must match the family, in canonical form (no leading zeros, no zone)', () => {
  assert.equal(errorCode('PROXY TCP4 192.168.0.01 5.6.7.8 1 2\r\n'), 'bad-address');
  assert.equal(errorCode('PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n'), 'bad-address');
  assert.equal(errorCode('PROXY TCP4 ::1 5.6.7.8 1 2\r\n'), 'bad-address');
  assert.equal(errorCode('PROXY TCP6 1.2.3.4 ::1 1 2\r\n'), 'bad-address');
  assert.equal(errorCode('PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n'), 'bad-address');
  assert.equal(errorCode('PROXY TCP6 1::2::3 ::1 1 2\r\n'), 'bad-address');
});

test('ports: decimal 0-65535 without leading zeros', () => {
  assert.equal(errorCode('PROXY TCP4 1.2.3.4 5.6.7.8 0443 2\r\n'), 'bad-port');
  assert.equal(errorCode('PROXY TCP4 1.2.3.4 5.6.7.8 1 65536\r\n'), 'bad-port');
  assert.equal(errorCode('PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n'), 'bad-port');
  assert.equal(errorCode('PROXY TCP4 1.2.3.4 5.6.7.8 0x10 2\r\n'), 'bad-port');
  complete(decodeProxyHeader(ascii('PROXY TCP4 1.2.3.4 5.6.7.8 0 65535\r\n')));
});

test('encodeV1 writes the spec form: TCP4, TCP6 with hexadecimal groups, UNKNOWN', () => {
  const enc = (h: Parameters<typeof encodeV1>[0]): string => {
    const r = encodeV1(h);
    assert.ok(r.ok, r.ok ? '' : r.error.detail);
    return r.value.toString('latin1');
  };
  assert.equal(enc({ family: 'ipv4', source: { address: '192.0.2.1', port: 4711 }, destination: { address: '::ffff:192.0.2.2', port: 143 } }), 'PROXY TCP4 192.0.2.1 192.0.2.2 4711 143\r\n');
  assert.equal(enc({ family: 'ipv6', source: { address: '2001:DB8::1', port: 1 }, destination: { address: '192.0.2.2', port: 2 } }), 'PROXY TCP6 2001:db8::1 ::ffff:c000:202 1 2\r\n');
  assert.equal(enc({ family: 'unspec' }), 'PROXY UNKNOWN\r\n');
});

test('encodeV1 refuses what version 1 cannot say', () => {
  const code = (h: Parameters<typeof encodeV1>[0]): string => {
    const r = encodeV1(h);
    return r.ok ? 'ok' : r.error.code;
  };
  const ip = { address: '192.0.2.1', port: 1 };
  assert.equal(code({ family: 'unix', source: { path: '/a' }, destination: { path: '/b' } }), 'unsupported-family');
  assert.equal(code({ family: 'ipv4', transport: 'dgram', source: ip, destination: ip }), 'unsupported-family');
  assert.equal(code({ family: 'ipv4', source: ip, destination: ip, tlvs: [{}] }), 'unsupported-family');
  assert.equal(code({ family: 'ipv4', source: { address: '2001:db8::1', port: 1 }, destination: ip }), 'bad-address');
  assert.equal(code({ family: 'ipv4', source: { address: 'example.com', port: 1 }, destination: ip }), 'bad-address');
  assert.equal(code({ family: 'ipv4', source: { address: '192.0.2.1', port: 65536 }, destination: ip }), 'bad-port');
  assert.equal(code({ family: 'ipv4', source: { address: '192.0.2.1', port: 1.5 }, destination: ip }), 'bad-port');
});
