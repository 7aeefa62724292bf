/**
 * What an nginx auth_http request means: RawHead (http-head.ts) to the typed AuthRequest.
 * Strict about the shape nginx always sends (nginx-auth-http.md §1.3), because anything else
 * is not nginx; lenient about the bytes inside values (§5.1). Never throws on peer input.
 */
import { isIP } from 'node:net';
import { hasControlByte, headerText } from './bytes.js';
import { unescapeMailAuth } from './escape.js';
import type { RawHead } from './http-head.js';
import {
  BEARER_METHODS,
  METHODS,
  PROTOCOLS,
  type AuthRequest,
  type ClientTls,
  type Method,
  type ParseResult,
  type Protocol,
  type ProxyProtocolInfo,
} from './types.js';

export type RequestErrorCode =
  | 'duplicate-header'
  | 'missing-header'
  | 'bad-method'
  | 'bad-protocol'
  | 'bad-escape'
  | 'control-chars'
  | 'bad-attempt'
  | 'bad-client-ip'
  | 'bad-header-value';

type Result<T> = ParseResult<T, RequestErrorCode>;
type Headers = Map<string, Buffer>;

/** Auth-Login-Attempt: at most 10 digits keeps it a safe integer; a session never gets near (§2.5). */
const ATTEMPT = /^[0-9]{1,10}$/;

export function parseAuthRequest(head: RawHead): Result<AuthRequest> {
  const indexed = indexHeaders(head);
  if (!indexed.ok) return indexed;
  const h = indexed.value;

  const methodText = text(h, 'auth-method');
  if (methodText === undefined) return fail('missing-header', 'Auth-Method is missing');
  // §5.4: the method comes from Auth-Method only, never from the presence of Auth-Salt.
  // The bearer methods come from Postern's own mail proxy (types.ts BEARER_METHODS).
  if (!(METHODS as readonly string[]).includes(methodText) && !(BEARER_METHODS as readonly string[]).includes(methodText)) {
    return fail('bad-method', 'Auth-Method is not one nginx or Postern\'s mail proxy sends');
  }
  const method = methodText as Method;

  const protocolText = text(h, 'auth-protocol');
  if (protocolText === undefined) return fail('missing-header', 'Auth-Protocol is missing');
  if (!(PROTOCOLS as readonly string[]).includes(protocolText)) return fail('bad-protocol', 'Auth-Protocol is not imap, pop3 or smtp');
  const protocol = protocolText as Protocol;
  // §1.4: NONE is only ever set by ngx_mail_smtp_rcpt.
  if (method === 'none' && protocol !== 'smtp') return fail('bad-method', 'Auth-Method none outside smtp');

  const attempt = parseAttempt(h.get('auth-login-attempt'));
  if (!attempt.ok) return attempt;

  const clientIp = text(h, 'client-ip');
  if (clientIp === undefined) return fail('missing-header', 'Client-IP is missing');
  // §1.3 row 8: IPv4 dotted or IPv6 without brackets, so isIP must accept it as it stands.
  // c->addr_text never carries a zone (`%eth0`), which isIP would otherwise accept.
  if (isIP(clientIp) === 0 || clientIp.includes('%')) return fail('bad-client-ip', 'Client-IP is not an IP literal');

  const req: AuthRequest = { method, protocol, user: Buffer.alloc(0), pass: Buffer.alloc(0), attempt: attempt.value, clientIp };

  // §5.3, §7: 1.22.1 sends stale Auth-User/Auth-Pass with `none`; they mean nothing, so they
  // are not even decoded (a stale value must not be able to fail the request either).
  if (method !== 'none') {
    const user = credential(h, 'auth-user', 'Auth-User');
    if (!user.ok) return user;
    const pass = credential(h, 'auth-pass', 'Auth-Pass');
    if (!pass.ok) return pass;
    req.user = user.value;
    req.pass = pass.value;
  } else {
    const smtp = smtpEnvelope(h);
    if (!smtp.ok) return smtp;
    req.smtp = smtp.value;
  }

  // §1.5: Auth-Salt, Client-Host and Proxy-Protocol-* are not escaped; kept as sent.
  const salt = text(h, 'auth-salt');
  if (salt !== undefined) req.salt = salt;
  const clientHost = text(h, 'client-host');
  if (clientHost !== undefined) req.clientHost = clientHost;

  const tls = clientTls(h);
  if (!tls.ok) return tls;
  if (tls.value) req.tls = tls.value;

  const proxy = proxyProtocol(h);
  if (proxy) req.proxyProtocol = proxy;
  return { ok: true, value: req };
}

/**
 * Lower-cased name to value for the headers this module reads. A second Auth-*, Client-* or
 * Proxy-Protocol-* header is refused: nginx writes each once (§1.3), so a duplicate means
 * someone else wrote it, and which copy "wins" must never be a question.
 */
const READ_PREFIXES = /^(?:auth-|client-|proxy-protocol-)/;

