/**
 * How a failed OAUTHBEARER or XOAUTH2 login is told (Postern's additions; nginx has neither), the
 * same in IMAP, POP3 and SMTP. RFC 7628 §3.2.2: the server sends the error as a challenge, base64
 * of a JSON status; the client answers with a lone %x01 (`AQ==`) or aborts (§3.2.3), and only then
 * comes the failure reply; §4.1's SMTP example ends with `535 5.7.8`. Google's XOAUTH2 does the
 * same with an HTTP-like status and expects an empty line. Whatever the client's line holds, the
 * failure reply follows it. The failure line itself is unchanged (the auth server's message, and
 * Auth-Error-Code for SMTP), so only the challenge and the wait for the answer are added here.
 */
import { isBearerMethod, type AuthReply, type LoginAttempt } from '../authclient/index.js';
import { challengeLine, encodeBase64, type Protocol } from '../sasl/index.js';
import type { BearerMechanism, SessionAction } from './session.js';

/** RFC 7628's `invalid_token` (the IANA OAuth error registry); Google's XOAUTH2 sends `401`. */
const ERROR_STATUS = {
  oauthbearer: { status: 'invalid_token', schemes: 'bearer' },
  xoauth2: { status: '401', schemes: 'bearer' },
} as const;

/** `+ <base64 JSON>` (IMAP, POP3) or `334 <base64 JSON>` (SMTP), CRLF. */
export function bearerErrorChallenge(protocol: Protocol, mechanism: BearerMechanism): Buffer {
  return challengeLine(protocol, encodeBase64(Buffer.from(JSON.stringify(ERROR_STATUS[mechanism]), 'utf8')));
}

export interface ToldFailure {
  /** Run now: what came before the failure line (the log line, the Auth-Wait sleep), then the error challenge. */
  now: SessionAction[];
  /**
   * Run once the client's next line arrived, whatever it holds: the failure line and what follows
   * it (`close` without Auth-Wait). null: not a bearer failure, `now` is the actions unchanged.
   */
  afterAnswer: SessionAction[] | null;
}

/** `actions`: authOutcome's for `reply` to `attempt` (log, sleep, failure line, close). */
export function tellFailure(reply: AuthReply, attempt: LoginAttempt, actions: SessionAction[]): ToldFailure {
  const { method } = attempt;
  const told = actions.findIndex((a) => a.kind === 'write');
  if (reply.kind !== 'fail' || !isBearerMethod(method) || told < 0) return { now: actions, afterAnswer: null };
  return { now: [...actions.slice(0, told), { kind: 'write', bytes: bearerErrorChallenge(attempt.protocol, method) }], afterAnswer: actions.slice(told) };
}
