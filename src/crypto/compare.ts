/**
 * Constant-time equality for secrets of any length (shared secret, CSRF tokens, PLAIN-style
 * stored passwords): both sides are hashed to a fixed size first, because timingSafeEqual needs
 * equal lengths and an early length check would tell an attacker the secret's length.
 */
import { hash, timingSafeEqual } from 'node:crypto';

const EMPTY = Buffer.alloc(0);
const digest = (b: Buffer | string): Buffer => hash('sha256', b, 'buffer');

export function equalSecrets(a: Buffer | string, b: Buffer | string): boolean {
  return timingSafeEqual(digest(a), digest(b)) && Buffer.byteLength(a) === Buffer.byteLength(b);
}

/** For a secret that never changes: its digest is computed once, not on every comparison. */
export function secretChecker(expected: Buffer): (sent: Buffer | undefined) => boolean {
  const want = digest(expected);
  return (sent) => timingSafeEqual(digest(sent ?? EMPTY), want) && sent !== undefined;
}
