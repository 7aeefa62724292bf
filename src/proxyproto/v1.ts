/**
 * PROXY protocol version 1, the text line (spec §2.1):
 * `PROXY SP (TCP4|TCP6) SP src SP dst SP srcport SP dstport CRLF`, or `PROXY SP UNKNOWN ... CRLF`,
 * at most 107 bytes with the CRLF. Decoding is strict, as §2.1 asks ("any sequence which does
 * not exactly match the protocol must be discarded"): single spaces, CRLF only, no leading
 * zeros, the address form matching the family.
 */
import type { ParseResult } from '../authhttp/index.js';
import { canonicalIp, ipToBytes, v1Text, validPort } from './addresses.js';
import type { ProxyAddresses, ProxyDecodeResult, ProxyError, ProxyErrorCode } from './types.js';

/** Spec §2.1: the worst case, `PROXY UNKNOWN` with two full IPv6 addresses and ports, CRLF included. */
export const V1_MAX_BYTES = 107;

const CR = 0x0d;
const LF = 0x0a;

/** Decodes a buffer that starts with `PROXY`. */
export function decodeV1(buf: Buffer, endOfStream: boolean): ProxyDecodeResult {
  if (buf.length > 5 && buf[5] !== 0x20) return error('bad-syntax', 'PROXY must be followed by exactly one space');
  const window = buf.subarray(0, V1_MAX_BYTES);
  const cr = window.indexOf(CR);
  const lf = window.indexOf(LF);
  // §2.1: "must not tolerate a single CR or LF character to end the line".
  if (cr !== -1 && cr + 1 < window.length && window[cr + 1] !== LF) return error('bad-syntax', 'a CR not followed by LF');
  if (lf !== -1 && cr !== lf - 1) return error('bad-syntax', 'a LF without the CR before it');
  if (lf === -1) {
    if (buf.length >= V1_MAX_BYTES) return error('too-long', `no CRLF within the first ${V1_MAX_BYTES} bytes (spec §2.1)`);
    return endOfStream ? error('truncated', `the stream ended after ${buf.length} bytes, before the CRLF`) : { status: 'need-more' };
  }
  const line = window.toString('latin1', 0, cr);
  const parsed = parseLine(line);
  if (!parsed.ok) return { status: 'error', error: parsed.error };
  const addresses = parsed.value;
  return {
    status: 'complete',
    consumed: lf + 1,
    header: { version: 1, command: 'proxy', transport: addresses.family === 'unspec' ? 'unspec' : 'stream', tlvs: [], info: {}, ...addresses },
  };
}

function parseLine(line: string): ParseResult<ProxyAddresses, ProxyErrorCode> {
  if (!line.startsWith('PROXY ')) return fail('bad-syntax', 'PROXY must be followed by exactly one space');
  const fields = line.slice(6).split(' ');
  const proto = fields[0] as string;
  // §2.1: after UNKNOWN the receiver ignores everything up to the CRLF.
  if (proto === 'UNKNOWN') return { ok: true, value: { family: 'unspec' } };
  if (proto !== 'TCP4' && proto !== 'TCP6') return fail('unsupported-family', `protocol ${JSON.stringify(proto)}: only TCP4, TCP6 and UNKNOWN exist in version 1`);
  if (fields.length !== 5 || fields.some((f) => f === '')) return fail('bad-syntax', `expected "${proto} src dst srcport dstport" with single spaces`);
  const family = proto === 'TCP4' ? 'ipv4' : 'ipv6';
  const [src, dst, sport, dport] = fields.slice(1) as [string, string, string, string];
  const source = canonicalIp(src, family);
  const destination = canonicalIp(dst, family);
  if (source === null || destination === null) {
    return fail('bad-address', `${JSON.stringify(source === null ? src : dst)} is not ${family === 'ipv4' ? 'a dotted-decimal IPv4 address without leading zeros' : 'an IPv6 address'} (${proto})`);
  }
  const sp = port(sport);
  const dp = port(dport);
  if (sp === null || dp === null) return fail('bad-port', `${JSON.stringify(sp === null ? sport : dport)} is not a port from 0 to 65535 without leading zeros`);
  return { ok: true, value: { family, source: { address: source, port: sp }, destination: { address: destination, port: dp } } };
}

function port(text: string): number | null {
  if (!/^(0|[1-9][0-9]{0,4})$/.test(text)) return null;
  const n = Number(text);
  return n <= 65535 ? n : null;
}

export type EncodeErrorCode = 'bad-address' | 'bad-port' | 'unsupported-family' | 'bad-tlv' | 'too-long';

/**
 * The v1 line for these addresses. `unspec` (and a LOCAL request) becomes `PROXY UNKNOWN`;
 * Unix sockets and datagrams have no v1 form, and TLVs are refused rather than dropped.
 */
export function encodeV1(header: ProxyAddresses & { transport?: 'stream' | 'dgram' | 'unspec'; tlvs?: readonly unknown[] }): ParseResult<Buffer, EncodeErrorCode> {
  if (header.tlvs !== undefined && header.tlvs.length > 0) return fail('unsupported-family', 'version 1 cannot carry TLVs');
  if (header.family === 'unspec') return { ok: true, value: Buffer.from('PROXY UNKNOWN\r\n', 'latin1') };
  if (header.family === 'unix' || header.transport === 'dgram') return fail('unsupported-family', 'version 1 carries TCP over IPv4 or IPv6 only');
  const src = ipToBytes(header.source.address, header.family);
  const dst = ipToBytes(header.destination.address, header.family);
  if (!src || !dst) return fail('bad-address', `${JSON.stringify(src ? header.destination.address : header.source.address)} is not an ${header.family === 'ipv4' ? 'IPv4' : 'IPv6'} address`);
  if (!validPort(header.source.port) || !validPort(header.destination.port)) return fail('bad-port', 'ports must be integers from 0 to 65535');
  const proto = header.family === 'ipv4' ? 'TCP4' : 'TCP6';
  const line = `PROXY ${proto} ${v1Text(src)} ${v1Text(dst)} ${header.source.port} ${header.destination.port}\r\n`;
  return { ok: true, value: Buffer.from(line, 'latin1') };
}

function fail<C extends string>(code: C, detail: string): { ok: false; error: { code: C; detail: string } } {
  return { ok: false, error: { code, detail } };
}

function error(code: ProxyErrorCode, detail: string): ProxyDecodeResult {
  const e: ProxyError = { code, detail };
  return { status: 'error', error: e };
}
