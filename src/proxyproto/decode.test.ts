/** Tests for decodeProxyHeader as a whole: signature detection, and properties over encoded and random bytes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeProxyHeader, encodeV1, encodeV2, V2_SIGNATURE, type ProxyAddresses, type Tlv, type V2EncodeInput } from './index.js';

const ascii = (s: string): Buffer => Buffer.from(s, 'latin1');

test('waits while the bytes could still become either signature', () => {
  for (const s of ['', 'P', 'PROX', '\r', '\r\n\r\n\0\r\nQUI']) assert.deepEqual(decodeProxyHeader(ascii(s)), { status: 'need-more' }, JSON.stringify(s));
  assert.equal(decodeProxyHeader(ascii('PRO'), { endOfStream: true }).status, 'error');
});

test('anything else is bad-signature at the first byte that differs', () => {
  for (const s of ['G', 'GET / HTTP/1.1\r\n', '* OK IMAP4rev1\r\n', 'PROXz', 'proxy TCP4', '\r\n\r\n\0\r\nQUIT!', '\x16\x03\x01']) {
    const r = decodeProxyHeader(ascii(s));
    assert.ok(r.status === 'error' && r.error.code === 'bad-signature', `${JSON.stringify(s)} gave ${JSON.stringify(r)}`);
  }
});

const ipv4 = fc.ipV4();
const ipv6 = fc.ipV6();
const port = fc.integer({ min: 0, max: 65535 });
const plain = { noNullPrototype: true } as const;
const endpoints = (addr: fc.Arbitrary<string>) => fc.record({ address: addr, port }, plain);
const tlv: fc.Arbitrary<Tlv> = fc.record({
  type: fc.integer({ min: 0, max: 255 }).filter((t) => ![0x01, 0x02, 0x03, 0x05, 0x20].includes(t)),
  value: fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
}, plain);
const addresses: fc.Arbitrary<ProxyAddresses> = fc.oneof(
  fc.record({ family: fc.constant('ipv4' as const), source: endpoints(ipv4), destination: endpoints(ipv4) }),
  fc.record({ family: fc.constant('ipv6' as const), source: endpoints(ipv6), destination: endpoints(ipv6) }),
);
const v2Input: fc.Arbitrary<V2EncodeInput> = fc.oneof(
  fc.record({
    addr: fc.oneof(
      addresses,
      fc.record({
        family: fc.constant('unix' as const),
        source: fc.record({ path: fc.string({ unit: 'binary-ascii', maxLength: 108 }).filter((s) => !s.includes('\0')) }, plain),
        destination: fc.record({ path: fc.string({ unit: 'binary-ascii', maxLength: 108 }).filter((s) => !s.includes('\0')) }, plain),
      }),
    ),
    transport: fc.constantFrom('stream' as const, 'dgram' as const),
    tlvs: fc.array(tlv, { maxLength: 4 }),
    crc32c: fc.boolean(),
  }).map(({ addr, ...rest }) => ({ ...addr, ...rest })),
  fc.record({ family: fc.constant('unspec' as const), command: fc.constantFrom('proxy' as const, 'local' as const), tlvs: fc.array(tlv, { maxLength: 3 }), crc32c: fc.boolean() }),
);

/** The decoder's text form of an address (fc.ipV6 writes many forms; the decoder writes one). */
function sameAddress(a: string, b: string): boolean {
  const v1 = encodeV1({ family: a.includes(':') ? 'ipv6' : 'ipv4', source: { address: a, port: 0 }, destination: { address: b, port: 0 } });
  assert.ok(v1.ok);
  const [, , x, y] = v1.value.toString('latin1').trim().split(' ');
  return x === y;
}

