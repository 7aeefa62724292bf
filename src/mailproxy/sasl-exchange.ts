/**
 * One SASL exchange after IMAP `AUTHENTICATE` or POP3/SMTP `AUTH <mechanism> [initial-response]`,
 * as ngx_mail_auth_parse, the protocols' authenticate handlers and the ngx_mail_auth_* functions
 * run it (nginx-auth-http.md §4.1, §4.3): which mechanisms pass the gate, which challenge to send
 * (`+ ` or `334 `, src/sasl/challenge.ts), what each answer means, and the login it ends with.
 * Decoding is src/sasl's; this only sequences it, the same for the three protocols.
 *
 * The gate: PLAIN and LOGIN are always accepted; CRAM-MD5, EXTERNAL, OAUTHBEARER and XOAUTH2
 * only when the protocol's `auth` setting lists them (the bearer ones are Postern's additions,
 * unknown mechanisms to nginx, so they stay unknown here when not listed). nginx checks EXTERNAL's
 * only without an initial response (ngx_mail_auth_parse decodes `AUTH EXTERNAL <b64>` itself and
 * returns NGX_DONE); Postern refuses both when external is not enabled.
 */
import { authMethodFor, isBearerMethod, type AuthMethod } from '../authclient/index.js';
import {
  challengeLine,
  decodeCramMd5Response,
  decodeExternal,
  decodeLoginPassword,
  decodeLoginUsername,
  decodeOauthBearer,
  decodePlain,
  decodeXoauth2,
  firstChallenge,
  formatSalt,
  LOGIN_PASSWORD_CHALLENGE,
  parseAuthCommand,
  type BearerLogin,
  type Protocol,
  type SaslMechanism,
  type SaslResult,
} from '../sasl/index.js';
import type { BearerMechanism, SessionEnv } from './session.js';

/** What the next client line answers. `login-password` carries the username already given. */
export type SaslStep =
  | { awaiting: 'login-username' }
  | { awaiting: 'login-password'; user: Buffer }
  | { awaiting: Exclude<SaslMechanism, 'login'> };

/** A finished exchange: what goes to the auth server. */
export interface SaslLogin {
  method: AuthMethod;
  user: Buffer;
  /** Undefined for EXTERNAL: a fresh session's NULL password, never an earlier reply's (docs/mail-proxy.md). */
  pass: Buffer | undefined;
}

export type SaslOutcome =
  /** Send `line` and read the next client line as the answer to `step`. */
  | { kind: 'challenge'; line: Buffer; step: SaslStep }
  /** The exchange is complete: ask the auth server. */
  | { kind: 'login'; login: SaslLogin }
  /**
   * The protocol's invalid-command reply, the exchange over (not counted in max_errors).
   * `noMechanism`: the command had no argument (SMTP answers `501 5.5.4 Invalid argument`).
   * `log`: nginx's info line, never credential bytes.
   */
  | { kind: 'refused'; noMechanism?: true; log?: string };

export interface SaslOptions {
  /** The protocol's `auth` setting: CRAM-MD5, EXTERNAL (§4.1) and the bearer mechanisms are accepted only when listed. */
  auth: readonly string[];
  /** The session's salt, for the CRAM-MD5 challenge: made at its first call and kept (§4.3). */
  salt(): string;
}

/** nginx's salt (`ngx_mail_salt`) from the session's injected clock and randomness. */
export function makeSalt(env: SessionEnv): string {
  return formatSalt({ random: env.random(), unixTime: env.unixTime(), serverName: env.serverName });
}

/** The command's arguments, mechanism name first: the first challenge, at once the login, or a refusal. */
export function startSasl(protocol: Protocol, args: readonly Buffer[], options: SaslOptions): SaslOutcome {
  const parsed = parseAuthCommand(args, { bearer: options.auth.some(isBearerMethod) });
  if (!parsed.ok) return parsed.error.code === 'no-mechanism' ? { kind: 'refused', noMechanism: true } : { kind: 'refused' };
  const { mechanism, initial } = parsed.value;
  if (GATED.includes(mechanism) && !options.auth.includes(mechanism)) return { kind: 'refused' };
  const step: SaslStep = mechanism === 'login' ? { awaiting: 'login-username' } : { awaiting: mechanism };
  // An initial response answers the first challenge (parseAuthCommand refuses one for CRAM-MD5).
  if (initial !== undefined) return continueSasl(protocol, step, initial);
  // §4.3: `Username:` for LOGIN and EXTERNAL, the salt for CRAM-MD5, an empty challenge otherwise.
  return { kind: 'challenge', line: challengeLine(protocol, firstChallenge(mechanism, mechanism === 'cram-md5' ? options.salt() : undefined)), step };
}

/** The client's answer to `step` (the response field of its line, without CRLF). */
export function continueSasl(protocol: Protocol, step: SaslStep, response: Buffer): SaslOutcome {
  switch (step.awaiting) {
    case 'login-username':
      return then(decodeLoginUsername(response), (user) => ({ kind: 'challenge', line: challengeLine(protocol, LOGIN_PASSWORD_CHALLENGE), step: { awaiting: 'login-password', user } }));
    case 'login-password':
      return then(decodeLoginPassword(response), (pass) => login('login', step.user, pass));
    case 'plain':
      return then(decodePlain(response), ({ user, pass }) => login('plain', user, pass));
    case 'cram-md5':
      return then(decodeCramMd5Response(response), ({ user, digest }) => login('cram-md5', user, digest));
    case 'external':
      return then(decodeExternal(response), (user) => login('external', user, undefined));
    case 'oauthbearer':
      return bearer('oauthbearer', decodeOauthBearer(response));
    case 'xoauth2':
      return bearer('xoauth2', decodeXoauth2(response));
  }
}

/** The mechanisms accepted only when the `auth` setting lists them. */
const GATED: readonly SaslMechanism[] = ['cram-md5', 'external', 'oauthbearer', 'xoauth2'];

/** Whether `step` waits for a bearer response (POP3 allows those a longer line). */
export function awaitsBearer(step: SaslStep): boolean {
  return isBearerMethod(step.awaiting);
}

function login(mechanism: SaslMechanism, user: Buffer, pass: Buffer | undefined): SaslOutcome {
  return { kind: 'login', login: { method: authMethodFor(mechanism), user, pass } };
}

/** The token goes to the auth server as Auth-Pass (src/sasl/oauthbearer.ts). */
function bearer(mechanism: BearerMechanism, result: SaslResult<BearerLogin>): SaslOutcome {
  if (!result.ok && result.error.code === 'bad-bearer') return { kind: 'refused', log: `client sent invalid ${mechanism.toUpperCase()} data: ${result.error.detail}` };
  return then(result, ({ user, token }) => login(mechanism, user, Buffer.from(token, 'latin1')));
}

function then<T>(result: SaslResult<T>, next: (value: T) => SaslOutcome): SaslOutcome {
  return result.ok ? next(result.value) : { kind: 'refused', log: result.error.detail };
}
