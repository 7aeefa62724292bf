/**
 * What a session does with the auth server's conclusion, the same for IMAP, POP3 and SMTP
 * (nginx-auth-http.md §2.3, §2.4, §6.7): proxy, log and show the failure after Auth-Wait and
 * carry on, log and show it and close, ask again after WAIT, or fail with the internal error.
 * Only the bytes differ per protocol (the IMAP tag, the SMTP code), and those come from
 * src/authclient. A failed bearer login is then told RFC 7628's way by bearer-error.ts.
 */
import { failureLine, internalErrorLine, isBearerMethod, type AuthReply, type LoginAttempt } from '../authclient/index.js';
import { MAX_WAIT_RETRIES, WAIT_MIN_SECONDS, type BearerMechanism, type SessionAction } from './session.js';

export interface PendingAttempt {
  /** The request as last sent; a WAIT re-query resends it with the reply's credentials. */
  attempt: LoginAttempt;
  /** WAIT re-queries so far for this attempt. */
  waits: number;
  /** IMAP: the tag of the LOGIN/AUTHENTICATE command, for `<tag> NO ...`. */
  imapTag?: string;
}

/** A bearer login's token, passed on to the backend with the reply's login as the authorization identity. */
export interface PassedToken {
  mechanism: BearerMechanism;
  token: Buffer;
}

export type AuthOutcome =
  /**
   * Log in at the backend with these credentials (the protocol builds its dialogue). `token`:
   * the attempt was OAUTHBEARER/XOAUTH2 and the reply named no password, so the client's token
   * goes on; with Auth-Pass a bearer login is a password login like any other.
   */
  | { kind: 'proxy'; server: string; port: number; family: 4 | 6; login: Buffer; password: Buffer | undefined; token?: PassedToken }
  /** Run `actions` (the log line, the sleep, the failure line), then go on reading the client's commands. */
  | { kind: 'continue'; actions: SessionAction[] }
  /** Run `actions` and stop: they end with `close` or with a re-query (`auth`). */
  | { kind: 'final'; actions: SessionAction[]; next: PendingAttempt | null };

export function authOutcome(reply: AuthReply, pending: PendingAttempt): AuthOutcome {
  const { protocol } = pending.attempt;
  switch (reply.kind) {
    case 'ok': {
      const { method, pass } = pending.attempt;
      const token = isBearerMethod(method) && reply.password === undefined && pass !== undefined ? { mechanism: method, token: Buffer.from(pass) } : undefined;
      return { kind: 'proxy', server: reply.server, port: reply.port, family: reply.family, login: reply.login, password: reply.password, ...(token ? { token } : {}) };
    }
    case 'fail': {
      // nginx logs `client login failed: "<Auth-Status>"` at info level before anything else (§2.3).
      const logged: SessionAction[] = reply.log ? [{ kind: 'log', level: 'info', message: reply.log }] : [];
      const line: SessionAction = { kind: 'write', bytes: failureLine(protocol, reply, pending.imapTag) };
      // §2.3 step 1: without Auth-Wait nginx shows the error and closes.
      if (reply.waitSeconds <= 0) return { kind: 'final', actions: [...logged, line, { kind: 'close' }], next: null };
      return { kind: 'continue', actions: [...logged, { kind: 'sleep', seconds: reply.waitSeconds }, line] };
    }
    case 'wait': {
      // §2.4: nginx re-asks at once and forever without a positive Auth-Wait; Postern waits at
      // least a second and gives up after MAX_WAIT_RETRIES (docs/mail-proxy.md).
      if (pending.waits >= MAX_WAIT_RETRIES) {
        return { kind: 'final', actions: [{ kind: 'log', level: 'warn', message: `auth server answered WAIT ${pending.waits} times; giving up` }, ...internalError(pending)], next: null };
      }
      // A bearer re-query sends the client's token again: the reply's password (none, or an
      // Auth-Pass for the backend) is not what the auth server judges.
      const pass = isBearerMethod(pending.attempt.method) ? pending.attempt.pass : reply.password;
      const attempt: LoginAttempt = { ...pending.attempt, user: reply.login, pass };
      const next: PendingAttempt = { ...pending, attempt, waits: pending.waits + 1 };
      return { kind: 'final', actions: [{ kind: 'sleep', seconds: Math.max(WAIT_MIN_SECONDS, reply.waitSeconds) }, { kind: 'auth', attempt }], next };
    }
    case 'error':
      return { kind: 'final', actions: [...(reply.log ? [{ kind: 'log', level: 'warn', message: reply.log } as const] : []), ...internalError(pending)], next: null };
  }
}

function internalError(pending: PendingAttempt): SessionAction[] {
  return [{ kind: 'write', bytes: internalErrorLine(pending.attempt.protocol) }, { kind: 'close' }];
}
