/**
 * What nginx concludes from an auth server's reply (`ngx_mail_auth_http_process_headers` and
 * `ngx_mail_auth_sleep_handler`, nginx-auth-http.md §1.6, §2.2-§2.4), and the bytes the client
 * then sees (§2.6). Every header is applied in order as nginx does, so any auth server written
 * for nginx gets the answer nginx would give. The status code and the body are ignored (§1.6).
 */
import type { Protocol } from '../authhttp/index.js';
import { parseNginxAddr } from './address.js';
import { REPLY_BUFFER_BYTES, scanReplyHead, type ReplyHeader } from './reply-head.js';

export interface ReplyContext {
  protocol: Protocol;
  /** `s->login` when the request went out (LoginAttempt.user). */
  login: Uint8Array;
  /** `s->passwd` after the request was built (EncodedRequest.sessionPass); `undefined` is nginx's NULL. */
  password: Uint8Array | undefined;
  /**
   * The attempt was OAUTHBEARER or XOAUTH2 (Postern's additions, src/sasl/oauthbearer.ts). Its
   * success needs no `Auth-Pass` in IMAP and POP3 either: without one the proxy passes the
   * client's token on to the backend; with one it logs in with Auth-User/Auth-Pass as usual.
   * Every other method keeps nginx's rule (§2.2).
   */
  bearer?: boolean;
  /** The auth server's name for log lines, as nginx's `ctx->peer.name` (e.g. `127.0.0.1:9000`). */
  peer: string;
  /**
   * nginx's sticky `s->auth_wait`: still set when the previous reply was WAIT without a positive
   * Auth-Wait (the §2.4 infinite-loop bug); then every reply that is not a failure reads as WAIT.
   * Postern's proxy passes false and clamps instead (docs/mail-proxy.md).
   */
  waitPending?: boolean;
}

export type AuthReplyErrorCode =
  | 'connect-failed'
  | 'timeout'
  | 'closed-early'
  | 'too-large'
  | 'bad-status-line'
  | 'bad-header'
  | 'no-server-or-port'
  | 'no-password'
  | 'bad-server'
  | 'bad-port';

/**
 * `login`/`password` in every non-error outcome are the session's credentials after the reply:
 * nginx stores `Auth-User`/`Auth-Pass` whatever the status (§2.2), so a WAIT re-query, a later
 * EXTERNAL (which sets no password) or SMTP `none` (1.22 keeps stale credentials) is built from them.
 */
export type AuthReply =
  /**
   * Proxy to `server:port` and log in there with `login`/`password` (§2.3 step 3, §3). No
   * `password`: SMTP (XCLIENT, or no login at all), or a bearer attempt (ReplyContext.bearer)
   * whose client token goes on to the backend.
   */
  | { kind: 'ok'; server: string; family: 4 | 6; port: number; login: Buffer; password: Buffer | undefined }
  /**
   * Show the failure line (failureLine) after `waitSeconds`, then let the client try again; with
   * `waitSeconds` 0 show it at once and close (§2.3 step 1). `smtpCode` is set for SMTP only.
   */
  | { kind: 'fail'; message: Buffer; waitSeconds: number; smtpCode?: Buffer; log: string; login: Buffer; password: Buffer | undefined }
  /**
   * Ask again after `waitSeconds`, same Auth-Login-Attempt, client told nothing (§2.4). With 0
   * nginx asks at once and keeps `s->auth_wait` set (ReplyContext.waitPending). `discardedFailure`:
   * the reply also failed, but nginx's sleep handler checks `s->auth_wait` first, so the failure
   * line is never sent (found in the source, not seen on the wire).
   */
  | { kind: 'wait'; waitSeconds: number; login: Buffer; password: Buffer | undefined; discardedFailure?: Buffer }
  /**
   * Fatal (§1.6): the client gets internalErrorLine and the connection closes. `log` is what nginx
   * logs at error level; absent where it logs nothing there (EOF, a full buffer).
   */
  | { kind: 'error'; code: AuthReplyErrorCode; log?: string };

