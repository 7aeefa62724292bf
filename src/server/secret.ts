/**
 * Constant-time comparison of the shared secret nginx sends. Both sides are hashed first so
 * the comparison takes the same time whatever the lengths (timingSafeEqual needs equal sizes).
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export function secretMatches(sent: Buffer | undefined, expected: Buffer): boolean {
  const a = createHash('sha256').update(sent ?? Buffer.alloc(0)).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && sent !== undefined;
}
