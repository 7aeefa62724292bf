/**
 * The app password itself: made by Postern only, never chosen by a person, in one shape people
 * can read off a screen and type into a phone, and mail clients accept as a password:
 *
 *   four groups of four characters, e.g. `k7pq-3vzm-a0hx-t9wd`
 *
 * from the 32 lower-case characters of Crockford's base32 (digits and letters without i, l, o
 * and u; src/crypto/typed-code.ts), so each character carries 5 random bits: 16 characters are 80 bits. The look-alikes
 * never appear, so what is typed back is read kindly: case, dashes and spaces are ignored
 * (phones capitalise the first letter), and o is read as 0, i and l as 1.
 *
 * Stored as SHA-256 over that normal form, never with argon2: a slow hash protects what people
 * choose from offline guessing, and 80 random bits cannot be guessed offline at any hash speed
 * (the same reasoning as API tokens and recovery codes, src/admin/). A fast hash also lets the
 * auth path find the app password by value, one indexed query by (mailbox, hash), where argon2
 * would need one verification per app password of the mailbox on every login. No key is mixed
 * in: a key would add nothing against guessing 80 bits, and one kept apart from the database
 * could be lost or changed, silently turning every app password into a wrong password.
 */
import { createHash } from 'node:crypto';
import { CODE_BITS, CODE_LENGTH, newTypedCode, normaliseTypedCode } from '../crypto/typed-code.js';

/** Anything longer is not an app password, however it is spelt (bounds the work on hostile input). */
const MAX_TYPED = 40;

export const APP_PASSWORD_BITS = CODE_BITS;

/** A new app password (shown in lower case) and its stored hash. The password is shown once and never kept. */
export function generateAppPassword(): { password: string; hash: string } {
  const code = newTypedCode();
  return { password: code.grouped.toLowerCase(), hash: digest(code.raw.toLowerCase()) };
}

/** The normal form of what a client sent (lower case), or null when it cannot be an app password (no lookup needed). */
export function normaliseAppPassword(input: Buffer | string): string | null {
  // Normalising only drops or swaps characters, so anything shorter than a code cannot be one.
  if (input.length < CODE_LENGTH || input.length > MAX_TYPED) return null;
  return normaliseTypedCode(typeof input === 'string' ? input : input.toString('latin1'))?.toLowerCase() ?? null;
}

/** The stored form of a presented password; null when it does not have the app-password shape. */
export function appPasswordHash(input: Buffer | string): string | null {
  const raw = normaliseAppPassword(input);
  return raw === null ? null : digest(raw);
}

function digest(raw: string): string {
  return createHash('sha256').update(`postern-app-password\0${raw}`).digest('hex');
}
