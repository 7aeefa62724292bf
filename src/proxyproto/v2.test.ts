/** Tests for the PROXY protocol v2 header: hand-built bytes from spec §2.2, TLVs, the checksum, and every refusal. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  crc32c,
  decodeProxyHeader,
  encodeV2,
  PP2_TYPE,
  V2_SIGNATURE,
  type ProxyDecodeResult,
  type ProxyHeader,
  type V2EncodeInput,
} from './index.js';

/** The signature, then `ver_cmd`, `fam`, a length computed from `rest`, then `rest`. */
function v2(verCmd: number, fam: number, rest: number[] | Buffer, length?: number): Buffer {
  const body = Buffer.from(rest);
  const fixed = Buffer.from([verCmd, fam, 0, 0]);
  fixed.writeUInt16BE(length ?? body.length, 2);
  return Buffer.concat([V2_SIGNATURE, fixed, body]);
}

const TCP4_BLOCK = [192, 0, 2, 1, 198, 51, 100, 7, 0x12, 0x67, 0x00, 0x8f]; // 192.0.2.1:4711 → 198.51.100.7:143

function tlv(type: number, value: Buffer | string): Buffer {
  const v = Buffer.from(value);
  return Buffer.concat([Buffer.from([type, v.length >> 8, v.length & 0xff]), v]);
}

function complete(r: ProxyDecodeResult): { header: ProxyHeader; consumed: number } {
  assert.equal(r.status, 'complete', r.status === 'error' ? `${r.error.code}: ${r.error.detail}` : r.status);
  return r as { status: 'complete'; header: ProxyHeader; consumed: number };
}

function errorCode(buf: Buffer, opts: { endOfStream?: boolean; maxV2Bytes?: number } = {}): string {
  const r = decodeProxyHeader(buf, opts);
  assert.equal(r.status, 'error', `expected a refusal, got ${r.status}`);
  return r.status === 'error' ? r.error.code : '';
}

function encoded(input: V2EncodeInput): Buffer {
  const r = encodeV2(input);
  assert.ok(r.ok, r.ok ? '' : `${r.error.code}: ${r.error.detail}`);
  return r.value;
}

test('crc32c matches the RFC 4960 / iSCSI check value', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  assert.equal(crc32c(Buffer.alloc(32)), 0x8a9136aa);
});

test('TCP over IPv4: hand-built bytes decode, and the encoder writes the same bytes', () => {
  const bytes = v2(0x21, 0x11, TCP4_BLOCK);
  const { header, consumed } = complete(decodeProxyHeader(Buffer.concat([bytes, Buffer.from('* OK')])));
  assert.equal(consumed, 28);
  assert.deepEqual(header, {
    version: 2,
    command: 'proxy',
    transport: 'stream',
    family: 'ipv4',
    source: { address: '192.0.2.1', port: 4711 },
    destination: { address: '198.51.100.7', port: 143 },
    tlvs: [],
    info: {},
  });
  assert.deepEqual(encoded(header), bytes);
});

test('UDP over IPv6 and Unix stream sockets decode', () => {
  const six = Buffer.alloc(36);
  six[0] = 0x20; six[1] = 0x01; six[2] = 0x0d; six[3] = 0xb8; six[15] = 1; // 2001:db8::1
  six[26] = 0xff; six[27] = 0xff; six[28] = 192; six[29] = 0; six[30] = 2; six[31] = 9; // ::ffff:192.0.2.9
  six.writeUInt16BE(53, 32);
  six.writeUInt16BE(5353, 34);
  const udp = complete(decodeProxyHeader(v2(0x21, 0x22, six))).header;
  assert.equal(udp.transport, 'dgram');
  assert.ok(udp.family === 'ipv6');
  assert.deepEqual([udp.source, udp.destination], [{ address: '2001:db8::1', port: 53 }, { address: '::ffff:192.0.2.9', port: 5353 }]);

  const unix = Buffer.alloc(216);
  unix.write('/run/client.sock');
  unix.write('/run/postern.sock', 108);
  const u = complete(decodeProxyHeader(v2(0x21, 0x31, unix))).header;
  assert.ok(u.family === 'unix');
  assert.deepEqual([u.source.path, u.destination.path], ['/run/client.sock', '/run/postern.sock']);
});

test('LOCAL (a health check) discards the address block, whatever family it names', () => {
  const plain = complete(decodeProxyHeader(v2(0x20, 0x00, [])));
  assert.equal(plain.consumed, 16);
  assert.equal(plain.header.command, 'local');
  assert.equal(plain.header.family, 'unspec');
  const withAddresses = complete(decodeProxyHeader(v2(0x20, 0x11, TCP4_BLOCK)));
  assert.equal(withAddresses.header.family, 'unspec');
  assert.equal(withAddresses.consumed, 28, 'the length field still says how much to skip');
  assert.equal(complete(decodeProxyHeader(v2(0x20, 0x47, [1, 2, 3]))).header.family, 'unspec', 'the family is ignored for LOCAL');
});

