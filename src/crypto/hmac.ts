/**
 * HMAC-SHA256 (RFC 2104) for the auth hot path. node:crypto's createHmac builds a native object
 * per call, which costs about three times the hashing itself at these sizes; with the key's
 * inner and outer pads computed once, HMAC is two one-shot hashes. The result is exactly
 * createHmac's (hmac.test.ts checks RFC 4231's vectors and random inputs against it).
 */
import { createHash, hash } from 'node:crypto';

const BLOCK = 64;

export type Hmac = (...parts: Array<string | Buffer>) => Buffer;

export function hmacSha256(key: Buffer): Hmac {
  const k = key.length > BLOCK ? createHash('sha256').update(key).digest() : key;
  const ipad = Buffer.alloc(BLOCK, 0x36);
  const opad = Buffer.alloc(BLOCK, 0x5c);
  for (let i = 0; i < k.length; i++) {
    ipad[i]! ^= k[i]!;
    opad[i]! ^= k[i]!;
  }
  return (...parts) => {
    const inner = hash('sha256', Buffer.concat([ipad, ...parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p))]), 'buffer');
    return hash('sha256', Buffer.concat([opad, inner]), 'buffer');
  };
}
