/**
 * CRAM-MD5 (RFC 2195) as nginx runs it (nginx-auth-http.md §4.3): the challenge is base64 of the
 * session salt, brackets included; the answer is base64 of `user SP digest`, split at the FIRST
 * space (so a username with a space cannot use CRAM), and the digest must be exactly 32 bytes,
 * case kept and not checked for hex. nginx passes it on unverified, with `Auth-Salt`; the auth
 * server checks `hex(HMAC-MD5(password, salt))`.
 */
import { decodeBase64Nginx, encodeBase64 } from './base64.js';
import { refuse, type SaslResult } from './types.js';

/** The challenge payload for `+ ` (IMAP, POP3) or `334 ` (SMTP): base64 of the salt without CRLF. */
export function cramMd5Challenge(salt: string): string {
  return encodeBase64(Buffer.from(salt, 'utf8'));
}

export interface CramMd5Response {
  user: Buffer;
  /** The 32 bytes as the client sent them; goes out as `Auth-Pass`. */
  digest: Buffer;
}

/**
 * With no space at all nginx keeps whatever password the session held and checks ITS length, so
 * a 32-byte password from an earlier failed attempt would be sent as the digest. That is a bug
 * (a stale plaintext password reaches the auth server as a "digest"); this refuses instead.
 */
export function decodeCramMd5Response(response: Uint8Array): SaslResult<CramMd5Response> {
  const decoded = decodeBase64Nginx(response);
  if (decoded === undefined) return refuse('bad-base64', 'client sent invalid base64 encoding in AUTH CRAM-MD5 command');
  const space = decoded.indexOf(0x20);
  const digest = space === -1 ? undefined : decoded.subarray(space + 1);
  if (digest === undefined || digest.length !== 32) return refuse('bad-cram-hash', 'client sent invalid CRAM-MD5 hash in AUTH CRAM-MD5 command');
  return { ok: true, value: { user: decoded.subarray(0, space), digest } };
}