test('PROXY with AF_UNSPEC or an unspecified transport gives no addresses', () => {
  assert.equal(complete(decodeProxyHeader(v2(0x21, 0x00, []))).header.family, 'unspec');
  assert.equal(complete(decodeProxyHeader(v2(0x21, 0x10, [1, 2, 3, 4]))).header.family, 'unspec');
  assert.equal(complete(decodeProxyHeader(v2(0x21, 0x01, [9]))).header.family, 'unspec');
});

test('the version is checked as soon as the 13th byte arrives, the command too', () => {
  assert.equal(errorCode(Buffer.concat([V2_SIGNATURE, Buffer.from([0x11])])), 'bad-version');
  assert.equal(errorCode(Buffer.concat([V2_SIGNATURE, Buffer.from([0x31])])), 'bad-version');
  assert.equal(errorCode(Buffer.concat([V2_SIGNATURE, Buffer.from([0x22])])), 'bad-command');
  assert.equal(errorCode(Buffer.concat([V2_SIGNATURE, Buffer.from([0x2f])])), 'bad-command');
});

test('unassigned families and transports are refused after the 14th byte', () => {
  assert.equal(errorCode(Buffer.concat([V2_SIGNATURE, Buffer.from([0x21, 0x41])])), 'unsupported-family');
  assert.equal(errorCode(Buffer.concat([V2_SIGNATURE, Buffer.from([0x21, 0x13])])), 'unsupported-family');
  assert.equal(errorCode(Buffer.concat([V2_SIGNATURE, Buffer.from([0x21, 0xf1])])), 'unsupported-family');
});

test('a length too small for the family\'s addresses is truncated', () => {
  assert.equal(errorCode(v2(0x21, 0x11, TCP4_BLOCK.slice(0, 8))), 'truncated');
  assert.equal(errorCode(v2(0x21, 0x21, Buffer.alloc(35))), 'truncated');
  assert.equal(errorCode(v2(0x21, 0x31, Buffer.alloc(215))), 'truncated');
});

test('incomplete headers wait; at end of stream they are truncated', () => {
  const bytes = v2(0x21, 0x11, TCP4_BLOCK);
  for (let n = 0; n < bytes.length; n++) {
    assert.deepEqual(decodeProxyHeader(bytes.subarray(0, n)), { status: 'need-more' }, `prefix of ${n}`);
    assert.equal(errorCode(bytes.subarray(0, n), { endOfStream: true }), 'truncated', `prefix of ${n} at end of stream`);
  }
});

test('the whole header is capped (1 KiB by default), refused as soon as the length is read', () => {
  const big = v2(0x21, 0x11, Buffer.concat([Buffer.from(TCP4_BLOCK), tlv(PP2_TYPE.NOOP, Buffer.alloc(1000))]));
  assert.equal(big.length, 1031);
  assert.equal(errorCode(big.subarray(0, 16)), 'too-long');
  assert.equal(complete(decodeProxyHeader(big, { maxV2Bytes: 2048 })).consumed, 1031);
  assert.equal(errorCode(v2(0x21, 0x11, TCP4_BLOCK), { maxV2Bytes: 27 }), 'too-long');
});

test('registered TLVs are decoded; all of them, custom ones too, are kept raw', () => {
  const ssl = Buffer.concat([
    Buffer.from([0x07, 0, 0, 0, 0]),
    tlv(0x21, 'TLSv1.3'),
    tlv(0x22, 'alice@example.com'),
    tlv(0x23, 'TLS_AES_256_GCM_SHA384'),
    tlv(0x24, 'RSA-SHA256'),
    tlv(0x25, 'RSA2048'),
  ]);
  const tlvs = Buffer.concat([
    tlv(PP2_TYPE.ALPN, 'imap'),
    tlv(PP2_TYPE.AUTHORITY, 'mail.example.com'),
    tlv(PP2_TYPE.UNIQUE_ID, Buffer.alloc(128, 7)),
    tlv(PP2_TYPE.SSL, ssl),
    tlv(PP2_TYPE.NETNS, 'blue'),
    tlv(PP2_TYPE.NOOP, ''),
    tlv(0xea, 'vpce-0123'),
  ]);
  const { header } = complete(decodeProxyHeader(v2(0x21, 0x11, Buffer.concat([Buffer.from(TCP4_BLOCK), tlvs]))));
  assert.deepEqual(header.info, {
    alpn: 'imap',
    authority: 'mail.example.com',
    uniqueId: Buffer.alloc(128, 7),
    tls: { client: 7, verified: true, version: 'TLSv1.3', cn: 'alice@example.com', cipher: 'TLS_AES_256_GCM_SHA384', sigAlg: 'RSA-SHA256', keyAlg: 'RSA2048' },
    netns: 'blue',
  });
  assert.deepEqual(header.tlvs.map((t) => t.type), [0x01, 0x02, 0x05, 0x20, 0x30, 0x04, 0xea]);
  assert.equal(header.tlvs[6]?.value.toString(), 'vpce-0123');
  const unverified = complete(decodeProxyHeader(v2(0x21, 0x00, tlv(PP2_TYPE.SSL, Buffer.from([1, 0, 0, 0, 1])))));
  assert.deepEqual(unverified.header.info.tls, { client: 1, verified: false }, 'TLVs after an empty AF_UNSPEC block are read');
});

