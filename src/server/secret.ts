/**
 * Constant-time comparison of the shared secret nginx sends. Both sides are hashed so the
 * comparison takes the same time whatever the lengths (timingSafeEqual needs equal sizes); the
 * expected side is hashed once, not on every request.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export function secretChecker(expected: Buffer): (sent: Buffer | undefined) => boolean {
  const want = createHash('sha256').update(expected).digest();
  return (sent) => {
    const got = createHash('sha256').update(sent ?? Buffer.alloc(0)).digest();
    return timingSafeEqual(got, want) && sent !== undefined;
  };
}
