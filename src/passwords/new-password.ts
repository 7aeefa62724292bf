/**
 * What a new login password must be before Postern hashes it, checked the same way by the CLI
 * and the console: not empty, no control characters (no mail client can send a line break or a
 * NUL in LOGIN or USER/PASS, and Dovecot stops at a NUL), and not absurdly long.
 */

/** The longest password accepted, in UTF-8 bytes: far above any real one, far below the console's form limit. */
export const MAX_PASSWORD_BYTES = 1024;

/** Why `password` cannot be a new login password (a sentence naming it), or undefined. */
export function newPasswordProblem(password: string): string | undefined {
  if (password === '') return 'the password is empty';
  if (/\p{Cc}/u.test(password)) return 'the password contains a control character (a line break, tab or NUL), which mail clients cannot send';
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) return `the password is longer than ${MAX_PASSWORD_BYTES} bytes`;
  return undefined;
}
