/**
 * Results of decoding a client's SASL data as nginx does (nginx-auth-http.md §4.3). A refusal is
 * what nginx answers with its "invalid command" reply (IMAP `<tag> BAD invalid command`, POP3
 * `-ERR invalid command`, SMTP `500 5.5.1 Invalid command`), counting towards `max_errors` and
 * resetting the AUTH state; `detail` is the line nginx logs at info level, never credential bytes.
 */
import type { ParseResult } from '../authhttp/index.js';

export type { Protocol } from '../authhttp/index.js';

export type SaslErrorCode =
  /** `ngx_decode_base64` refused the data (a cancel line `*` lands here too). */
  | 'bad-base64'
  /** PLAIN without the NUL that ends the authzid. */
  | 'bad-login'
  /** PLAIN without the NUL that ends the authcid. */
  | 'bad-password'
  /** CRAM-MD5: no space, or the part after the first space is not 32 bytes. */
  | 'bad-cram-hash'
  /** OAUTHBEARER or XOAUTH2 data that does not follow RFC 7628 or Google's format. */
  | 'bad-bearer';

export type SaslResult<T> = ParseResult<T, SaslErrorCode>;

/** A decoded login: raw bytes, as the auth_http request escapes them (§1.5). */
export interface Credentials {
  user: Buffer;
  pass: Buffer;
}

export function refuse<T>(code: SaslErrorCode, detail: string): SaslResult<T> {
  return { ok: false, error: { code, detail } };
}
