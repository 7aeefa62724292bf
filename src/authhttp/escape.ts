/**
 * nginx's `NGX_ESCAPE_MAIL_AUTH` escaping of Auth-User, Auth-Pass and Auth-SSL-Cert, at the
 * byte level (nginx-auth-http.md §1.5): the decoder for Postern's auth endpoint and the encoder
 * a Postern proxy will need when it plays nginx's part.
 */
import type { ParseResult } from './types.js';

export type EscapeErrorCode = 'bad-escape';

const PERCENT = 0x25;
const HEX_UPPER = '0123456789ABCDEF';

/**
 * Replaces each `%HH` (hex digits of either case) with that byte and does nothing else: no
 * `+` to space, no UTF-8 interpretation (§1.5 decoding rule). nginx escapes every `%` it sends,
 * so a `%` not followed by two hex digits cannot come from nginx: it is refused as
 * `bad-escape` rather than guessed at, since a guess could turn two spellings into one password.
 */
export function unescapeMailAuth(value: Uint8Array): ParseResult<Buffer, EscapeErrorCode> {
  // Buffer.alloc, not allocUnsafe: credentials should not land in the shared pool slab.
  const out = Buffer.alloc(value.length);
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const b = value[i] as number;
    if (b !== PERCENT) {
      out[n++] = b;
      continue;
    }
    const hi = hexValue(value[i + 1]);
    const lo = hexValue(value[i + 2]);
    if (hi < 0 || lo < 0) {
      return { ok: false, error: { code: 'bad-escape', detail: `"%" at offset ${i} is not followed by two hex digits` } };
    }
    out[n++] = hi * 16 + lo;
    i += 2;
  }
  return { ok: true, value: out.subarray(0, n) };
}

/**
 * What nginx sends for `bytes`: 0x00-0x1F, SP and `%` become upper-case `%XX`; everything else,
 * DEL and 0x80-0xFF included, goes through raw (the `memcached` table of ngx_escape_uri, §1.5).
 */
export function escapeMailAuth(bytes: Uint8Array): Buffer {
  let extra = 0;
  for (const b of bytes) if (needsEscape(b)) extra += 2;
  const out = Buffer.alloc(bytes.length + extra);
  let n = 0;
  for (const b of bytes) {
    if (needsEscape(b)) {
      out[n++] = PERCENT;
      out[n++] = HEX_UPPER.charCodeAt(b >> 4);
      out[n++] = HEX_UPPER.charCodeAt(b & 0x0f);
    } else {
      out[n++] = b;
    }
  }
  return out;
}

function needsEscape(b: number): boolean {
  return b <= 0x20 || b === PERCENT;
}

function hexValue(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}
