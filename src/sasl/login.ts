/**
 * SASL LOGIN as nginx runs it (nginx-auth-http.md §4.3): prompt `Username:`, then `Password:`,
 * each answer plain base64 of any bytes (empty allowed). An initial response is the username.
 * EXTERNAL without an initial response reuses the `Username:` prompt (external.ts).
 */
import { decodeBase64Nginx } from './base64.js';
import { refuse, type SaslResult } from './types.js';

/** base64("Username:"), sent as `+ VXNlcm5hbWU6` (IMAP, POP3) or `334 VXNlcm5hbWU6` (SMTP). */
export const LOGIN_USERNAME_CHALLENGE = 'VXNlcm5hbWU6';
/** base64("Password:"). */
export const LOGIN_PASSWORD_CHALLENGE = 'UGFzc3dvcmQ6';

const BAD = 'client sent invalid base64 encoding in AUTH LOGIN command';

/** `ngx_mail_auth_login_username`. */
export function decodeLoginUsername(response: Uint8Array): SaslResult<Buffer> {
  const user = decodeBase64Nginx(response);
  return user === undefined ? refuse('bad-base64', BAD) : { ok: true, value: user };
}

/** `ngx_mail_auth_login_password`: the answer to the password prompt ends the exchange. */
export function decodeLoginPassword(response: Uint8Array): SaslResult<Buffer> {
  const pass = decodeBase64Nginx(response);
  return pass === undefined ? refuse('bad-base64', BAD) : { ok: true, value: pass };
}
