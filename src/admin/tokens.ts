/**
 * API tokens for scripts (`Authorization: Bearer postern_...`): 32 random bytes behind a
 * recognisable prefix (secret scanners and people can tell what leaked), stored only as their
 * SHA-256. A token is shown once, by `postern admin token create`.
 */
import { createHash, randomBytes } from 'node:crypto';

export const TOKEN_PREFIX = 'postern_';
const FORMAT = /^postern_[A-Za-z0-9_-]{43}$/;

export function newApiToken(): { token: string; tokenHash: string } {
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  return { token, tokenHash: sha256Hex(token) };
}

/** The stored form of a presented token; null when it cannot be one Postern made (no lookup needed). */
export function hashApiToken(token: string): string | null {
  return FORMAT.test(token) ? sha256Hex(token) : null;
}

/** The token of an `Authorization: Bearer <token>` header; null for no header or another scheme. */
export function bearerToken(authorization: string | undefined): string | null {
  if (authorization === undefined) return null;
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
  return m ? (m[1] as string) : null;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
