/**
 * The one error type of the passwords module: a stored hash that Postern cannot use.
 * Its message is built only from the scheme name and fixed words, never from the hash or
 * the password, so it can be logged and shown to operators as is.
 */

/** `unsupported-scheme`: a scheme Postern does not verify; `malformed-hash`: a known scheme whose value is broken. */
export type PasswordHashErrorCode = 'unsupported-scheme' | 'malformed-hash';

export class PasswordHashError extends Error {
  override readonly name = 'PasswordHashError';
  /** Upper-case Dovecot scheme name, e.g. 'SHA512-CRYPT', or 'CRYPT' for an unrecognised crypt string. */
  readonly scheme: string;
  readonly code: PasswordHashErrorCode;
  /** The words after the code, e.g. 'weak, disabled in Dovecot 2.4'. */
  readonly detail: string;

  constructor(code: PasswordHashErrorCode, scheme: string, detail: string) {
    // Same shape as the passwd-file skip reasons: `code: SCHEME (detail)`.
    super(`${code}: ${scheme} (${detail})`);
    this.code = code;
    this.scheme = scheme;
    this.detail = detail;
  }
}

export function malformed(scheme: string, detail: string): PasswordHashError {
  return new PasswordHashError('malformed-hash', scheme, detail);
}

export function unsupported(scheme: string, detail: string): PasswordHashError {
  return new PasswordHashError('unsupported-scheme', scheme, detail);
}