/** `ngx_mail_smtp_errcode`: the SMTP failure code when the reply gives none (§2.2 Auth-Error-Code). */
export const DEFAULT_SMTP_ERROR_CODE = '535 5.7.0';

/**
 * Reads what has arrived so far. `eof`: the auth server closed its side. Returns `incomplete`
 * until the empty line ends the head; nginx acts then, without waiting for EOF (§1.1).
 */
export function readAuthReply(received: Buffer, eof: boolean, ctx: ReplyContext): AuthReply | { kind: 'incomplete' } {
  const scan = scanReplyHead(received);
  switch (scan.kind) {
    case 'incomplete':
      // §1.6: a full 1024-byte buffer makes recv() read 0 bytes, which nginx treats as EOF.
      if (received.length >= REPLY_BUFFER_BYTES) return { kind: 'error', code: 'too-large' };
      return eof ? { kind: 'error', code: 'closed-early' } : { kind: 'incomplete' };
    case 'bad-status-line':
      return { kind: 'error', code: 'bad-status-line', log: `auth http server ${ctx.peer} sent invalid response` };
    case 'bad-header':
      return { kind: 'error', code: 'bad-header', log: `auth http server ${ctx.peer} sent invalid header in response` };
    case 'done':
      return decide(scan.headers, ctx);
  }
}

/**
 * The failures that happen before any reply (§1.6), in nginx's log words (without the errno;
 * a refused non-blocking connect shows in nginx's log as `recv() failed (111: ...)`).
 */
export function transportError(code: 'connect-failed' | 'timeout', peer: string): AuthReply {
  return code === 'timeout'
    ? { kind: 'error', code, log: `auth http server ${peer} timed out` }
    : { kind: 'error', code, log: `connect() to ${peer} failed while in http auth state` };
}

/** §2.2 and §2.3: headers applied in order, then error, else WAIT, else success. */
function decide(headers: ReplyHeader[], ctx: ReplyContext): AuthReply {
  let failed = false; // nginx's `ctx->err.len != 0`
  let message: Buffer = Buffer.alloc(0);
  let wait = ctx.waitPending ?? false;
  let sleep = 0;
  let addr: Buffer | undefined;
  let port: Buffer | undefined;
  let errcode: Buffer | undefined;
  let login: Buffer = Buffer.from(ctx.login);
  let password: Buffer | undefined = ctx.password === undefined ? undefined : Buffer.from(ctx.password);

  for (const { name, value } of headers) {
    switch (name.toString('latin1').toLowerCase()) {
      case 'auth-status': {
        const v = value.toString('latin1');
        // Case-sensitive: `ok` is a failure whose message is "ok" (§2.2). OK never clears a failure.
        if (v === 'OK') break;
        if (v === 'WAIT') {
          wait = true;
          break;
        }
        message = value;
        // IMAP/POP3 build the whole line at once, so even an empty message fails; SMTP keeps only
        // the message, and an empty one reads as "no failure" (§2.2).
        failed = ctx.protocol !== 'smtp' || value.length > 0;
        break;
      }
      case 'auth-server':
        addr = value;
        break;
      case 'auth-port':
        port = value;
        break;
      case 'auth-user':
        login = value;
        break;
      case 'auth-pass':
        password = value;
        break;
      case 'auth-wait': {
        // Not a number: ignored, so an earlier Auth-Wait stands (§2.2).
        const n = ngxAtoi(value);
        if (n !== undefined) sleep = n;
        break;
      }
      case 'auth-error-code':
        errcode = value;
        break;
      // Anything else is ignored (§2.2).
    }
  }

  if (failed) {
    // The sleep handler re-queries instead of answering while `s->auth_wait` is set.
    if (wait && sleep > 0) return { kind: 'wait', waitSeconds: sleep, login, password, discardedFailure: message };
    const smtpCode = ctx.protocol === 'smtp' ? (errcode !== undefined && errcode.length > 0 ? errcode : Buffer.from(DEFAULT_SMTP_ERROR_CODE)) : undefined;
    const log = `client login failed: "${message.toString('latin1')}"`;
    return { kind: 'fail', message, waitSeconds: sleep, ...(smtpCode ? { smtpCode } : {}), log, login, password };
  }
  if (wait) return { kind: 'wait', waitSeconds: sleep, login, password };

  // §1.6: checked in this order, so a reply missing both a port and a password logs the port.
  if (!addr?.length || !port?.length) {
    return { kind: 'error', code: 'no-server-or-port', log: `auth http server ${ctx.peer} did not send server or port` };
  }
  if (password === undefined && ctx.protocol !== 'smtp' && !ctx.bearer) {
    return { kind: 'error', code: 'no-password', log: `auth http server ${ctx.peer} did not send password` };
  }
  const ip = parseNginxAddr(addr);
  if (ip === undefined) {
    return { kind: 'error', code: 'bad-server', log: `auth http server ${ctx.peer} sent invalid server address:"${addr.toString('latin1')}"` };
  }
  const portNumber = ngxAtoi(port);
  if (portNumber === undefined || portNumber < 1 || portNumber > 65535) {
    return { kind: 'error', code: 'bad-port', log: `auth http server ${ctx.peer} sent invalid server port:"${port.toString('latin1')}"` };
  }
  return { kind: 'ok', server: ip.address, family: ip.family, port: portNumber, login, password };
}

