/**
 * PROXY protocol version 2, the binary header (spec §2.2): a 12-byte signature, version and
 * command, family and transport, a 16-bit length, then the address block and TLVs. The decoder
 * refuses as early as the bytes allow (a bad version after 13 bytes, a bad family after 14, an
 * oversized length after 16), as the spec asks receivers to abort "as soon as possible".
 */
import type { ParseResult } from '../authhttp/index.js';
import { ipFromBytes, ipToBytes, validPort } from './addresses.js';
import { crc32c } from './crc32c.js';
import { PP2_TYPE, describeTlvs, joinTlvs, splitTlvs } from './tlv.js';
import type { ProxyAddresses, ProxyDecodeResult, ProxyErrorCode, ProxyHeader, Tlv } from './types.js';
import type { EncodeErrorCode } from './v1.js';

export const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const FIXED = 16;
/** Largest header the protocol allows: the fixed part plus a 16-bit length. */
export const V2_MAX_BYTES = FIXED + 0xffff;
const UNIX_PATH_BYTES = 108;

/** Address block sizes of the family/transport bytes spec §2.2 lists; others give no usable addresses. */
const ADDRESS_BYTES: Readonly<Record<number, number>> = { 0x00: 0, 0x11: 12, 0x12: 12, 0x21: 36, 0x22: 36, 0x31: 216, 0x32: 216 };

/** Decodes a buffer that starts with (a prefix of) the v2 signature; `maxBytes` caps the whole header. */
export function decodeV2(buf: Buffer, maxBytes: number, endOfStream: boolean): ProxyDecodeResult {
  const verCmd = buf[12];
  const command = verCmd === undefined ? undefined : verCmd & 0x0f;
  if (verCmd !== undefined && verCmd >> 4 !== 2) return error('bad-version', `version ${verCmd >> 4} after the v2 signature: only 2 exists`);
  if (command !== undefined && command > 1) return error('bad-command', `command 0x${command.toString(16)}: only LOCAL (0) and PROXY (1) exist`);
  const famByte = buf[13];
  // §2.2: LOCAL ignores the family; for PROXY, unassigned values "must be rejected".
  if (famByte !== undefined && command === 1 && (famByte >> 4 > 3 || (famByte & 0x0f) > 2)) {
    return error('unsupported-family', `family/transport byte 0x${famByte.toString(16).padStart(2, '0')} is not assigned`);
  }
  if (buf.length < FIXED) return more(buf, endOfStream);
  const total = FIXED + buf.readUInt16BE(14);
  if (total > maxBytes) return error('too-long', `the header says ${total} bytes; at most ${maxBytes} are accepted`);
  if (buf.length < total) return more(buf, endOfStream, total);

  const header = buf.subarray(0, total);
  const fam = famByte as number;
  const addrBytes = ADDRESS_BYTES[fam];
  const proxied = command === 1 && addrBytes !== undefined && addrBytes > 0;
  if (proxied && total - FIXED < addrBytes) {
    return error('truncated', `the length field gives ${total - FIXED} bytes but ${familyName(fam)} addresses need ${addrBytes}`);
  }
  let tlvs: Tlv[] = [];
  let info = {};
  // TLVs start after the address block, so only where its size is known (LOCAL and AF_UNSPEC
  // blocks are otherwise "discarded", §2.2).
  if (addrBytes !== undefined && total - FIXED >= addrBytes) {
    const split = splitTlvs(header.subarray(FIXED + addrBytes));
    if (!split.ok) return { status: 'error', error: split.error };
    const described = describeTlvs(split.value);
    if (!described.ok) return { status: 'error', error: described.error };
    const crc = split.value.find((t) => t.type === PP2_TYPE.CRC32C);
    if (crc && !checksumMatches(header, FIXED + addrBytes + crc.offset)) return error('bad-checksum', 'the PP2_TYPE_CRC32C checksum does not match the header (spec §2.2.3)');
    tlvs = split.value.map(({ type, value }) => ({ type, value: Buffer.from(value) }));
    info = described.value;
  }
  const addresses: ProxyAddresses = proxied ? readAddresses(header.subarray(FIXED), fam) : { family: 'unspec' };
  const transport = command === 1 ? (['unspec', 'stream', 'dgram'] as const)[fam & 0x0f] ?? 'unspec' : 'unspec';
  const result: ProxyHeader = { version: 2, command: command === 1 ? 'proxy' : 'local', transport, tlvs, info, ...addresses };
  return { status: 'complete', header: result, consumed: total };
}

function readAddresses(block: Buffer, fam: number): ProxyAddresses {
  if (fam >> 4 === 3) {
    return { family: 'unix', source: { path: unixPath(block.subarray(0, UNIX_PATH_BYTES)) }, destination: { path: unixPath(block.subarray(UNIX_PATH_BYTES, 2 * UNIX_PATH_BYTES)) } };
  }
  const size = fam >> 4 === 1 ? 4 : 16;
  return {
    family: size === 4 ? 'ipv4' : 'ipv6',
    source: { address: ipFromBytes(block.subarray(0, size)), port: block.readUInt16BE(2 * size) },
    destination: { address: ipFromBytes(block.subarray(size, 2 * size)), port: block.readUInt16BE(2 * size + 2) },
  };
}

function unixPath(bytes: Buffer): string {
  const nul = bytes.indexOf(0);
  return bytes.subarray(0, nul === -1 ? bytes.length : nul).toString('utf8');
}

