/**
 * Recovery codes for a lost authenticator: 10 per enrolment, each 16 characters of Crockford
 * base32 (80 random bits), shown once as `XXXX-XXXX-XXXX-XXXX`, stored as the hex SHA-256 of the
 * normalised code, and spent once (src/store/admin-totp.ts sets used_at with a compare-and-set).
 *
 * Why SHA-256 and not argon2id: a slow hash protects low-entropy secrets (passwords) from
 * offline guessing; 80 random bits cannot be guessed offline at any hash speed, as for the
 * API tokens (tokens.ts). A plain hash also lets the database find the code by value, where
 * argon2 would need up to ten verifications per attempt.
 */
import { createHash, randomInt } from 'node:crypto';

export const RECOVERY_CODE_COUNT = 10;
/** Crockford's base32: no I, L, O or U, so a code read aloud or off paper is unambiguous. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const LENGTH = 16;

export function newRecoveryCodes(): { codes: string[]; hashes: string[] } {
  const codes: string[] = [];
  for (let i = 0; i < RECOVERY_CODE_COUNT; i++) {
    let raw = '';
    for (let j = 0; j < LENGTH; j++) raw += ALPHABET[randomInt(ALPHABET.length)];
    codes.push((raw.match(/.{4}/g) as string[]).join('-'));
  }
  return { codes, hashes: codes.map((c) => hashRecoveryCode(c) as string) };
}

/**
 * The stored form of a typed code: case, spaces and dashes ignored, and Crockford's look-alikes
 * read as digits (O → 0, I and L → 1); null when it cannot be a recovery code (no lookup needed).
 */
export function hashRecoveryCode(input: string): string | null {
  const raw = input.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  if (raw.length !== LENGTH || [...raw].some((c) => !ALPHABET.includes(c))) return null;
  return createHash('sha256').update(`postern-recovery\0${raw}`).digest('hex');
}

/** Whether the input looks like a recovery code rather than a 6-digit TOTP code. */
export function looksLikeRecoveryCode(input: string): boolean {
  return input.replace(/[\s-]/g, '').length > 8;
}
