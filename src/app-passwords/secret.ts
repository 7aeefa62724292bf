/**
 * The app password itself: made by Postern only, never chosen by a person, in one shape people
 * can read off a screen and type into a phone, and mail clients accept as a password:
 *
 *   four groups of four characters, e.g. `k7pq-3vzm-a0hx-t9wd`
 *
 * from the 32 lower-case characters of Crockford's base32 (digits and letters without i, l, o
 * and u), so each character carries 5 random bits: 16 characters are 80 bits. The look-alikes
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
import { createHash, randomInt } from 'node:crypto';

/** Crockford's base32 in lower case. */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const GROUPS = 4;
const GROUP_LENGTH = 4;
const LENGTH = GROUPS * GROUP_LENGTH;
/** Anything longer is not an app password, however it is spelt (bounds the work on hostile input). */
const MAX_TYPED = 40;

export const APP_PASSWORD_BITS = LENGTH * Math.log2(ALPHABET.length);

/** A new app password and its stored hash. The password is shown once and never kept. */
export function generateAppPassword(): { password: string; hash: string } {
  let raw = '';
  for (let i = 0; i < LENGTH; i++) raw += ALPHABET[randomInt(ALPHABET.length)];
  const password = (raw.match(new RegExp(`.{${GROUP_LENGTH}}`, 'g')) as string[]).join('-');
  return { password, hash: digest(raw) };
}

/** The normal form of what a client sent, or null when it cannot be an app password (no lookup needed). */
export function normaliseAppPassword(input: Buffer | string): string | null {
  // Normalising only drops or swaps characters, so anything shorter than LENGTH cannot be one.
  if (input.length < LENGTH || input.length > MAX_TYPED) return null;
  const text = typeof input === 'string' ? input : input.toString('latin1');
  const raw = text.toLowerCase().replace(/[\s-]/g, '').replace(/o/g, '0').replace(/[il]/g, '1');
  if (raw.length !== LENGTH) return null;
  for (const c of raw) if (!ALPHABET.includes(c)) return null;
  return raw;
}

/** The stored form of a presented password; null when it does not have the app-password shape. */
export function appPasswordHash(input: Buffer | string): string | null {
  const raw = normaliseAppPassword(input);
  return raw === null ? null : digest(raw);
}

function digest(raw: string): string {
  return createHash('sha256').update(`postern-app-password\0${raw}`).digest('hex');
}
