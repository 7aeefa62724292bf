/**
 * What an SMTP session does once the auth server said OK (nginx-auth-http.md §3.4): the `proxy`
 * action with the backend dialogue of src/mailproxy/backend/smtp.ts, built from the credentials
 * after the reply (Auth-User/Auth-Pass, else the client's) and what the client said: its HELO
 * replayed, XCLIENT with its address, host name and (without backend AUTH) non-empty login, AUTH
 * when the operator asks for it (with the password, or for a bearer login without Auth-Pass the
 * client's token, ../auth-outcome.ts), or for `smtp_auth none` the MAIL and RCPT lines to replay.
 */
import { internalErrorLine } from '../../authclient/index.js';
import type { AuthOutcome } from '../auth-outcome.js';
import { smtpBackendSetup } from '../backend/index.js';
import type { SessionAction, SmtpSettings } from '../session.js';

export interface SmtpLoginContext {
  serverName: string;
  clientIp: string;
  /** `Client-Host`: the XCLIENT NAME. */
  clientHost: string;
  /** The HELO/EHLO argument, if the client sent one since the last STARTTLS. */
  helo: Buffer | null;
  /** nginx's s->esmtp: the client said EHLO at some point, so the replay is EHLO. */
  esmtp: boolean;
  /** `smtp_auth none`: the MAIL and first RCPT lines, verbatim. */
  envelope: { mailFrom: Buffer; rcptTo: Buffer } | null;
  /** Bytes the client sent after the login command, for the backend. */
  pipelined: Buffer;
}

export function proxyAction(ok: Extract<AuthOutcome, { kind: 'proxy' }>, settings: Pick<SmtpSettings, 'xclient' | 'backendAuth'>, ctx: SmtpLoginContext): SessionAction[] {
  const internalError = internalErrorLine('smtp');
  // nginx replays the envelope for `none` and never sends AUTH then (ngx_smtp_helo_from).
  const backendAuth = settings.backendAuth && ctx.envelope === null;
  if (backendAuth && ok.password === undefined && !ok.token) {
    // nginx logs "no password available" after its EHLO and XCLIENT; the client sees the same.
    return [{ kind: 'log', level: 'warn', message: 'no password available for AUTH to the backend' }, { kind: 'write', bytes: internalError }, { kind: 'close' }];
  }
  const dialogue = smtpBackendSetup({
    serverName: ctx.serverName,
    clientHelo: ctx.helo ? { verb: ctx.esmtp ? 'EHLO' : 'HELO', name: ctx.helo.toString('latin1') } : null,
    // §3.4: LOGIN= only when the login is non-empty and proxy_smtp_auth is off.
    xclient: settings.xclient ? { addr: ctx.clientIp, name: ctx.clientHost, login: !settings.backendAuth && ok.login.length > 0 ? ok.login : null } : null,
    auth: !backendAuth ? null : ok.token ? { user: ok.login, ...ok.token } : ok.password !== undefined ? { user: ok.login, pass: ok.password } : null,
    envelope: ctx.envelope ? { mailFrom: ctx.envelope.mailFrom.toString('latin1'), rcptTo: ctx.envelope.rcptTo.toString('latin1') } : null,
  });
  return [{ kind: 'proxy', server: ok.server, port: ok.port, family: ok.family, dialogue, pipelined: ctx.pipelined, internalError }];
}
