/**
 * SASL PLAIN (RFC 4616) as `ngx_mail_auth_plain` decodes it (nginx-auth-http.md §4.3): base64 of
 * `authzid NUL authcid NUL passwd`. The authzid is dropped [verified: `admin\0bob\0pw` logs in
 * as bob]; an empty login or password is allowed; the password is everything after the second
 * NUL, NULs included. Same with or without an initial response.
 */
import { decodeBase64Nginx } from './base64.js';
import { refuse, type Credentials, type SaslResult } from './types.js';

export function decodePlain(response: Uint8Array): SaslResult<Credentials> {
  const plain = decodeBase64Nginx(response);
  if (plain === undefined) return refuse('bad-base64', 'client sent invalid base64 encoding in AUTH PLAIN command');
  // nginx's `while (p < last && *p++)`: skip the authzid and its NUL; none at all, or nothing
  // after it, means no login.
  const first = plain.indexOf(0);
  if (first === -1 || first + 1 === plain.length) return refuse('bad-login', 'client sent invalid login in AUTH PLAIN command');
  const second = plain.indexOf(0, first + 1);
  if (second === -1) return refuse('bad-password', 'client sent invalid password in AUTH PLAIN command');
  return { ok: true, value: { user: plain.subarray(first + 1, second), pass: plain.subarray(second + 1) } };
}
