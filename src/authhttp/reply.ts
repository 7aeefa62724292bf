/**
 * AuthDecision to the exact reply bytes nginx reads (nginx-auth-http.md §2). Every rule nginx
 * imposes on a reply is checked here, and a decision that breaks one is never half-sent: the
 * whole reply becomes the fixed temporary failure, and encodeReplyChecked says why (§5.13).
 * Never throws.
 */
import { isIP } from 'node:net';
import { hasControlChar, hasLoneSurrogate } from './bytes.js';
import { PROTOCOLS, type AuthDecision, type Method, type Protocol } from './types.js';

/** §1.1, §2.1: nginx reads the reply into a 1024-byte buffer; Postern stays strictly below it. */
export const MAX_REPLY_BYTES = 1024;

/**
 * Largest Auth-Wait Postern sends. nginx takes any positive integer (§2.2), but it holds the
 * client's session that long before showing the error; an hour is far past any sane delay.
 */
export const MAX_WAIT_SECONDS = 3600;

const TEMP_TEXT = 'Temporary server problem, try again later';

/**
 * The Auth-Status of the fixed temporary failure. IMAP carries the RFC 5530 `[UNAVAILABLE]`
 * code and POP3 the RFC 3206 `[SYS/TEMP]` one; nginx shows the text after `NO` / `-ERR` (§2.6).
 */
export const TEMP_FAIL_STATUS: Readonly<Record<Protocol, string>> = Object.freeze({
  imap: `[UNAVAILABLE] ${TEMP_TEXT}`,
  pop3: `[SYS/TEMP] ${TEMP_TEXT}`,
  smtp: TEMP_TEXT,
});

/** SMTP's code for a temporary failure (§2.2 Auth-Error-Code, §2.6). */
export const TEMP_FAIL_SMTP_CODE = '451 4.3.0';

/**
 * §2.2: SMTP reply code and enhanced status. The enhanced class must equal the reply's first
 * digit (RFC 3463 §2), and encodeFail further ties 4 to temporary and 5 to permanent.
 */
const SMTP_CODE = /^([245])\d\d \1\.\d{1,3}\.\d{1,3}$/;

const STATUS_LINE = 'HTTP/1.0 200 OK\r\n';

export interface CheckedReply {
  bytes: Buffer;
  /** Set when the decision broke a rule and `bytes` is the temporary failure instead; no secrets. */
  fallback?: string;
}

/** The reply bytes for `decision`, or the fixed temporary failure if it cannot be sent as is. */
export function encodeReply(decision: AuthDecision, protocol: Protocol): Buffer {
  return encodeReplyChecked(decision, protocol).bytes;
}

/**
 * Given the request's `method`, an IMAP/POP3 OK must carry Auth-Pass where the client's password
 * cannot be reused (§2.2: apop, cram-md5, external; nginx would fail with "did not send
 * password"). plain reuses the client's; the bearer methods' proxy passes the client's token on.
 */
const NEEDS_PASS: ReadonlySet<Method> = new Set<Method>(['apop', 'cram-md5', 'external']);

export function encodeReplyChecked(decision: AuthDecision, protocol: Protocol, method?: Method): CheckedReply {
  try {
    if (!(PROTOCOLS as readonly unknown[]).includes(protocol)) return fallback(protocol, 'unknown protocol');
    if (method && NEEDS_PASS.has(method) && protocol !== 'smtp' && decision?.kind === 'ok' && decision.pass === undefined) {
      return fallback(protocol, `ok without pass after ${method}: nginx needs Auth-Pass for ${protocol}`);
    }
    const lines = headerLines(decision, protocol);
    if (typeof lines === 'string') return fallback(protocol, lines);
    const bytes = Buffer.from(`${STATUS_LINE}${lines.map((l) => `${l}\r\n`).join('')}\r\n`, 'utf8');
    if (bytes.length >= MAX_REPLY_BYTES) {
      return fallback(protocol, `reply would be ${bytes.length} bytes; nginx reads under ${MAX_REPLY_BYTES}`);
    }
    return { bytes };
  } catch (err) {
    return fallback(protocol, `internal: ${err instanceof Error ? err.message : 'non-Error thrown'}`);
  }
}

/**
 * The fixed temporary failure: no Auth-Wait, so nginx shows it and closes (§2.3). An unknown
 * protocol gets the SMTP form, whose Auth-Error-Code IMAP and POP3 ignore.
 */
export function tempFailReply(protocol: Protocol): Buffer {
  const p: Protocol = (PROTOCOLS as readonly unknown[]).includes(protocol) ? protocol : 'smtp';
  const code = p === 'smtp' ? `Auth-Error-Code: ${TEMP_FAIL_SMTP_CODE}\r\n` : '';
  return Buffer.from(`${STATUS_LINE}Auth-Status: ${TEMP_FAIL_STATUS[p]}\r\n${code}\r\n`, 'utf8');
}

/**
 * For callers that may not ask (wrong network, no shared secret): no Auth-* header at all, so
 * nginx answers its internal error (§1.6 "did not send server or port") and learns nothing.
 */
