/**
 * XOAUTH2 client responses (Google's and Microsoft's pre-RFC 7628 mechanism): base64 of
 * `user=<user>^Aauth=Bearer <token>^A^A`, ^A being %x01. Not in nginx; sent to the auth server
 * as `Auth-Method: xoauth2` with the user in Auth-User and the token in Auth-Pass (the header
 * usage is described in oauthbearer.ts). On failure the server sends a base64 JSON challenge
 * and the client answers with an empty line; that exchange belongs to the protocol state machines.
 */
import { decodeBase64Nginx } from './base64.js';
import { bearerToken, type BearerLogin } from './oauthbearer.js';
import { refuse, type SaslResult } from './types.js';

export function decodeXoauth2(response: Uint8Array): SaslResult<BearerLogin> {
  const data = decodeBase64Nginx(response);
  if (data === undefined) return refuse('bad-base64', 'client sent invalid base64 encoding in AUTH XOAUTH2 command');
  const text = data.toString('latin1');
  if (!text.endsWith('\x01\x01')) return refuse('bad-bearer', 'does not end with ^A^A');
  // Exactly the two documented fields, in the documented order.
  const m = /^user=([^\x01]*)\x01auth=([^\x01]*)\x01\x01$/.exec(text);
  if (!m) return refuse('bad-bearer', 'not user=...^Aauth=...^A^A');
  const token = bearerToken(m[2] as string);
  if (token === undefined) return refuse('bad-bearer', 'auth is not "Bearer <b64token>"');
  return { ok: true, value: { user: Buffer.from(m[1] as string, 'latin1'), token } };
}
