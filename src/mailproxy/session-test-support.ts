/**
 * Shared by the IMAP, POP3 and SMTP session tests: a fixed SessionEnv (so the salt is always
 * SALT), the connection facts, the auth server's conclusions, and `show`, which renders actions
 * as plain values (writes as their text, byte fields as latin1) so a whole exchange reads like
 * the wire in one assertion. Each protocol's session-fixture.ts adds its settings and opener.
 */
import type { AuthReply, LoginAttempt } from '../authclient/index.js';
import type { BackendDialogue } from './backend/index.js';
import type { ClientSession, ConnectionFacts, SessionAction, SessionEnv } from './session.js';

export const SALT = '<337361947.1795432836@mail.test>';
export const FACTS: ConnectionFacts = { clientIp: '192.0.2.7' };
export const TLS = { protocol: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256' };

/** A fixed env; `randomCalls` counts the salts made. */
export function fixedEnv(): SessionEnv & { randomCalls: number } {
  const env = {
    serverName: 'mail.test',
    randomCalls: 0,
    random: () => {
      env.randomCalls++;
      return 337361947;
    },
    unixTime: () => 1795432836,
  };
  return env;
}

export const b = (s: string): Buffer => Buffer.from(s, 'latin1');
export const b64 = (s: string): string => b(s).toString('base64');

/**
 * A protocol's test kit: `settings(over)` (the defaults with some changed), `open(over, facts,
 * env)` (a session past its greeting) and `reply` (conclusions naming a backend at `backend`).
 */
export function sessionFixture<S extends object>(sessions: (settings: S, env: SessionEnv) => (facts: ConnectionFacts) => ClientSession, defaults: S, backend: { server: string; port: number }) {
  const settings = (over: Partial<S> = {}): S => ({ ...defaults, ...over });
  const open = (over: Partial<S> = {}, facts: ConnectionFacts = FACTS, env: SessionEnv = fixedEnv()): ClientSession => {
    const session = sessions(settings(over), env)(facts);
    session.start();
    return session;
  };
  return { settings, open, reply: authReplies(backend) };
}

export type Shown =
  | string
  | { auth: Record<string, unknown> }
  | { proxy: string; family: 4 | 6; pipelined: string; internalError: string }
  | { info: string }
  | { warn: string }
  | { sleep: number };

/** Writes as text; `close` and `starttls` as `<close>` and `<starttls>`; logs by level. */
export function show(actions: SessionAction[]): Shown[] {
  return actions.map((a): Shown => {
    switch (a.kind) {
      case 'write':
        return a.bytes.toString('latin1');
      case 'auth':
        return { auth: showAttempt(a.attempt) };
      case 'proxy':
        return { proxy: `${a.server}:${a.port}`, family: a.family, pipelined: a.pipelined.toString('latin1'), internalError: a.internalError.toString('latin1') };
      case 'log':
        return a.level === 'info' ? { info: a.message } : { warn: a.message };
      case 'sleep':
        return { sleep: a.seconds };
      default:
        return `<${a.kind}>`;
    }
  });
}

/** The attempt with its byte fields as text. */
export function showAttempt(attempt: LoginAttempt): Record<string, unknown> {
  const text = (bytes: Uint8Array | undefined) => (bytes === undefined ? undefined : Buffer.from(bytes).toString('latin1'));
  const shown: Record<string, unknown> = { ...attempt, user: text(attempt.user) };
  if (attempt.pass !== undefined) shown.pass = text(attempt.pass);
  if (attempt.smtp) shown.smtp = { helo: text(attempt.smtp.helo), from: text(attempt.smtp.from), to: text(attempt.smtp.to) };
  return shown;
}

/** Client text in (one chunk), actions shown. */
export function send(session: ClientSession, text: string): Shown[] {
  return show(session.onData(b(text)));
}

export function theAttempt(actions: SessionAction[]): LoginAttempt {
  const ask = actions.find((a) => a.kind === 'auth');
  if (ask?.kind !== 'auth') throw new Error(`no auth action in ${JSON.stringify(show(actions))}`);
  return ask.attempt;
}

export function theDialogue(actions: SessionAction[]): BackendDialogue {
  const proxy = actions.find((a) => a.kind === 'proxy');
  if (proxy?.kind !== 'proxy') throw new Error(`no proxy action in ${JSON.stringify(show(actions))}`);
  return proxy.dialogue;
}

/** Plays backend lines into a dialogue: what was sent to the backend, and what the client gets at the end. */
export function talk(dialogue: BackendDialogue, lines: string[]): { sent: string; toClient: string | null } {
  let sent = '';
  let toClient: string | null = null;
  for (const line of lines) {
    const step = dialogue.onLine(b(line));
    if (step.kind === 'send') sent += step.bytes.toString('latin1');
    if (step.kind === 'done') toClient = step.toClient.toString('latin1');
    if (step.kind === 'refused') throw new Error(`backend refused: ${step.detail}`);
  }
  return { sent, toClient };
}

export interface FailureExtras {
  /** SMTP's Auth-Error-Code; without it the failure line has `535 5.7.0`. */
  smtpCode?: string;
  /** The credentials the reply leaves in the session (§2.3): a later attempt must not use them. */
  login?: string;
  password?: string;
}

/** The auth server's conclusions, as readAuthReply gives them, for a backend at `server:port`. */
export function authReplies(backend: { server: string; port: number }) {
  return {
    /** `password` null: the reply gave none and the session had none (EXTERNAL, SMTP `none`). */
    ok: (login = 'bob', password: string | null = 'pw'): Extract<AuthReply, { kind: 'ok' }> => ({ kind: 'ok', ...backend, family: 4, login: b(login), password: password === null ? undefined : b(password) }),
    fail: (waitSeconds: number, message = 'Invalid login or password', extras: FailureExtras = {}): AuthReply => ({
      kind: 'fail',
      message: b(message),
      waitSeconds,
      ...(extras.smtpCode === undefined ? {} : { smtpCode: b(extras.smtpCode) }),
      log: `client login failed: "${message}"`,
      login: b(extras.login ?? 'stale'),
      password: b(extras.password ?? 'stalepw'),
    }),
    wait: (waitSeconds: number, login = 'waited', password: string | null = 'waitpw'): AuthReply => ({ kind: 'wait', waitSeconds, login: b(login), password: password === null ? undefined : b(password) }),
    error: (log = 'auth http server 127.0.0.1:9000 timed out'): AuthReply => ({ kind: 'error', code: 'timeout', log }),
  };
}