test('property: v2 encode → decode gives the addresses, TLVs and length back, and re-encodes to the same bytes', () => {
  fc.assert(
    fc.property(v2Input, fc.uint8Array({ maxLength: 20 }), (input, trailing) => {
      const enc = encodeV2(input);
      assert.ok(enc.ok, enc.ok ? '' : enc.error.detail);
      const r = decodeProxyHeader(Buffer.concat([enc.value, trailing]), { maxV2Bytes: 65551 });
      assert.equal(r.status, 'complete', r.status === 'error' ? r.error.detail : '');
      if (r.status !== 'complete') return;
      assert.equal(r.consumed, enc.value.length);
      const h = r.header;
      assert.equal(h.version, 2);
      assert.equal(h.command, input.command ?? 'proxy');
      assert.equal(h.family, h.command === 'local' ? 'unspec' : input.family);
      if (input.family === 'ipv4' || input.family === 'ipv6') {
        assert.ok(h.family === input.family);
        assert.equal(h.transport, input.transport);
        assert.ok(sameAddress(h.source.address, input.source.address));
        assert.ok(sameAddress(h.destination.address, input.destination.address));
        assert.deepEqual([h.source.port, h.destination.port], [input.source.port, input.destination.port]);
      }
      if (input.family === 'unix') assert.deepEqual(h.family === 'unix' && [h.source, h.destination], [input.source, input.destination]);
      assert.deepEqual(h.tlvs.filter((t) => t.type !== 0x03), (input.tlvs ?? []).filter((t) => t.type !== 0x03));
      const again = encodeV2(h);
      assert.ok(again.ok);
      assert.deepEqual(again.value, enc.value);
    }),
    { numRuns: 500 },
  );
});

test('property: v1 encode → decode round-trips TCP4/TCP6 and UNKNOWN', () => {
  fc.assert(
    fc.property(fc.oneof(addresses, fc.constant({ family: 'unspec' } as ProxyAddresses)), fc.uint8Array({ maxLength: 20 }), (input, trailing) => {
      const enc = encodeV1(input);
      assert.ok(enc.ok, enc.ok ? '' : enc.error.detail);
      assert.ok(enc.value.length <= 107);
      const r = decodeProxyHeader(Buffer.concat([enc.value, trailing]));
      assert.equal(r.status, 'complete', r.status === 'error' ? r.error.detail : '');
      if (r.status !== 'complete') return;
      assert.equal(r.consumed, enc.value.length);
      assert.equal(r.header.family, input.family);
      if (r.header.family !== 'unspec' && r.header.family !== 'unix' && input.family !== 'unspec' && input.family !== 'unix') {
        assert.ok(sameAddress(r.header.source.address, input.source.address));
        assert.equal(r.header.destination.port, input.destination.port);
      }
      const again = encodeV1(r.header);
      assert.ok(again.ok);
      assert.deepEqual(again.value, enc.value);
    }),
    { numRuns: 500 },
  );
});

test('property: a header split anywhere waits until it is whole', () => {
  fc.assert(
    fc.property(v2Input, fc.boolean(), fc.nat(), (input, useV1, cut) => {
      const enc = useV1 && input.family !== 'unix' && input.command !== 'local' ? encodeV1({ ...input, tlvs: [], transport: 'stream' }) : encodeV2(input);
      assert.ok(enc.ok);
      const n = cut % enc.value.length;
      assert.deepEqual(decodeProxyHeader(enc.value.subarray(0, n), { maxV2Bytes: 65551 }), { status: 'need-more' });
    }),
    { numRuns: 300 },
  );
});

const results = new Set(['complete', 'need-more', 'error']);

function sane(buf: Buffer, endOfStream: boolean): void {
  const r = decodeProxyHeader(buf, { endOfStream, maxV2Bytes: 65551 });
  assert.ok(results.has(r.status));
  if (r.status === 'complete') assert.ok(r.consumed > 0 && r.consumed <= buf.length);
  if (r.status === 'error') assert.ok(r.error.detail.length > 0);
  if (endOfStream) assert.notEqual(r.status, 'need-more');
}

test('property: random bytes never throw, with or without a signature in front', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom('', 'PROXY ', 'PROXY TCP4 ', 'PROXY TCP6 ', 'PROXY UNKNOWN'), fc.boolean(), (bytes, prefix, eos) => {
      sane(Buffer.concat([ascii(prefix), Buffer.from(bytes)]), eos);
    }),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 300 }), fc.uint8Array({ maxLength: 300 }), fc.boolean(), (verCmd, fam, len, rest, eos) => {
      const fixed = Buffer.from([verCmd | 0x20, fam, len >> 8, len & 0xff]);
      sane(Buffer.concat([V2_SIGNATURE, fixed, Buffer.from(rest)]), eos);
    }),
    { numRuns: 2000 },
  );
});

test('property: mutating one byte of a valid header never throws', () => {
  fc.assert(
    fc.property(v2Input, fc.nat(), fc.integer({ min: 1, max: 255 }), (input, at, xor) => {
      const enc = encodeV2(input);
      assert.ok(enc.ok);
      const buf = Buffer.from(enc.value);
      const i = at % buf.length;
      buf[i] = (buf[i] as number) ^ xor;
      sane(buf, false);
    }),
    { numRuns: 1000 },
  );
});
