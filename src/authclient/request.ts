/**
 * The auth_http request exactly as nginx 1.22 writes it (`ngx_mail_auth_http_create_request`,
 * nginx-auth-http.md §1.2-§1.5): same header order, same conditions, same escaping, byte for
 * byte. The request and header order are unchanged in the newest nginx; only the Auth-Salt
 * condition differs (EncodeOptions.saltHeader).
 */
import { escapeMailAuth } from '../authhttp/index.js';
import { hasLineBreak } from '../authhttp/bytes.js';
import type { ParseResult } from '../authhttp/index.js';
import { isBearerMethod, type AuthHttpTarget, type AuthMethod, type EncodedRequest, type EncodeOptions, type LoginAttempt } from './types.js';

export type RequestEncodeErrorCode = 'line-break' | 'bad-number';

const CRLF = Buffer.from('\r\n');
const COLON_SP = Buffer.from(': ');
const EMPTY = new Uint8Array(0);

/**
 * Builds the request bytes. It refuses (never throws) a CR or LF in a field nginx writes raw:
 * nginx's own parsers cannot produce one (§1.5 "HELO, MAIL FROM, and RCPT TO can't contain
 * CRLF"), so one here is a caller's bug that would let a peer add headers.
 */
export function encodeAuthRequest(
  attempt: LoginAttempt,
  target: AuthHttpTarget,
  options: EncodeOptions = {},
): ParseResult<EncodedRequest, RequestEncodeErrorCode> {
  const numbers = checkNumbers(attempt);
  if (numbers) return fail('bad-number', numbers);

  const out: Buffer[] = [];
  let broken: string | undefined;
  // A field nginx writes raw: checked for CR/LF, the one thing that could break the request.
  const raw = (what: string, value: string | Uint8Array): void => {
    const b = toBuffer(value);
    if (broken === undefined && hasLineBreak(b)) broken = what;
    out.push(b);
  };
  const line = (name: string, value: string | Uint8Array): void => {
    raw('a header name', name);
    out.push(COLON_SP);
    raw(name, value);
    out.push(CRLF);
  };
  // §1.5: Auth-User, Auth-Pass and Auth-SSL-Cert are escaped, so any bytes are safe in them.
  const escaped = (name: string, value: Uint8Array): void => void out.push(Buffer.from(`${name}: `), escapeMailAuth(value), CRLF);

  // §1.2: no Connection, User-Agent or Accept; HTTP/1.0 implies close.
  out.push(Buffer.from('GET '));
  raw('the uri', target.uri);
  out.push(Buffer.from(' HTTP/1.0\r\n'));
  line('Host', target.host);
  line('Auth-Method', attempt.method);
  // §1.3 rows 3-4: always written, even empty.
  escaped('Auth-User', attempt.user);
  escaped('Auth-Pass', attempt.pass ?? EMPTY);
  // §1.3 row 5: after Auth-Pass (the official docs show it before), raw: nginx made it.
  const saltSent = sendsSalt(attempt, options);
  if (saltSent) line('Auth-Salt', attempt.salt as string);
  line('Auth-Protocol', attempt.protocol);
  line('Auth-Login-Attempt', String(attempt.attempt));
  line('Client-IP', attempt.clientIp);
  // §1.3 row 9: written whenever the session has a host, which nginx sets for SMTP only.
  if (attempt.clientHost) line('Client-Host', attempt.clientHost);
  const pp = attempt.proxyProtocol;
  if (pp) {
    line('Proxy-Protocol-Addr', pp.srcAddr);
    line('Proxy-Protocol-Port', String(pp.srcPort));
    line('Proxy-Protocol-Server-Addr', pp.dstAddr);
    line('Proxy-Protocol-Server-Port', String(pp.dstPort));
  }
  if (attempt.method === 'none') {
    // §1.3 rows 14-16: raw, not escaped; empty when never given (e.g. no HELO).
    line('Auth-SMTP-Helo', attempt.smtp?.helo ?? EMPTY);
    line('Auth-SMTP-From', attempt.smtp?.from ?? EMPTY);
    line('Auth-SMTP-To', attempt.smtp?.to ?? EMPTY);
  }
  const tls = attempt.tls;
  if (tls) {
    out.push(Buffer.from('Auth-SSL: on\r\n'));
    // §1.3: each field only when non-empty, in this order.
    if (tls.protocol) line('Auth-SSL-Protocol', tls.protocol);
    if (tls.cipher) line('Auth-SSL-Cipher', tls.cipher);
    if (tls.verify) line('Auth-SSL-Verify', tls.verify);
    if (tls.subject) line('Auth-SSL-Subject', tls.subject);
    if (tls.issuer) line('Auth-SSL-Issuer', tls.issuer);
    if (tls.serial) line('Auth-SSL-Serial', tls.serial);
    if (tls.fingerprint) line('Auth-SSL-Fingerprint', tls.fingerprint);
    // §1.5: the PEM's newlines travel as %0A, its spaces as %20.
    if (tls.cert) escaped('Auth-SSL-Cert', Buffer.from(tls.cert, 'utf8'));
  }
  for (const [name, value] of target.headers) line(name, value);
  out.push(CRLF);
  if (broken !== undefined) return fail('line-break', `${broken} holds a CR or LF`);

  // The session loses its password once Auth-Salt is written (`s->passwd.data = NULL`, §2.2).
  // A bearer token is no backend password either (src/sasl/oauthbearer.ts).
  const sessionPass = saltSent || isBearerMethod(attempt.method) || attempt.pass === undefined ? undefined : Buffer.from(attempt.pass);
  return { ok: true, value: { bytes: Buffer.concat(out), sessionPass } };
}

/** §1.3 row 5 and §7: 1.22 sends the salt for any method but plain; newest for apop/cram-md5 only. */
function sendsSalt(attempt: LoginAttempt, options: EncodeOptions): boolean {
  if (!attempt.salt) return false;
  const m: AuthMethod = attempt.method;
  if (m === 'apop' || m === 'cram-md5') return true;
  return (options.saltHeader ?? 'nginx-1.22') === 'nginx-1.22' && (m === 'external' || m === 'none');
}

/** Text as UTF-8; bytes as they are (a view, not a copy). */
function toBuffer(value: string | Uint8Array): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

function checkNumbers(a: LoginAttempt): string | undefined {
  if (!Number.isSafeInteger(a.attempt) || a.attempt < 0) return 'attempt is not a non-negative integer';
  const pp = a.proxyProtocol;
  if (pp && ![pp.srcPort, pp.dstPort].every((p) => Number.isInteger(p) && p >= 0 && p <= 65535)) {
    return 'a PROXY protocol port is not 0..65535';
  }
  return undefined;
}

function fail<T>(code: RequestEncodeErrorCode, detail: string): ParseResult<T, RequestEncodeErrorCode> {
  return { ok: false, error: { code, detail } };
}
