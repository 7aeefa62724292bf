/**
 * Byte encodings found in stored hashes: strict base64 and hex decoding (Node's own
 * decoders silently skip bad characters, which would turn a corrupt hash into a different
 * digest), and the crypt(3) base64 alphabet used by the $1$/$5$/$6$ formats.
 */

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const HEX = /^(?:[0-9A-Fa-f]{2})*$/;

/** Standard base64, padding optional (some tools drop it); null when not valid base64. */
export function decodeBase64(text: string): Buffer | null {
  if (!BASE64.test(text)) return null;
  const body = text.replace(/=+$/, '');
  // A lone trailing character carries only 6 bits: no byte can end there.
  if (body.length % 4 === 1) return null;
  if (text.length !== body.length && text.length % 4 !== 0) return null;
  return Buffer.from(body, 'base64');
}

/** Hex in either case; null when the length is odd or a character is not hex. */
export function decodeHex(text: string): Buffer | null {
  return HEX.test(text) ? Buffer.from(text, 'hex') : null;
}

/** The crypt(3) alphabet: note it is not base64's order. */
export const CRYPT_ALPHABET = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * crypt(3)'s `b64_from_24bit`: packs three bytes (b2 most significant) into 24 bits and
 * emits `n` characters, least significant 6 bits first.
 */
export function cryptB64(b2: number, b1: number, b0: number, n: number): string {
  let w = (b2 << 16) | (b1 << 8) | b0;
  let out = '';
  for (let i = 0; i < n; i++) {
    out += CRYPT_ALPHABET[w & 0x3f];
    w >>>= 6;
  }
  return out;
}

/**
 * Encodes `bytes` in crypt order. `order` lists byte indexes three at a time (most
 * significant first); a final group of one or two indexes is padded with zero bytes and
 * emits 2 or 3 characters, as glibc does for the leftover bytes of each digest.
 */
export function cryptB64Permuted(bytes: Uint8Array, order: readonly number[]): string {
  let out = '';
  for (let i = 0; i < order.length; i += 3) {
    const left = order.length - i;
    const at = (k: number): number => {
      const idx = order[i + k];
      return idx === undefined ? 0 : (bytes[idx] ?? 0);
    };
    if (left >= 3) out += cryptB64(at(0), at(1), at(2), 4);
    else if (left === 2) out += cryptB64(0, at(0), at(1), 3);
    else out += cryptB64(0, 0, at(0), 2);
  }
  return out;
}