export function forbiddenReply(): Buffer {
  return Buffer.from('HTTP/1.0 403 Forbidden\r\n\r\n', 'latin1');
}

function fallback(protocol: Protocol, reason: string): CheckedReply {
  return { bytes: tempFailReply(protocol), fallback: reason };
}

/** The Auth-* lines, or why they cannot be sent. Checks run on runtime values: callers may be JS. */
function headerLines(d: AuthDecision, protocol: Protocol): string[] | string {
  if (typeof d !== 'object' || d === null) return 'decision is not an object';
  switch (d.kind) {
    case 'ok':
      return encodeOk(d);
    case 'fail':
      return encodeFail(d, protocol);
    case 'wait':
      // §2.4: WAIT without a positive Auth-Wait makes nginx re-ask in a tight loop forever.
      if (!isWait(d.wait)) return `wait.wait must be an integer 1..${MAX_WAIT_SECONDS}`;
      return ['Auth-Status: WAIT', `Auth-Wait: ${d.wait}`];
    default:
      return 'unknown decision kind';
  }
}

function encodeOk(d: Extract<AuthDecision, { kind: 'ok' }>): string[] | string {
  // §2.2 Auth-Server: ngx_parse_addr takes IPv4 dotted or IPv6 without brackets or zone; no DNS.
  if (typeof d.server !== 'string' || isIP(d.server) === 0 || d.server.includes('%')) {
    return 'ok.server is not an IP literal (IPv6 without brackets)';
  }
  // §2.2 Auth-Port: ngx_atoi, 1..65535.
  if (typeof d.port !== 'number' || !Number.isInteger(d.port) || d.port < 1 || d.port > 65535) {
    return 'ok.port is not an integer 1..65535';
  }
  const lines = ['Auth-Status: OK', `Auth-Server: ${d.server}`, `Auth-Port: ${d.port}`];
  if (d.user !== undefined) {
    // §5.3: an empty Auth-User is meaningful (it clears a stale XCLIENT LOGIN on 1.22.1).
    const bad = valueProblem(d.user, true);
    if (bad) return `ok.user ${bad}`;
    lines.push(d.user === '' ? 'Auth-User:' : `Auth-User: ${d.user}`);
  }
  if (d.pass !== undefined) {
    // Empty is refused: it cannot log in to a backend; omit pass to reuse the client's (§2.2).
    const bad = valueProblem(d.pass, false);
    if (bad) return `ok.pass ${bad}`;
    lines.push(`Auth-Pass: ${d.pass}`);
  }
  return lines;
}

function encodeFail(d: Extract<AuthDecision, { kind: 'fail' }>, protocol: Protocol): string[] | string {
  if (typeof d.temporary !== 'boolean') return 'fail.temporary is not a boolean';
  // §2.2: only exact `OK` / `WAIT` are special, and nginx trims surrounding spaces first, so a
  // padded "OK " would be a success; an empty status is a success for SMTP.
  const bad = valueProblem(d.message, false);
  if (bad) return `fail.message ${bad}`;
  if (d.message === 'OK' || d.message === 'WAIT') return 'fail.message is a reserved status';
  const lines = [`Auth-Status: ${d.message}`];
  if (d.wait !== undefined) {
    if (!isWait(d.wait)) return `fail.wait must be an integer 1..${MAX_WAIT_SECONDS}`;
    lines.push(`Auth-Wait: ${d.wait}`);
  }
  // §2.2: Auth-Error-Code is read for SMTP only; without it nginx says 535 5.7.0.
  if (protocol === 'smtp') {
    const code = d.smtpCode ?? (d.temporary ? TEMP_FAIL_SMTP_CODE : undefined);
    if (code !== undefined) {
      const m = typeof code === 'string' ? SMTP_CODE.exec(code) : null;
      if (!m) return 'fail.smtpCode is not like "535 5.7.8"';
      // A temporary failure with a 5xx (or the reverse, or any 2xx) would mislead the client.
      if (m[1] !== (d.temporary ? '4' : '5')) return 'fail.smtpCode class does not match fail.temporary';
      lines.push(`Auth-Error-Code: ${code}`);
    }
  }
  return lines;
}

/**
 * Why `v` cannot be a reply value, or undefined. nginx sends values verbatim (§2.1: no
 * decoding) after trimming spaces, so: no control characters (they would end the line or
 * reach POP3/XCLIENT raw, §5.6), no surrounding spaces, and well-formed UTF-16 so the UTF-8
 * bytes are the text meant. Size is checked once on the whole reply.
 */
function valueProblem(v: unknown, allowEmpty: boolean): string | undefined {
  if (typeof v !== 'string') return 'is not a string';
  if (v === '') return allowEmpty ? undefined : 'is empty';
  if (hasControlChar(v)) return 'contains a control character';
  if (v.startsWith(' ') || v.endsWith(' ')) return 'has leading or trailing spaces';
  if (hasLoneSurrogate(v)) return 'is not well-formed Unicode';
  return undefined;
}

function isWait(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= MAX_WAIT_SECONDS;
}
