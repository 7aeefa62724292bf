/**
 * OAUTHBEARER (RFC 7628) client responses. Not in nginx: Postern's proxy passes these to the auth
 * server with two new Auth-Method values. Proposed use of the auth_http headers:
 *
 * - `Auth-Method: oauthbearer` (or `xoauth2`, xoauth2.ts);
 * - `Auth-User`: the authorization identity the client named (OAUTHBEARER `a=`, XOAUTH2 `user=`),
 *   escaped like any login; OAUTHBEARER may leave it out, then it is empty and the token alone
 *   says who the user is;
 * - `Auth-Pass`: the bearer token, escaped like a password (a b64token holds no byte that needs it);
 * - no `Auth-Salt`; OAUTHBEARER's `host`/`port` keys are not sent (nginx has no header for them).
 *
 * The token is not a password a backend would take, so, as with EXTERNAL, the session keeps no
 * password (authclient's encoder returns `sessionPass: undefined`). An OK without `Auth-Pass`
 * tells the proxy to pass the client's token on to the backend with a bearer mechanism
 * (src/mailproxy/backend/bearer.ts); an OK with `Auth-Pass` is an ordinary backend login (a
 * master-user password, say).
 *
 * An auth server written for nginx has never seen these values. Scripts that ignore Auth-Method
 * compare the token as a password and refuse. So the proxy offers these mechanisms only on the
 * listeners whose `auth` list names them (`oauthbearer`, `xoauth2`; docs/mail-proxy.md).
 */
import { decodeBase64Nginx } from './base64.js';
import { refuse, type SaslResult } from './types.js';

export interface BearerLogin {
  /** The authorization identity, decoded; empty when the client named none. */
  user: Buffer;
  /** The bearer token (RFC 6750 b64token). */
  token: string;
  /** OAUTHBEARER's optional `host` and `port` keys (RFC 7628 §3.1). */
  host?: string;
  port?: number;
}

/** RFC 6750 §2.1 b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=". */
export const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

const KVSEP = 0x01;

/**
 * `response` is the base64 line (decoded with nginx's lenient decoder, like every other
 * mechanism). A response that is only %x01 is RFC 7628's reply to an error challenge: it
 * arrives as `bad-bearer` with detail `aborted`, and the exchange then fails.
 */
export function decodeOauthBearer(response: Uint8Array): SaslResult<BearerLogin> {
  const data = decodeBase64Nginx(response);
  if (data === undefined) return refuse('bad-base64', 'client sent invalid base64 encoding in AUTH OAUTHBEARER command');
  if (data.length === 1 && data[0] === KVSEP) return bad('aborted');
  // client-resp = gs2-header kvsep *kvpair kvsep; gs2-header = cbind-flag "," [ "a=" saslname ] ","
  const firstSep = data.indexOf(KVSEP);
  if (firstSep === -1) return bad('no kvsep after the GS2 header');
  const gs2 = gs2Header(data.subarray(0, firstSep));
  if (typeof gs2 === 'string') return bad(gs2);
  const pairs = kvPairs(data.subarray(firstSep + 1));
  if (typeof pairs === 'string') return bad(pairs);
  const auth = pairs.get('auth');
  if (auth === undefined) return bad('no auth key');
  const token = bearerToken(auth);
  if (token === undefined) return bad('auth is not "Bearer <b64token>"');
  const login: BearerLogin = { user: gs2, token };
  const host = pairs.get('host');
  if (host !== undefined) login.host = host;
  const port = pairs.get('port');
  if (port !== undefined) {
    if (!/^[0-9]{1,5}$/.test(port) || Number(port) > 65535) return bad('port is not a number');
    login.port = Number(port);
  }
  return { ok: true, value: login };
}

/** The authzid from the GS2 header, or why it is refused. Channel binding (`p=`) is not offered. */
function gs2Header(h: Buffer): Buffer | string {
  const text = h.toString('latin1');
  const m = /^([ny]),(?:a=([^,]*))?,$/.exec(text);
  if (!m) return text.startsWith('p=') ? 'channel binding is not supported' : 'bad GS2 header';
  const saslname = m[2];
  if (saslname === undefined) return Buffer.alloc(0);
  if (saslname.length === 0) return 'empty authzid';
  // RFC 5801 §4: "," is written =2C and "=" is =3D; no other "=" is allowed.
  if (/=(?!2C|3D)/.test(saslname)) return 'bad escape in the authzid';
  return Buffer.from(saslname.replace(/=2C/g, ',').replace(/=3D/g, '='), 'latin1');
}

/** `*kvpair kvsep`: key = 1*ALPHA, value = *(VCHAR / SP / HTAB / CR / LF), each pair ends with %x01. */
function kvPairs(rest: Buffer): Map<string, string> | string {
  if (rest[rest.length - 1] !== KVSEP) return 'no final kvsep';
  const pairs = new Map<string, string>();
  const body = rest.subarray(0, -1);
  if (body.length === 0) return pairs;
  if (body[body.length - 1] !== KVSEP) return 'a key-value pair does not end with kvsep';
  for (const field of body.subarray(0, -1).toString('latin1').split('\x01')) {
    const m = /^([A-Za-z]+)=([\x21-\x7e \t\r\n]*)$/.exec(field);
    if (!m) return 'bad key-value pair';
    const key = m[1] as string;
    if (pairs.has(key)) return `duplicate ${key}`;
    pairs.set(key, m[2] as string);
  }
  return pairs;
}

/** `"Bearer" 1*SP b64token`; the scheme name is case-insensitive (RFC 5234 quoted strings, RFC 6750 §2.1). */
export function bearerToken(value: string): string | undefined {
  const m = /^bearer +(.*)$/i.exec(value);
  const token = m?.[1];
  return token !== undefined && B64TOKEN.test(token) ? token : undefined;
}

function bad<T>(why: string): SaslResult<T> {
  return refuse('bad-bearer', why);
}
