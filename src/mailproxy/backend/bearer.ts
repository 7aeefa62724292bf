/**
 * A bearer login passed on to the backend (Postern's addition; nginx has no bearer mechanisms):
 * when the auth server said OK to an OAUTHBEARER or XOAUTH2 attempt without an `Auth-Pass`, the
 * backend checks the client's token itself. The client response is rebuilt, not forwarded, so
 * the backend sees the user the auth server named (Auth-User) as the authorization identity:
 * RFC 7628 §3.1 `n,a=<saslname>,^Aauth=Bearer <token>^A^A` (without the optional host and port
 * keys, which would name Postern) and Google's XOAUTH2 `user=<user>^Aauth=Bearer <token>^A^A`.
 * A refused token comes back as an error challenge (RFC 7628 §3.2.2), answered here as each
 * mechanism asks, after which the backend sends its failure.
 */
import type { BearerMechanism } from '../session.js';
import { B64TOKEN } from '../../sasl/index.js';

export interface BearerCredentials {
  /** The mechanism the client used; the backend may be asked with the other one (pickBearerMechanism). */
  mechanism: BearerMechanism;
  /** The authorization identity: the reply's Auth-User, else what the client named. */
  user: Buffer;
  /** The client's token, an RFC 6750 b64token (the client's response was checked for it). */
  token: Buffer;
}

/** The wire names, as IMAP `AUTH=`, POP3 `SASL` and SMTP `AUTH` list them. */
export const MECHANISM_NAME: Record<BearerMechanism, string> = { oauthbearer: 'OAUTHBEARER', xoauth2: 'XOAUTH2' };

/**
 * The answer to an error challenge: RFC 7628 §3.2.3's lone %x01 for OAUTHBEARER; for XOAUTH2 an
 * empty response, as Google documents (servers that speak both, such as Dovecot, take either).
 */
export const ERROR_CHALLENGE_ANSWER: Record<BearerMechanism, string> = { oauthbearer: 'AQ==', xoauth2: '' };

/**
 * Which mechanism to ask the backend with, given what it offers (upper-case names): the client's
 * when offered, else the other bearer one, else undefined.
 */
export function pickBearerMechanism(preferred: BearerMechanism, offered: readonly string[]): BearerMechanism | undefined {
  const other: BearerMechanism = preferred === 'oauthbearer' ? 'xoauth2' : 'oauthbearer';
  return [preferred, other].find((m) => offered.includes(MECHANISM_NAME[m]));
}

/**
 * The base64 client response, or why it cannot be sent: a control byte in the user would end a
 * key-value pair early (%x01 is the separator) and let it add keys of its own.
 */
export function bearerResponse(mechanism: BearerMechanism, c: Pick<BearerCredentials, 'user' | 'token'>): { ok: true; base64: string } | { ok: false; detail: string } {
  if (c.user.some((byte) => byte < 0x20 || byte === 0x7f)) return { ok: false, detail: 'the login holds a control byte; it cannot be sent in a bearer response' };
  const token = c.token.toString('latin1');
  if (!B64TOKEN.test(token)) return { ok: false, detail: 'the token is not an RFC 6750 b64token' };
  const auth = Buffer.from(`\x01auth=Bearer ${token}\x01\x01`, 'latin1');
  const head =
    mechanism === 'xoauth2'
      ? Buffer.concat([Buffer.from('user='), c.user])
      : // RFC 5801 §4 saslname: "," is written =2C and "=" is =3D; no authzid when there is no user.
        Buffer.concat([Buffer.from('n,'), c.user.length > 0 ? Buffer.concat([Buffer.from('a='), escapeSaslname(c.user)]) : Buffer.alloc(0), Buffer.from(',')]);
  return { ok: true, base64: Buffer.concat([head, auth]).toString('base64') };
}

function escapeSaslname(user: Buffer): Buffer {
  return Buffer.from(user.toString('latin1').replace(/=/g, '=3D').replace(/,/g, '=2C'), 'latin1');
}
