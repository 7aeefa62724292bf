/**
 * Random codes people read off a screen or paper and type back (app passwords, recovery codes):
 * 16 characters of Crockford's base32, 5 random bits each (80 bits), shown as four groups of
 * four. The alphabet has no I, L, O or U, so what is typed back is read kindly: case, spaces and
 * dashes are ignored, and O is read as 0, I and L as 1.
 */
import { randomInt } from 'node:crypto';

/** Crockford's base32, upper case. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const CODE_LENGTH = 16;
export const CODE_BITS = CODE_LENGTH * Math.log2(ALPHABET.length);

/** A new code: its 16 characters (upper case) and the same as `XXXX-XXXX-XXXX-XXXX`. */
export function newTypedCode(): { raw: string; grouped: string } {
  let raw = '';
  for (let i = 0; i < CODE_LENGTH; i++) raw += ALPHABET[randomInt(ALPHABET.length)];
  return { raw, grouped: (raw.match(/.{4}/g) as string[]).join('-') };
}

/** The 16 characters (upper case) a person meant, or null when the input cannot be such a code. */
export function normaliseTypedCode(input: string): string | null {
  // Most inputs are passwords of another shape (every login is asked whether it is an app
  // password): an ASCII input is told apart by counting, before any string is made. (Beyond
  // ASCII, \s has more spaces than these: the full reading below decides.)
  let kept = 0;
  let ascii = true;
  for (let i = 0; i < input.length && ascii; i++) {
    const c = input.charCodeAt(i);
    ascii = c < 0x80;
    if (c !== 0x2d && c !== 0x20 && (c < 0x09 || c > 0x0d)) kept++;
  }
  if (ascii && kept !== CODE_LENGTH) return null;
  const raw = input.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  if (raw.length !== CODE_LENGTH) return null;
  for (const c of raw) if (!ALPHABET.includes(c)) return null;
  return raw;
}
