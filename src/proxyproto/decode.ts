/**
 * The incremental entry point: give it the bytes received so far on a connection that must
 * start with a PROXY header; it answers need-more, the header and how many bytes it took, or a
 * precise error. It never throws on peer input and never reads past the header, so the bytes
 * after `consumed` belong to the protocol that follows.
 *
 * Only call it for connections from trusted load balancers, and never guess whether a header
 * is present: spec §5 and §1 ("MUST not try to guess") forbid it, since a client could then
 * choose its own address.
 */
import { decodeV1 } from './v1.js';
import { V2_MAX_BYTES, V2_SIGNATURE, decodeV2 } from './v2.js';
import type { ProxyDecodeResult } from './types.js';

/** smtp-server caps the PROXY header at 1 KiB (style.md §4.6); real senders' TLVs stay well below. */
export const DEFAULT_MAX_V2_BYTES = 1024;

const V1_SIGNATURE = Buffer.from('PROXY', 'latin1');

export interface DecodeOptions {
  /** Largest v2 header accepted, fixed part included (16 to 65551; default 1024). */
  maxV2Bytes?: number;
  /** No more bytes will come (the peer closed): an incomplete header is `truncated`, not need-more. */
  endOfStream?: boolean;
}

export function decodeProxyHeader(buf: Buffer, opts: DecodeOptions = {}): ProxyDecodeResult {
  const endOfStream = opts.endOfStream ?? false;
  const maxV2 = Math.min(Math.max(opts.maxV2Bytes ?? DEFAULT_MAX_V2_BYTES, 16), V2_MAX_BYTES);
  if (buf.length === 0) return endOfStream ? truncated() : { status: 'need-more' };
  for (const [signature, decode] of [
    [V2_SIGNATURE, () => decodeV2(buf, maxV2, endOfStream)],
    [V1_SIGNATURE, () => decodeV1(buf, endOfStream)],
  ] as const) {
    const n = Math.min(buf.length, signature.length);
    if (buf.subarray(0, n).equals(signature.subarray(0, n))) {
      if (buf.length < signature.length) return endOfStream ? truncated() : { status: 'need-more' };
      return decode();
    }
  }
  return {
    status: 'error',
    error: { code: 'bad-signature', detail: `the connection does not start with a PROXY protocol header (first bytes ${buf.subarray(0, 8).toString('hex')})` },
  };
}

function truncated(): ProxyDecodeResult {
  return { status: 'error', error: { code: 'truncated', detail: 'the stream ended inside the PROXY protocol signature' } };
}
