/**
 * Postern's own hashes: argon2id in Dovecot's `{ARGON2ID}` format (so a directory can be
 * handed back to Dovecot unchanged), the rule for when a stored hash should be replaced,
 * and the dummy verification that makes an unknown user cost as much as a wrong password.
 */
import { randomBytes } from 'node:crypto';
import { Algorithm, hash, parseOptions, verify, Version } from '@node-rs/argon2';
import { splitStored } from './scheme-names.js';
import { parseStored } from './parse-hash.js';

export interface Argon2Params {
  memoryKiB: number;
  iterations: number;
  parallelism: number;
}

/** OWASP's argon2id minimum: 19 MiB, 2 iterations, 1 lane (about 15 ms here). */
export const DEFAULT_ARGON2: Argon2Params = Object.freeze({ memoryKiB: 19456, iterations: 2, parallelism: 1 });

/** An argon2id hash of 32 random bytes nobody kept, made with DEFAULT_ARGON2. */
const DUMMY_DEFAULT = '$argon2id$v=19$m=19456,t=2,p=1$1E9Rqjsl8mPcQD6dWykc5Q$+YbWrTaIvi6kkM1PPRezexquGfeYh57G/bvGANmduJM';

function checkParams(p: Argon2Params): void {
  const int = (v: number, lo: number, hi: number): boolean => Number.isInteger(v) && v >= lo && v <= hi;
  if (!int(p.parallelism, 1, 255)) throw new RangeError('argon2 parallelism must be an integer from 1 to 255');
  // argon2 needs at least 8 KiB per lane.
  if (!int(p.memoryKiB, 8 * p.parallelism, 2 ** 32 - 1)) throw new RangeError('argon2 memory must be at least 8 KiB per lane');
  if (!int(p.iterations, 1, 2 ** 32 - 1)) throw new RangeError('argon2 iterations must be a positive integer');
}

/**
 * Hashes a new password with argon2id (16-byte random salt, 32-byte hash, version 19),
 * Dovecot format: `{ARGON2ID}$argon2id$v=19$m=...,t=...,p=...$salt$hash`. Dovecot 2.3
 * (libsodium) verifies these, including p > 1. A string is hashed as UTF-8.
 */
export async function hashPassword(password: Buffer | string, params: Argon2Params = DEFAULT_ARGON2): Promise<string> {
  checkParams(params);
  const bytes = typeof password === 'string' ? Buffer.from(password, 'utf8') : password;
  // Dovecot would stop at the NUL (C strings), so such a hash could never be verified there.
  if (bytes.includes(0)) throw new RangeError('password contains a NUL byte');
  const phc = await hash(bytes, {
    algorithm: Algorithm.Argon2id,
    version: Version.V0x13,
    memoryCost: params.memoryKiB,
    timeCost: params.iterations,
    parallelism: params.parallelism,
  });
  return `{ARGON2ID}${phc}`;
}

/**
 * True when a successful login should re-hash: anything not ARGON2ID, or ARGON2ID with less
 * memory or fewer iterations than `params` (or the old version 16). Parallelism is not
 * compared: more lanes over the same memory cost an attacker no more per guess.
 */
export function needsUpgrade(stored: string, params: Argon2Params = DEFAULT_ARGON2): boolean {
  if (splitStored(stored).scheme !== 'ARGON2ID') return true;
  try {
    const parsed = parseStored(stored);
    if (parsed.kind !== 'argon2') return true;
    const o = parseOptions(parsed.phc);
    return o.version !== Version.V0x13 || o.memoryCost < params.memoryKiB || o.timeCost < params.iterations;
  } catch {
    return true;
  }
}

// Dummy hashes for non-default parameters, made on first use. Few distinct parameter sets
// exist in one process (one per config), so the cache stays tiny.
const dummies = new Map<string, Promise<string>>();

function dummyFor(params: Argon2Params): Promise<string> {
  const key = `${params.memoryKiB},${params.iterations},${params.parallelism}`;
  if (key === '19456,2,1') return Promise.resolve(DUMMY_DEFAULT);
  let d = dummies.get(key);
  if (!d) {
    d = hashPassword(randomBytes(32), params).then((s) => s.slice('{ARGON2ID}'.length));
    dummies.set(key, d);
  }
  return d;
}

/**
 * Runs one verification of the same cost as a real argon2id check (at `params`, by default
 * DEFAULT_ARGON2) against a fixed dummy hash, so an unknown user costs the same time as a
 * wrong password. Resolves to false, and never rejects.
 */
export async function dummyVerify(password: Buffer, params: Argon2Params = DEFAULT_ARGON2): Promise<false> {
  try {
    await verify(await dummyFor(params), password);
  } catch {
    // Bad params or an odd password must not turn "unknown user" into a visible error.
  }
  return false;
}
