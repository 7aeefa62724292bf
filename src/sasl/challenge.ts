/**
 * The continuation lines nginx sends during SASL (nginx-auth-http.md §4.3, the `*_next`,
 * `*_username`, `*_password` strings of the protocol handlers): `+ <payload>` for IMAP and POP3,
 * `334 <payload>` for SMTP, CRLF. An empty payload keeps the space: PLAIN's prompt is `+ \r\n`.
 */
import type { SaslMechanism } from './mechanism.js';
import { cramMd5Challenge } from './cram-md5.js';
import { LOGIN_USERNAME_CHALLENGE } from './login.js';
import type { Protocol } from './types.js';

export function challengeLine(protocol: Protocol, payload: string): Buffer {
  return Buffer.from(`${protocol === 'smtp' ? '334' : '+'} ${payload}\r\n`, 'latin1');
}

/**
 * The first challenge when the client gave no initial response: empty for PLAIN and the bearer
 * mechanisms (RFC 7628 §3.1), `Username:` for LOGIN and, as nginx does, for EXTERNAL, and the
 * salt for CRAM-MD5 (the caller makes it first if the session has none, salt.ts).
 */
export function firstChallenge(mechanism: SaslMechanism, salt: string | undefined): string {
  switch (mechanism) {
    case 'login':
    case 'external':
      return LOGIN_USERNAME_CHALLENGE;
    case 'cram-md5':
      if (salt === undefined) throw new RangeError('CRAM-MD5 needs the session salt');
      return cramMd5Challenge(salt);
    default:
      return '';
  }
}