test('malformed TLVs refuse the header', () => {
  const withTlvs = (b: Buffer): Buffer => v2(0x21, 0x11, Buffer.concat([Buffer.from(TCP4_BLOCK), b]));
  assert.equal(errorCode(withTlvs(Buffer.from([0x01, 0x00]))), 'bad-tlv', 'two stray bytes');
  assert.equal(errorCode(withTlvs(Buffer.from([0x01, 0x00, 0x05, 0x61]))), 'bad-tlv', 'the value runs past the header');
  assert.equal(errorCode(withTlvs(tlv(PP2_TYPE.UNIQUE_ID, Buffer.alloc(129)))), 'bad-tlv');
  assert.equal(errorCode(withTlvs(tlv(PP2_TYPE.SSL, Buffer.from([1, 0, 0, 0])))), 'bad-tlv');
  assert.equal(errorCode(withTlvs(tlv(PP2_TYPE.SSL, Buffer.from([1, 0, 0, 0, 0, 0x21, 0, 9])))), 'bad-tlv');
  assert.equal(errorCode(withTlvs(tlv(PP2_TYPE.CRC32C, Buffer.alloc(3)))), 'bad-tlv');
});

test('PP2_TYPE_CRC32C: the encoder fills it in, the decoder checks it', () => {
  const input: V2EncodeInput = { family: 'ipv4', source: { address: '192.0.2.1', port: 1 }, destination: { address: '192.0.2.2', port: 2 }, tlvs: [{ type: PP2_TYPE.AUTHORITY, value: Buffer.from('x') }], crc32c: true };
  const bytes = encoded(input);
  const { header } = complete(decodeProxyHeader(bytes));
  assert.deepEqual(header.tlvs.map((t) => t.type), [PP2_TYPE.AUTHORITY, PP2_TYPE.CRC32C]);
  const copy = Buffer.from(bytes);
  copy.writeUInt32BE(0, copy.length - 4);
  assert.equal(crc32c(copy), bytes.readUInt32BE(bytes.length - 4), 'the checksum covers the header with its own field zeroed');
  for (const at of [12, 17, 27, 31, 36]) {
    const tampered = Buffer.from(bytes);
    tampered[at] = (tampered[at] as number) ^ 0x01;
    if (at === 12) continue; // would change the version: refused earlier, as bad-version
    assert.equal(errorCode(tampered), 'bad-checksum', `byte ${at} flipped`);
  }
});

test('encodeV2: LOCAL and unspec carry no addresses; bad input is refused with a code', () => {
  assert.deepEqual(encoded({ command: 'local', family: 'ipv4', source: { address: '192.0.2.1', port: 1 }, destination: { address: '192.0.2.2', port: 2 } }), v2(0x20, 0x00, []));
  assert.deepEqual(encoded({ family: 'unspec' }), v2(0x21, 0x00, []));
  const code = (input: V2EncodeInput): string => {
    const r = encodeV2(input);
    return r.ok ? 'ok' : r.error.code;
  };
  const ip = { address: '192.0.2.1', port: 1 };
  assert.equal(code({ family: 'ipv4', transport: 'unspec', source: ip, destination: ip }), 'unsupported-family');
  assert.equal(code({ family: 'ipv6', source: { address: 'nope', port: 1 }, destination: ip }), 'bad-address');
  assert.equal(code({ family: 'ipv4', source: ip, destination: { address: '192.0.2.2', port: -1 } }), 'bad-port');
  assert.equal(code({ family: 'unix', source: { path: 'x'.repeat(109) }, destination: { path: '/b' } }), 'bad-address');
  assert.equal(code({ family: 'unix', source: { path: 'a\0b' }, destination: { path: '/b' } }), 'bad-address');
  assert.equal(code({ family: 'ipv4', source: ip, destination: ip, tlvs: [{ type: 0xe0, value: Buffer.alloc(65536) }] }), 'too-long');
  assert.equal(code({ family: 'ipv4', source: ip, destination: ip, tlvs: [{ type: 0xe0, value: Buffer.alloc(40000) }, { type: 0xe1, value: Buffer.alloc(30000) }] }), 'too-long');
  assert.equal(code({ family: 'ipv4', source: ip, destination: ip, tlvs: [{ type: 256, value: Buffer.alloc(1) }] }), 'bad-tlv');
  assert.equal(code({ family: 'ipv4', source: ip, destination: ip, tlvs: [{ type: PP2_TYPE.SSL, value: Buffer.alloc(2) }] }), 'bad-tlv');
});