function indexHeaders(head: RawHead): Result<Headers> {
  const h: Headers = new Map();
  for (const [name, value] of head.headers) {
    const lower = name.toLowerCase();
    if (!READ_PREFIXES.test(lower)) continue;
    if (h.has(lower)) return fail('duplicate-header', `${name} sent more than once`);
    h.set(lower, value);
  }
  return { ok: true, value: h };
}

function text(h: Headers, name: string): string | undefined {
  const v = h.get(name);
  return v === undefined ? undefined : headerText(v);
}

/** §2.5: decimal from 1; nginx always sends it, a missing one is read as the first attempt. */
function parseAttempt(raw: Buffer | undefined): Result<number> {
  if (raw === undefined) return { ok: true, value: 1 };
  const s = raw.toString('latin1');
  const n = Number(s);
  if (!ATTEMPT.test(s) || n < 1) {
    return fail('bad-attempt', 'Auth-Login-Attempt is not a decimal number from 1');
  }
  return { ok: true, value: n };
}

/**
 * §1.5 decoding, then §5.6: control bytes (0x00-0x1F, 0x7F) in a login or password are refused
 * with their own code, so the caller can answer "invalid login" and log it. Raw DEL needs no
 * separate test: unescaping passes it through and the same check catches it. Raw UTF-8 passes.
 * Details name the header only: they are logged and must not carry credential bytes.
 */
function credential(h: Headers, name: string, display: string): Result<Buffer> {
  const raw = h.get(name);
  // §1.3 rows 3-4: nginx always writes both, empty or not.
  if (raw === undefined) return fail('missing-header', `${display} is missing`);
  const decoded = unescapeMailAuth(raw);
  if (!decoded.ok) return fail('bad-escape', `${display} is not valid %XX escaping`);
  if (hasControlByte(decoded.value)) return fail('control-chars', `${display} contains a control character`);
  return decoded;
}

/**
 * §1.3 rows 14-16, §5.16: with `none` nginx always writes all three, raw (Helo may be empty).
 * Text is UTF-8 when valid, else latin1 (bytes.ts headerText), so odd bytes survive.
 */
function smtpEnvelope(h: Headers): Result<NonNullable<AuthRequest['smtp']>> {
  const helo = text(h, 'auth-smtp-helo');
  const from = text(h, 'auth-smtp-from');
  const to = text(h, 'auth-smtp-to');
  if (helo === undefined || from === undefined || to === undefined) {
    return fail('missing-header', 'Auth-Method none without Auth-SMTP-Helo/From/To');
  }
  return { ok: true, value: { helo, from, to } };
}

const TLS_FIELDS: ReadonlyArray<[keyof ClientTls, string]> = [
  ['protocol', 'auth-ssl-protocol'],
  ['cipher', 'auth-ssl-cipher'],
  ['verify', 'auth-ssl-verify'],
  ['subject', 'auth-ssl-subject'],
  ['issuer', 'auth-ssl-issuer'],
  ['serial', 'auth-ssl-serial'],
  ['fingerprint', 'auth-ssl-fingerprint'],
];

/** §1.3 rows 17-25: the Auth-SSL-* block exists only after `Auth-SSL: on`. */
function clientTls(h: Headers): Result<ClientTls | undefined> {
  const on = text(h, 'auth-ssl');
  if (on === undefined) {
    for (const name of h.keys()) {
      if (name.startsWith('auth-ssl-')) return fail('bad-header-value', 'Auth-SSL-* sent without Auth-SSL: on');
    }
    return { ok: true, value: undefined };
  }
  if (on !== 'on') return fail('bad-header-value', 'Auth-SSL is not "on"');
  const tls: ClientTls = {};
  for (const [key, name] of TLS_FIELDS) {
    const v = text(h, name);
    if (v !== undefined) tls[key] = v;
  }
  const cert = h.get('auth-ssl-cert');
  if (cert !== undefined) {
    // §1.5: the PEM is escaped like the credentials (newlines arrive as %0A).
    const decoded = unescapeMailAuth(cert);
    if (!decoded.ok) return fail('bad-escape', 'Auth-SSL-Cert is not valid %XX escaping');
    tls.cert = headerText(decoded.value);
  }
  return { ok: true, value: tls };
}

const PROXY_FIELDS: ReadonlyArray<[keyof ProxyProtocolInfo, string]> = [
  ['addr', 'proxy-protocol-addr'],
  ['port', 'proxy-protocol-port'],
  ['serverAddr', 'proxy-protocol-server-addr'],
  ['serverPort', 'proxy-protocol-server-port'],
];

function proxyProtocol(h: Headers): ProxyProtocolInfo | undefined {
  let info: ProxyProtocolInfo | undefined;
  for (const [key, name] of PROXY_FIELDS) {
    const v = text(h, name);
    if (v !== undefined) (info ??= {})[key] = v;
  }
  return info;
}

function fail<T>(code: RequestErrorCode, detail: string): Result<T> {
  return { ok: false, error: { code, detail } };
}
