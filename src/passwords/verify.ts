/**
 * Checking a login password against a stored hash of any supported scheme, and the
 * classification helpers built on the same parser (schemeOf, isCleartext, isSupportedScheme).
 *
 * Where the work runs: argon2 and bcrypt in @node-rs's own threads, PBKDF2 in libuv's
 * thread pool (crypto.pbkdf2), sha-crypt on the main thread with regular yields (see
 * sha-crypt.ts), MD5-CRYPT and the plain digests on the main thread (well under 2 ms).
 */
import { createHash, pbkdf2, timingSafeEqual } from 'node:crypto';
import { equalSecrets } from '../crypto/compare.js';
import { promisify } from 'node:util';
import { verify as argon2Verify } from '@node-rs/argon2';
import { verify as bcryptVerify } from '@node-rs/bcrypt';
import { malformed, PasswordHashError } from './errors.js';
import { md5CryptDigest } from './md5-crypt.js';
import { parseStored, type ParsedHash } from './parse-hash.js';
import { CLEARTEXT_SCHEMES, splitStored } from './scheme-names.js';
import { shaCryptDigest } from './sha-crypt.js';

const pbkdf2Async = promisify(pbkdf2);

/**
 * Verifies `password` (raw bytes, as nginx sent it after %XX decoding) against a stored hash.
 * Resolves false on a wrong password; rejects with PasswordHashError when the stored value is
 * malformed or its scheme unsupported.
 */
export async function verifyPassword(stored: string, password: Buffer): Promise<boolean> {
  const parsed = parseStored(stored);
  // Dovecot hands every scheme a C string, so it could never have compared bytes after a
  // NUL; refusing here keeps "pass\0anything" from matching "pass".
  if (password.includes(0)) return false;
  return verifyParsed(parsed, password);
}

async function verifyParsed(p: ParsedHash, password: Buffer): Promise<boolean> {
  switch (p.kind) {
    case 'argon2':
      try {
        return await argon2Verify(p.phc, password);
      } catch {
        // parseOptions accepted it, so this is a value the hasher itself rejects.
        throw malformed(p.scheme, 'argon2 refused the stored parameters');
      }
    case 'bcrypt':
      // @node-rs/bcrypt verifies $2y$ (crypt_blowfish's name for the fixed algorithm, what
      // Dovecot writes) as $2b$ without rewriting; both are the same computation. Like
      // Dovecot, only the first 72 password bytes count.
      return bcryptVerify(password, p.hash);
    case 'sha-crypt':
      return equalStrings(await shaCryptDigest(password, p.spec), p.digest);
    case 'md5-crypt':
      return equalStrings(md5CryptDigest(password, p.salt), p.digest);
    case 'pbkdf2':
      // Dovecot hashes the password bytes with the salt *as its ASCII text* (not decoded),
      // HMAC-SHA1, 20-byte key; proven against doveadm in verify-doveadm.test.ts.
      return timingSafeEqual(await pbkdf2Async(password, p.salt, p.rounds, 20, 'sha1'), p.key);
    case 'digest': {
      const h = createHash(p.algorithm).update(password);
      if (p.salt) h.update(p.salt);
      return timingSafeEqual(h.digest(), p.digest);
    }
    case 'plain':
      return equalSecrets(password, p.secret);
  }
}


function equalStrings(a: string, b: string): boolean {
  return equalSecrets(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1'));
}

/**
 * The scheme name of a stored hash, upper-case Dovecot name (e.g. 'SHA512-CRYPT'), without
 * any encoding suffix. Bare crypt strings and `{CRYPT}` values are named by their `$id$`
 * ($6$ → SHA512-CRYPT, $2y$ → BLF-CRYPT, $y$ → YESCRYPT, else 'CRYPT'). Never throws.
 */
export function schemeOf(stored: string): string {
  return splitStored(stored).scheme;
}

/** Whether the stored value is a reversible scheme (PLAIN/CLEAR/CLEARTEXT), for later APOP/CRAM-MD5 support. */
export function isCleartext(stored: string): boolean {
  return CLEARTEXT_SCHEMES.has(schemeOf(stored));
}

/** The PasswordHashError verifyPassword would throw for `stored`, or null when it can be verified. */
export function checkStoredHash(stored: string): PasswordHashError | null {
  try {
    parseStored(stored);
    return null;
  } catch (err) {
    if (err instanceof PasswordHashError) return err;
    throw err;
  }
}

/** Whether Postern can verify `stored`: a supported scheme and a well-formed value. */
export function isSupportedScheme(stored: string): boolean {
  return checkStoredHash(stored) === null;
}
