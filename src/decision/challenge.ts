/**
 * APOP and CRAM-MD5 verification (nginx-auth-http.md §4.3), pure. nginx passes the client's
 * digest as `Auth-Pass` and the challenge as `Auth-Salt`, exactly as it made it: brackets
 * included, the CRLF already gone.
 *
 *   APOP (RFC 1939):     hex(MD5(salt + secret))
 *   CRAM-MD5 (RFC 2195): hex(HMAC-MD5(key = secret, message = salt))
 *
 * Clients send lower-case hex, but nginx does not check (APOP passes the digest unchecked), so
 * the comparison ignores case; it runs in constant time over the 32 characters either way.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { hasControlChar } from '../authhttp/bytes.js';

export type ChallengeMethod = 'apop' | 'cram-md5';

/** The expected digest, 32 lower-case hex characters. */
export function expectedDigest(method: ChallengeMethod, salt: string, secret: Buffer): string {
  const saltBytes = Buffer.from(salt, 'utf8');
  if (method === 'apop') return createHash('md5').update(saltBytes).update(secret).digest('hex');
  return createHmac('md5', secret).update(saltBytes).digest('hex');
}

/** True when `sent` (the client's digest from Auth-Pass) is the digest of `secret` for `salt`. */
export function verifyDigest(method: ChallengeMethod, salt: string, secret: Buffer, sent: Buffer): boolean {
  const expected = Buffer.from(expectedDigest(method, salt, secret), 'latin1');
  // Lower-case ASCII A-F only; any other byte stays as is and simply fails to match.
  const given = Buffer.alloc(expected.length);
  const n = Math.min(sent.length, expected.length);
  for (let i = 0; i < n; i++) {
    const c = sent[i]!;
    given[i] = c >= 0x41 && c <= 0x46 ? c + 0x20 : c;
  }
  const same = timingSafeEqual(given, expected);
  return same && sent.length === expected.length;
}

/**
 * nginx sends `Auth-Pass` verbatim to the backend (§2.2): no control characters (CR/LF would end
 * the line), no leading or trailing spaces, and the reply must stay under 1024 bytes.
 */
export const MAX_REVERSIBLE_SECRET_BYTES = 256;

/** Why `secret` cannot be a reversible credential (nginx could not pass it on), or undefined. */
export function reversibleSecretProblem(secret: Buffer): string | undefined {
  if (secret.length === 0) return 'it is empty';
  if (secret.length > MAX_REVERSIBLE_SECRET_BYTES) return `it is longer than ${MAX_REVERSIBLE_SECRET_BYTES} bytes`;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(secret);
  } catch {
    return 'it is not valid UTF-8';
  }
  if (hasControlChar(text)) return 'it contains a control character (nginx could not pass it to the backend)';
  if (text.startsWith(' ') || text.endsWith(' ')) return 'it starts or ends with a space (nginx would drop it)';
  return undefined;
}
