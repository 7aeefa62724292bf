/**
 * Recovery codes for a lost authenticator: 10 per enrolment, each 16 characters of Crockford
 * base32 (80 random bits, src/crypto/typed-code.ts), shown once as `XXXX-XXXX-XXXX-XXXX`, stored as the hex SHA-256 of the
 * normalised code, and spent once (src/store/admin-totp.ts sets used_at with a compare-and-set).
 *
 * Why SHA-256 and not argon2id: a slow hash protects low-entropy secrets (passwords) from
 * offline guessing; 80 random bits cannot be guessed offline at any hash speed, as for the
 * API tokens (tokens.ts). A plain hash also lets the database find the code by value, where
 * argon2 would need up to ten verifications per attempt.
 */
import { createHash } from 'node:crypto';
import { newTypedCode, normaliseTypedCode } from '../crypto/typed-code.js';

export const RECOVERY_CODE_COUNT = 10;

export function newRecoveryCodes(): { codes: string[]; hashes: string[] } {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => newTypedCode().grouped);
  return { codes, hashes: codes.map((c) => hashRecoveryCode(c) as string) };
}

/** The stored form of a typed code (src/crypto/typed-code.ts reads it kindly); null when it cannot be a recovery code (no lookup needed). */
export function hashRecoveryCode(input: string): string | null {
  const raw = normaliseTypedCode(input);
  return raw === null ? null : createHash('sha256').update(`postern-recovery\0${raw}`).digest('hex');
}

/** Whether the input looks like a recovery code rather than a 6-digit TOTP code. */
export function looksLikeRecoveryCode(input: string): boolean {
  return input.replace(/[\s-]/g, '').length > 8;
}