/** §2.2.3: the CRC-32C of the whole header with the checksum field zeroed. */
function checksumMatches(header: Buffer, valueOffset: number): boolean {
  const copy = Buffer.from(header);
  const sent = copy.readUInt32BE(valueOffset);
  copy.writeUInt32BE(0, valueOffset);
  return crc32c(copy) === sent;
}

export type V2EncodeInput = ProxyAddresses & {
  command?: 'proxy' | 'local';
  transport?: 'stream' | 'dgram' | 'unspec';
  tlvs?: readonly Tlv[];
  /** Add a PP2_TYPE_CRC32C TLV if there is none; any present is filled in either way. */
  crc32c?: boolean;
};

/**
 * The v2 header. LOCAL (a health check) carries no addresses, so they are left out whatever the
 * input says; `unspec` is written as family and transport 0. IP and Unix families need a
 * stream or dgram transport (stream if not given).
 */
export function encodeV2(input: V2EncodeInput): ParseResult<Buffer, EncodeErrorCode> {
  const local = input.command === 'local';
  let famByte = 0x00;
  let addresses = Buffer.alloc(0);
  if (!local && input.family !== 'unspec') {
    const transport = input.transport ?? 'stream';
    if (transport === 'unspec') return fail('unsupported-family', 'an address family needs a stream or dgram transport');
    const t = transport === 'stream' ? 1 : 2;
    if (input.family === 'unix') {
      const src = unixBytes(input.source.path);
      const dst = unixBytes(input.destination.path);
      if (!src || !dst) return fail('bad-address', `Unix socket paths must be at most ${UNIX_PATH_BYTES} bytes without NUL`);
      famByte = 0x30 | t;
      addresses = Buffer.concat([src, dst]);
    } else {
      const src = ipToBytes(input.source.address, input.family);
      const dst = ipToBytes(input.destination.address, input.family);
      if (!src || !dst) return fail('bad-address', `${JSON.stringify(src ? input.destination.address : input.source.address)} is not an ${input.family === 'ipv4' ? 'IPv4' : 'IPv6'} address`);
      if (!validPort(input.source.port) || !validPort(input.destination.port)) return fail('bad-port', 'ports must be integers from 0 to 65535');
      const ports = Buffer.alloc(4);
      ports.writeUInt16BE(input.source.port, 0);
      ports.writeUInt16BE(input.destination.port, 2);
      famByte = (input.family === 'ipv4' ? 0x10 : 0x20) | t;
      addresses = Buffer.concat([src, dst, ports]);
    }
  }
  const tlvList = [...(input.tlvs ?? [])];
  if (input.crc32c && !tlvList.some((t) => t.type === PP2_TYPE.CRC32C)) tlvList.push({ type: PP2_TYPE.CRC32C, value: Buffer.alloc(4) });
  if (tlvList.some((t) => !Number.isInteger(t.type) || t.type < 0 || t.type > 0xff)) return fail('bad-tlv', 'TLV types are integers from 0 to 255');
  // The decoder would refuse a malformed registered TLV, so the encoder does too.
  const described = describeTlvs(tlvList);
  if (!described.ok) return fail('bad-tlv', described.error.detail);
  const tlvBytes = joinTlvs(tlvList);
  if (!tlvBytes) return fail('too-long', 'a TLV value is at most 65535 bytes');
  const length = addresses.length + tlvBytes.length;
  if (length > 0xffff) return fail('too-long', `${length} bytes after the fixed header; at most 65535 fit`);
  const fixed = Buffer.alloc(4);
  fixed[0] = 0x20 | (local ? 0 : 1);
  fixed[1] = famByte;
  fixed.writeUInt16BE(length, 2);
  const out = Buffer.concat([V2_SIGNATURE, fixed, addresses, tlvBytes]);
  fillChecksum(out, FIXED + addresses.length, tlvList);
  return { ok: true, value: out };
}

function fillChecksum(out: Buffer, tlvStart: number, tlvs: readonly Tlv[]): void {
  let at = tlvStart;
  let crcAt = -1;
  for (const t of tlvs) {
    if (t.type === PP2_TYPE.CRC32C && t.value.length === 4 && crcAt === -1) crcAt = at + 3;
    at += 3 + t.value.length;
  }
  if (crcAt === -1) return;
  out.writeUInt32BE(0, crcAt);
  out.writeUInt32BE(crc32c(out), crcAt);
}

function unixBytes(path: string): Buffer | undefined {
  const bytes = Buffer.from(path, 'utf8');
  if (bytes.length > UNIX_PATH_BYTES || bytes.includes(0)) return undefined;
  const out = Buffer.alloc(UNIX_PATH_BYTES);
  bytes.copy(out);
  return out;
}

function familyName(fam: number): string {
  return ({ 1: 'IPv4', 2: 'IPv6', 3: 'Unix' } as Record<number, string>)[fam >> 4] ?? 'these';
}

function more(buf: Buffer, endOfStream: boolean, total?: number): ProxyDecodeResult {
  if (!endOfStream) return { status: 'need-more' };
  return error('truncated', `the stream ended after ${buf.length} of ${total ?? 'at least 16'} header bytes`);
}

function fail<C extends string>(code: C, detail: string): { ok: false; error: { code: C; detail: string } } {
  return { ok: false, error: { code, detail } };
}

function error(code: ProxyErrorCode, detail: string): ProxyDecodeResult {
  return { status: 'error', error: { code, detail } };
}
