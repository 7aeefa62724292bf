/**
 * SASL EXTERNAL as `ngx_mail_auth_external` takes it (nginx-auth-http.md §4.3): the decoded data
 * is the login (the authzid), possibly empty (`=`); there is no password. nginx asks for no
 * certificate and no TLS [verified]: the auth server must check `Auth-SSL-Verify` itself (§5.8).
 * Without an initial response nginx prompts with LOGIN's `Username:` challenge, not an empty one.
 */
import { decodeBase64Nginx } from './base64.js';
import { refuse, type SaslResult } from './types.js';

export function decodeExternal(response: Uint8Array): SaslResult<Buffer> {
  const user = decodeBase64Nginx(response);
  return user === undefined ? refuse('bad-base64', 'client sent invalid base64 encoding in AUTH EXTERNAL command') : { ok: true, value: user };
}
