/**
 * How a login attempt reaches the auth server and its conclusion comes back. Both transports
 * (HTTP to any auth_http server, and in-process to Postern's own decision code) run the same
 * pipeline: encodeAuthRequest's bytes in, readAuthReply's conclusion out, so every rule of
 * nginx-auth-http.md §1-§2 applies to both and they answer alike (docs/mail-proxy.md).
 */
import {
  encodeAuthRequest,
  isBearerMethod,
  type AuthHttpTarget,
  type AuthReply,
  type EncodeOptions,
  type LoginAttempt,
  type ReplyContext,
} from '../../authclient/index.js';

export interface AuthTransport {
  /**
   * Never rejects: a transport failure is an `error` reply (the client then gets the internal
   * error). `signal`: the client left, so stop waiting (and free the socket and the timer).
   */
  ask(attempt: LoginAttempt, signal?: AbortSignal): Promise<AuthReply>;
}

/** The reply an abandoned request concludes with; nobody reads it. */
export const ABANDONED: AuthReply = { kind: 'error', code: 'closed-early', log: 'the client left while the auth server was asked' };

export interface PreparedRequest {
  bytes: Buffer;
  /** What readAuthReply needs to judge the reply (the session's login and password after the request). */
  ctx: ReplyContext;
}

/**
 * The request bytes and the reply context, or the error reply when the attempt cannot be
 * encoded (a CR/LF in a raw field: a session's bug, never sent). `peer` names the auth server
 * in log lines, as nginx's `ctx->peer.name`.
 */
export function prepareRequest(attempt: LoginAttempt, target: AuthHttpTarget, peer: string, options: EncodeOptions = {}): PreparedRequest | { reply: AuthReply } {
  const encoded = encodeAuthRequest(attempt, target, options);
  if (!encoded.ok) {
    // The request never left, as when the connect fails: the same fatal outcome for the client.
    return { reply: { kind: 'error', code: 'connect-failed', log: `auth request to ${peer} not sent: ${encoded.error.detail}` } };
  }
  const ctx: ReplyContext = { protocol: attempt.protocol, login: attempt.user, password: encoded.value.sessionPass, peer, bearer: isBearerMethod(attempt.method) };
  return { bytes: encoded.value.bytes, ctx };
}
