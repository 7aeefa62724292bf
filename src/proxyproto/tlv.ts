/**
 * Version 2 TLVs (spec §2.2): `type(1) length(2, network order) value`, after the address block.
 * Every TLV is kept raw; the registered ones are also decoded into TlvInfo and checked where
 * the spec gives them a shape, so a malformed one refuses the header instead of being half-read.
 */
import type { ParseResult } from '../authhttp/index.js';
import type { Tlv, TlvInfo, TlsInfo } from './types.js';

export const PP2_TYPE = {
  ALPN: 0x01,
  AUTHORITY: 0x02,
  CRC32C: 0x03,
  NOOP: 0x04,
  UNIQUE_ID: 0x05,
  SSL: 0x20,
  NETNS: 0x30,
} as const;

export const PP2_SUBTYPE_SSL = { VERSION: 0x21, CN: 0x22, CIPHER: 0x23, SIG_ALG: 0x24, KEY_ALG: 0x25 } as const;

export interface TlvAt extends Tlv {
  /** Offset of the value within the block that was parsed. */
  offset: number;
}

/** Splits a block into TLVs; the block must end exactly at a TLV's end. */
export function splitTlvs(block: Buffer): ParseResult<TlvAt[], 'bad-tlv'> {
  const out: TlvAt[] = [];
  let at = 0;
  while (at < block.length) {
    if (block.length - at < 3) return bad(`${block.length - at} stray bytes after the last TLV (a TLV needs at least 3)`);
    const type = block[at] as number;
    const length = block.readUInt16BE(at + 1);
    if (at + 3 + length > block.length) return bad(`TLV 0x${hex(type)} says ${length} bytes but only ${block.length - at - 3} remain`);
    out.push({ type, value: block.subarray(at + 3, at + 3 + length), offset: at + 3 });
    at += 3 + length;
  }
  return { ok: true, value: out };
}

/** TlvInfo from the registered types; the first TLV of each type counts. */
export function describeTlvs(tlvs: readonly Tlv[]): ParseResult<TlvInfo, 'bad-tlv'> {
  const info: TlvInfo = {};
  for (const { type, value } of tlvs) {
    switch (type) {
      case PP2_TYPE.ALPN:
        info.alpn ??= value.toString('latin1');
        break;
      case PP2_TYPE.AUTHORITY:
        info.authority ??= value.toString('utf8');
        break;
      case PP2_TYPE.CRC32C:
        if (value.length !== 4) return bad(`PP2_TYPE_CRC32C has ${value.length} bytes, not 4`);
        break;
      case PP2_TYPE.UNIQUE_ID:
        if (value.length > 128) return bad(`PP2_TYPE_UNIQUE_ID has ${value.length} bytes, more than 128 (spec §2.2.5)`);
        info.uniqueId ??= Buffer.from(value);
        break;
      case PP2_TYPE.SSL: {
        const tls = describeSsl(value);
        if (!tls.ok) return tls;
        info.tls ??= tls.value;
        break;
      }
      case PP2_TYPE.NETNS:
        info.netns ??= value.toString('latin1');
        break;
      default:
        break; // NOOP, custom (0xE0-0xEF), experimental and future types are kept raw only
    }
  }
  return { ok: true, value: info };
}

/** `struct pp2_tlv_ssl { uint8 client; uint32 verify; struct pp2_tlv sub_tlv[]; }` (spec §2.2.6). */
function describeSsl(value: Buffer): ParseResult<TlsInfo, 'bad-tlv'> {
  if (value.length < 5) return bad(`PP2_TYPE_SSL has ${value.length} bytes, fewer than the 5 of client and verify`);
  const subs = splitTlvs(value.subarray(5));
  if (!subs.ok) return bad(`inside PP2_TYPE_SSL: ${subs.error.detail}`);
  const tls: TlsInfo = { client: value[0] as number, verified: value.readUInt32BE(1) === 0 };
  const names: Record<number, 'version' | 'cn' | 'cipher' | 'sigAlg' | 'keyAlg'> = {
    [PP2_SUBTYPE_SSL.VERSION]: 'version',
    [PP2_SUBTYPE_SSL.CN]: 'cn',
    [PP2_SUBTYPE_SSL.CIPHER]: 'cipher',
    [PP2_SUBTYPE_SSL.SIG_ALG]: 'sigAlg',
    [PP2_SUBTYPE_SSL.KEY_ALG]: 'keyAlg',
  };
  for (const sub of subs.value) {
    const name = names[sub.type];
    if (name !== undefined) tls[name] ??= sub.value.toString(name === 'cn' ? 'utf8' : 'latin1');
  }
  return { ok: true, value: tls };
}

/** TLVs back to bytes; undefined if one value is longer than a TLV length can say. */
export function joinTlvs(tlvs: readonly Tlv[]): Buffer | undefined {
  const parts: Buffer[] = [];
  for (const { type, value } of tlvs) {
    if (!Number.isInteger(type) || type < 0 || type > 0xff || value.length > 0xffff) return undefined;
    const head = Buffer.alloc(3);
    head[0] = type;
    head.writeUInt16BE(value.length, 1);
    parts.push(head, value);
  }
  return Buffer.concat(parts);
}

function hex(n: number): string {
  return n.toString(16).padStart(2, '0');
}

function bad<T>(detail: string): ParseResult<T, 'bad-tlv'> {
  return { ok: false, error: { code: 'bad-tlv', detail } };
}
