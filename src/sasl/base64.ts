/**
 * Base64 exactly as nginx decodes SASL data (`ngx_decode_base64`, nginx-auth-http.md §4.3): it
 * stops at the first `=` and ignores everything after it, needs no padding, and refuses any
 * byte outside the standard alphabet before that `=` or a length ≡ 1 (mod 4). Unused low bits are
 * not checked. Node's decoder skips bad characters instead, so it cannot stand in.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const VALUE = new Int8Array(256).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charCodeAt(i)] = i;

/** The decoded bytes, or `undefined` where nginx returns NGX_ERROR. `=` alone decodes to nothing. */
export function decodeBase64Nginx(src: Uint8Array): Buffer | undefined {
  let len = 0;
  for (; len < src.length; len++) {
    const c = src[len] as number;
    if (c === 0x3d) break;
    if ((VALUE[c] as number) < 0) return undefined;
  }
  if (len % 4 === 1) return undefined;
  const out = Buffer.alloc(Math.floor((len * 3) / 4));
  const v = (i: number): number => VALUE[src[i] as number] as number;
  let d = 0;
  let s = 0;
  for (; len > 3; len -= 4, s += 4) {
    out[d++] = ((v(s) << 2) | (v(s + 1) >> 4)) & 0xff;
    out[d++] = ((v(s + 1) << 4) | (v(s + 2) >> 2)) & 0xff;
    out[d++] = ((v(s + 2) << 6) | v(s + 3)) & 0xff;
  }
  if (len > 1) out[d++] = ((v(s) << 2) | (v(s + 1) >> 4)) & 0xff;
  if (len > 2) out[d++] = ((v(s + 1) << 4) | (v(s + 2) >> 2)) & 0xff;
  return out.subarray(0, d);
}

/** `ngx_encode_base64`: the standard alphabet with `=` padding, as Node writes it. */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