const NGX_MAX_INT_T = 9223372036854775807n;

/** `ngx_atoi`: one or more digits, no sign or space, at most NGX_MAX_INT_T_VALUE (64-bit). */
export function ngxAtoi(value: Uint8Array): number | undefined {
  if (value.length === 0) return undefined;
  for (const c of value) if (c < 0x30 || c > 0x39) return undefined;
  const n = BigInt(Buffer.from(value).toString('latin1'));
  // Above 2^53 the number is approximate; no caller needs such a wait or port exactly.
  return n > NGX_MAX_INT_T ? undefined : Number(n);
}

/**
 * The line the client sees for a failure (§2.3 step 1, §2.6): `-ERR <msg>`, `<tag> NO <msg>`, or
 * `<code> <msg>` (Auth-Error-Code or 535 5.7.0), CRLF. The message goes as received: raw bytes,
 * no decoding (§2.1). For SMTP `none` it is the reply to RCPT TO.
 */
export function failureLine(protocol: Protocol, fail: { message: Uint8Array; smtpCode?: Uint8Array }, imapTag: string = ''): Buffer {
  let prefix: string | Uint8Array;
  if (protocol === 'pop3') prefix = '-ERR ';
  // nginx's s->tag carries its trailing space; an empty tag gives a bare "NO ".
  else if (protocol === 'imap') prefix = imapTag ? `${imapTag} NO ` : 'NO ';
  else prefix = Buffer.concat([fail.smtpCode?.length ? fail.smtpCode : Buffer.from(DEFAULT_SMTP_ERROR_CODE), Buffer.from(' ')]);
  return Buffer.concat([typeof prefix === 'string' ? Buffer.from(prefix, 'latin1') : prefix, fail.message, CRLF]);
}

const CRLF = Buffer.from('\r\n');

/** `ngx_mail_session_internal_server_error` (§1.6): sent, then the connection closes. IMAP's is untagged. */
const INTERNAL_ERROR: Record<Protocol, string> = {
  imap: '* BAD internal server error\r\n',
  pop3: '-ERR internal server error\r\n',
  smtp: '451 4.3.2 Internal server error\r\n',
};

export function internalErrorLine(protocol: Protocol): Buffer {
  return Buffer.from(INTERNAL_ERROR[protocol], 'latin1');
}
