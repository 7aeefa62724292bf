/**
 * Constant-time comparison of the shared secret nginx sends. Both sides are hashed so the
 * comparison takes the same time whatever the lengths (timingSafeEqual needs equal sizes); the
 * expected side is hashed once, not on every request.
 */
import { hash, timingSafeEqual } from 'node:crypto';

const EMPTY = Buffer.alloc(0);

export function secretChecker(expected: Buffer): (sent: Buffer | undefined) => boolean {
  const want = hash('sha256', expected, 'buffer');
  return (sent) => timingSafeEqual(hash('sha256', sent ?? EMPTY, 'buffer'), want) && sent !== undefined;
}
