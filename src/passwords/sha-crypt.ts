/**
 * SHA256-CRYPT ($5$) and SHA512-CRYPT ($6$), Ulrich Drepper's "Unix crypt using SHA-256 and
 * SHA-512" (the algorithm in glibc and libxcrypt, which Dovecot calls through crypt()).
 *
 * Written here rather than taken from the `unixcrypt` package because that package takes the
 * password as a JS string (we must hash raw bytes, which need not be valid UTF-8), gets
 * passwords whose length is a multiple of the digest size wrong (32 bytes for $5$, 64 for
 * $6$: its "remainder" step adds nothing where glibc adds the whole digest), and builds an
 * array with one element per round.
 *
 * Cost: one hash per round on the main thread, about 2 µs each. The default 5,000 rounds took
 * about 8 ms for $5$ and 10 ms for $6$ on the build machine (sha-crypt.test.ts prints it). Node
 * has no async SHA-2, so instead of a worker we yield to the event loop every YIELD_EVERY
 * rounds (~2 ms): a hash with a huge `rounds=` (up to 999,999,999 is legal, about half an
 * hour) slows only its own login, not every other connection.
 */
import { createHash } from 'node:crypto';
import { cryptB64Permuted } from './encodings.js';

export const SHA_CRYPT_DEFAULT_ROUNDS = 5000;
export const SHA_CRYPT_MIN_ROUNDS = 1000;
export const SHA_CRYPT_MAX_ROUNDS = 999_999_999;
/** About 2 ms of work between yields. */
const YIELD_EVERY = 1000;

export interface ShaCryptSpec {
  bits: 256 | 512;
  /** Already within MIN..MAX: glibc clamps the number, and the stored hash shows the clamped value. */
  rounds: number;
  /** Whether the stored hash spells out `rounds=N$` (it must be kept in the output). */
  roundsCustom: boolean;
  /** Salt as stored, at most 16 bytes (glibc truncates longer salts). */
  salt: Buffer;
}

// The order in which glibc writes digest bytes, three at a time (see sha512-crypt.c).
const ORDER_256 = [
  0, 10, 20, 21, 1, 11, 12, 22, 2, 3, 13, 23, 24, 4, 14, 15, 25, 5, 6, 16, 26, 27, 7, 17, 18, 28, 8, 9, 19, 29, 31, 30,
];
const ORDER_512 = [
  0, 21, 42, 22, 43, 1, 44, 2, 23, 3, 24, 45, 25, 46, 4, 47, 5, 26, 6, 27, 48, 28, 49, 7, 50, 8, 29, 9, 30, 51, 31, 52,
  10, 53, 11, 32, 12, 33, 54, 34, 55, 13, 56, 14, 35, 15, 36, 57, 37, 58, 16, 59, 17, 38, 18, 39, 60, 40, 61, 19, 62,
  20, 41, 63,
];

/** `len` bytes made of `block` repeated (steps 16 and 20 of the spec). */
function repeatTo(block: Buffer, len: number): Buffer {
  const out = Buffer.alloc(len);
  for (let off = 0; off < len; off += block.length) block.copy(out, off, 0, Math.min(block.length, len - off));
  return out;
}

/** The encoded digest (the part after the last `$`) for `password` under `spec`. */
export async function shaCryptDigest(password: Buffer, spec: ShaCryptSpec): Promise<string> {
  const alg = spec.bits === 256 ? 'sha256' : 'sha512';
  const size = spec.bits / 8;
  const p = password;
  const s = spec.salt.subarray(0, 16);

  // Steps 4-8: B = H(P S P).
  const b = createHash(alg).update(p).update(s).update(p).digest();
  // Steps 1-3 and 9-12: A = H(P S, B for each byte of P, then B or P per bit of len(P)).
  const ha = createHash(alg).update(p).update(s);
  let n = p.length;
  for (; n > size; n -= size) ha.update(b);
  ha.update(b.subarray(0, n));
  for (let bits = p.length; bits > 0; bits >>>= 1) ha.update(bits & 1 ? b : p);
  const a = ha.digest();

  // Steps 13-16: P' = H(P repeated len(P) times), stretched to len(P) bytes.
  const hdp = createHash(alg);
  for (let i = 0; i < p.length; i++) hdp.update(p);
  const pp = repeatTo(hdp.digest(), p.length);
  // Steps 17-20: S' = H(S repeated 16 + A[0] times), stretched to len(S) bytes.
  const hds = createHash(alg);
  for (let i = 0; i < 16 + (a[0] ?? 0); i++) hds.update(s);
  const sp = repeatTo(hds.digest(), s.length);

  // Step 21: the rounds.
  let c = a;
  for (let i = 0; i < spec.rounds; i++) {
    const h = createHash(alg);
    h.update(i & 1 ? pp : c);
    if (i % 3 !== 0) h.update(sp);
    if (i % 7 !== 0) h.update(pp);
    h.update(i & 1 ? c : pp);
    c = h.digest();
    if (i % YIELD_EVERY === YIELD_EVERY - 1) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return cryptB64Permuted(c, spec.bits === 256 ? ORDER_256 : ORDER_512);
}

/** The full crypt string, as glibc would print it; used by tests and benchmarks. */
export async function shaCrypt(password: Buffer, spec: ShaCryptSpec): Promise<string> {
  const id = spec.bits === 256 ? '$5$' : '$6$';
  const rounds = spec.roundsCustom ? `rounds=${spec.rounds}$` : '';
  return `${id}${rounds}${spec.salt.subarray(0, 16).toString('latin1')}$${await shaCryptDigest(password, spec)}`;
}
