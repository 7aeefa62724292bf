/**
 * The SMTP client session before login, as ngx_mail_smtp_handler.c in nginx 1.22.1 runs it
 * (nginx-auth-http.md §4.2, §4.4, §4.5, §3.4): greeting, HELO/EHLO, AUTH with its SASL exchange,
 * MAIL/RCPT under `smtp_auth none`, NOOP, RSET, QUIT, STARTTLS and max_errors, as a pure state
 * machine over the contract in ../session.ts. The shell does sockets, timers and TLS.
 *
 * Where this differs from nginx 1.22, on purpose:
 * - No `smtp_greeting_delay` (nginx's default 0): the greeting goes out at once, so the
 *   `503 5.5.0 Improper use of SMTP command pipelining` path does not exist.
 * - Each attempt starts from clean credentials: an earlier reply's Auth-User/Auth-Pass never
 *   rides along with a later EXTERNAL or `none` (docs/mail-proxy.md, "Stale credentials").
 * - HELO/EHLO, MAIL and RCPT holding a NUL byte are answered `501 5.5.4 Invalid argument`, so a
 *   NUL never reaches an `Auth-SMTP-*` header (docs/mail-proxy.md, "SMTP envelope bytes").
 * - `AUTH EXTERNAL <initial response>` is refused unless `external` is enabled; nginx's gate
 *   is skipped on that path (ngx_mail_auth_parse returns NGX_DONE, not NGX_MAIL_AUTH_EXTERNAL).
 * - The client buffer bounds each line, and a too-long one is not echoed to the log (it may
 *   hold an AUTH PLAIN initial response).
 * - With backend AUTH on and no password, the internal error comes before the backend is dialled
 *   (nginx finds out after its EHLO and XCLIENT).
 * - OAUTHBEARER/XOAUTH2 (Postern's additions) end a failure with RFC 7628's error challenge
 *   (../bearer-error.ts).
 * - WAIT is clamped and capped (../auth-outcome.ts).
 */
import { authMethodFor, type AuthMethod, type AuthReply, type ClientTls, type LoginAttempt } from '../../authclient/index.js';
import { authOutcome, type PendingAttempt } from '../auth-outcome.js';
import { tellFailure } from '../bearer-error.js';
import { continueSasl, makeSalt, startSasl, type SaslOutcome, type SaslStep } from '../sasl-exchange.js';
import type { ClientSession, ConnectionFacts, SessionAction, SessionEnv, SmtpSettings } from '../session.js';
import { CLOSE as close, info, tooLongCommand, tooManyInvalidCommands, warn, write } from '../session-actions.js';
import { sessionsOnInput, type SessionKind } from '../session-on-input.js';
import { proxyAction } from './backend-setup.js';
import { smtpCommandReader, type SmtpInput } from './command-reader.js';
import { ehloReply, greeting, heloReply, SMTP_REPLY, type EhloVariant } from './replies.js';

type Phase =
  /** ngx_smtp_start: reading commands. */
  | 'commands'
  /** An AUTH exchange waits for the client's next SASL line. */
  | 'sasl'
  /** A bearer failure was told as RFC 7628's error challenge; waiting for the client's %x01. */
  | 'bearer-error'
  /** The auth server is being asked; client input is paused. */
  | 'auth'
  /** STARTTLS answered; waiting for the handshake. */
  | 'tls'
  /** Proxied or closed: nothing more to do. */
  | 'finished';

/** The attempt the auth server is working on, and what the backend dialogue will need from it. */
interface Asking {
  pending: PendingAttempt;
  envelope: { mailFrom: Buffer; rcptTo: Buffer } | null;
}

const greet = (_settings: SmtpSettings, env: SessionEnv): SessionAction[] => [write(greeting(env.serverName))];

/** The greeting depends on nothing: the state machine is made at the client's first input (../session-on-input.ts). */
export function smtpSessions(settings: SmtpSettings, env: SessionEnv): (facts: ConnectionFacts) => ClientSession {
  return sessionsOnInput(SMTP, settings, env);
}

const SMTP: SessionKind<SmtpSettings> = { greeting: greet, machine: smtpMachine };

function smtpMachine(settings: SmtpSettings, env: SessionEnv, facts: ConnectionFacts): ClientSession {
  const reader = smtpCommandReader(settings.clientBuffer);
  // §4.1: without a resolver nginx's Client-Host (and XCLIENT NAME) is `[UNAVAILABLE]`.
  const clientHost = facts.clientHost || '[UNAVAILABLE]';
  let phase: Phase = 'commands';
  let tls: ClientTls | undefined = facts.tls;
  let sasl: SaslStep | null = null;
  let asking: Asking | null = null;
  let bearerDeferred: SessionAction[] = [];
  // The envelope (§4.5); `esmtp` stays set once the client said EHLO, as nginx's s->esmtp does.
  let helo: Buffer | null = null;
  let esmtp = false;
  let mailFrom: Buffer | null = null;
  let rcptTo: Buffer | null = null;
  let errors = 0;
  let attempts = 0;
  // IMAP and SMTP make the salt at the first CRAM-MD5 and keep it for the session (§4.3).
  let salt: string | undefined;

  /** Handles buffered input until it runs out or an action pauses input. */
  function drain(out: SessionAction[]): SessionAction[] {
    while (phase === 'commands' || phase === 'sasl' || phase === 'bearer-error') {
      const input = reader.next(phase === 'commands' ? 'command' : 'sasl');
      if (input === null) break;
      out.push(...handle(input));
    }
    return out;
  }

  function handle(input: SmtpInput): SessionAction[] {
    if (input.kind === 'too-long') {
      // ngx_mail_read_command sets s->quit; the handler still sends its invalid-command reply.
      phase = 'finished';
      return tooLongCommand(SMTP_REPLY.invalidCommand);
    }
    if (phase === 'bearer-error') return endBearerError();
    if (input.kind === 'invalid') return invalidCommand(true);
    if (input.kind === 'response') return sasl ? saslProgress(continueSasl('smtp', sasl, input.response)) : invalidCommand(false);
    switch (input.name) {
      case 'HELO':
      case 'EHLO':
        return heloCommand(input.name, input.args);
      case 'AUTH':
        return authCommand(input.args);
      case 'QUIT':
        phase = 'finished';
        return [write(SMTP_REPLY.bye), close];
      case 'MAIL':
        return mailCommand(input.args, input.line);
      case 'RCPT':
        return rcptCommand(input.args, input.line);
      case 'RSET':
        mailFrom = rcptTo = null;
        return [write(SMTP_REPLY.ok)];
      case 'NOOP':
        return [write(SMTP_REPLY.ok)];
      case 'STARTTLS':
        return starttlsCommand();
      default:
        // VRFY, EXPN, HELP: parsed, then refused by the handler's default branch.
        return invalidCommand(false);
    }
  }

  /**
   * `500 5.5.1 Invalid command`, back to the command state. Only the parser's refusals count
   * towards max_errors (ngx_mail_read_command); the handlers' (unknown mechanism, bad base64,
   * VRFY, STARTTLS unavailable, ...) do not. The reply to the last one goes out, then the close.
   */
  function invalidCommand(counted: boolean): SessionAction[] {
    phase = 'commands';
    sasl = null;
    if (counted && ++errors >= settings.maxErrors) {
      phase = 'finished';
      return tooManyInvalidCommands(SMTP_REPLY.invalidCommand);
    }
    return [write(SMTP_REPLY.invalidCommand)];
  }

  function starttlsOnlyBeforeTls(): boolean {
    return settings.starttls === 'only' && tls === undefined;
  }

  function heloCommand(verb: 'HELO' | 'EHLO', args: Buffer[]): SessionAction[] {
    const [name] = args;
    if (name === undefined || args.length !== 1) return [write(SMTP_REPLY.invalidArgument)];
    if (name.includes(0)) return refuseNul(verb);
    helo = name;
    mailFrom = rcptTo = null;
    if (verb === 'HELO') return [write(heloReply(env.serverName))];
    esmtp = true;
    const variant: EhloVariant = tls !== undefined || settings.starttls === 'off' ? 'plain' : settings.starttls === 'on' ? 'starttls' : 'starttls-only';
    return [write(ehloReply(env.serverName, settings, variant))];
  }

  function refuseNul(command: string): SessionAction[] {
    return [info(`client sent a NUL byte in ${command}; refused`), write(SMTP_REPLY.invalidArgument)];
  }

  /** ngx_mail_smtp_auth: no HELO needed first (nginx does not check). */
  function authCommand(args: Buffer[]): SessionAction[] {
    if (starttlsOnlyBeforeTls()) return invalidCommand(false);
    // IMAP and SMTP make the salt at the first CRAM-MD5 and keep it for the session (§4.3).
    return saslProgress(startSasl('smtp', args, { auth: settings.auth, salt: () => (salt ??= makeSalt(env)) }));
  }

  /** The next prompt, the auth request, or a refusal (AUTH without a mechanism: 501). */
  function saslProgress(outcome: SaslOutcome): SessionAction[] {
    switch (outcome.kind) {
      case 'challenge':
        sasl = outcome.step;
        phase = 'sasl';
        return [write(outcome.line)];
      case 'login':
        return ask(outcome.login.method, outcome.login.user, outcome.login.pass, null);
      case 'refused':
        if (outcome.noMechanism) return [write(SMTP_REPLY.invalidArgument)];
        return [...(outcome.log === undefined ? [] : [info(outcome.log)]), ...invalidCommand(false)];
    }
  }

  function mailCommand(args: Buffer[], line: Buffer): SessionAction[] {
    if (!settings.auth.includes('none')) {
      return [info(`client was rejected: "${printable(line)}"`), write(SMTP_REPLY.authRequired)];
    }
    // §4.4: `starttls only` is not checked here, as in nginx.
    if (mailFrom !== null) return [write(SMTP_REPLY.badSequence)];
    if (args.length === 0) return [write(SMTP_REPLY.invalidArgument)];
    if (line.includes(0)) return refuseNul('MAIL');
    mailFrom = line;
    return [write(SMTP_REPLY.ok)];
  }

  /** §4.5: the first RCPT asks the auth server, with the envelope and no credentials. */
  function rcptCommand(args: Buffer[], line: Buffer): SessionAction[] {
    if (mailFrom === null) return [write(SMTP_REPLY.badSequence)];
    if (args.length === 0) return [write(SMTP_REPLY.invalidArgument)];
    if (line.includes(0)) return refuseNul('RCPT');
    rcptTo = line;
    return ask(authMethodFor('smtp-none'), Buffer.alloc(0), undefined, { mailFrom, rcptTo });
  }

  function starttlsCommand(): SessionAction[] {
    if (settings.starttls === 'off' || tls !== undefined) return invalidCommand(false);
    // RFC 3207 (and nginx): forget what the client said before TLS, and never read the
    // plaintext it sent after the command (the 2011 STARTTLS injection).
    const injected = reader.pending().length;
    reader.discard();
    helo = mailFrom = rcptTo = null;
    phase = 'tls';
    return [...(injected > 0 ? [info(`client sent ${injected} bytes after STARTTLS before the handshake; discarded`)] : []), write(SMTP_REPLY.startTls), { kind: 'starttls' }];
  }

  function ask(method: AuthMethod, user: Buffer, pass: Buffer | undefined, envelope: Asking['envelope']): SessionAction[] {
    const attempt: LoginAttempt = {
      protocol: 'smtp',
      method,
      user,
      ...(pass !== undefined ? { pass } : {}),
      ...(salt !== undefined ? { salt } : {}),
      attempt: ++attempts,
      clientIp: facts.clientIp,
      clientHost,
      ...(facts.proxyProtocol ? { proxyProtocol: facts.proxyProtocol } : {}),
      ...(tls ? { tls } : {}),
      ...(envelope ? { smtp: { helo: helo ?? Buffer.alloc(0), from: envelope.mailFrom, to: envelope.rcptTo } } : {}),
    };
    asking = { pending: { attempt, waits: 0 }, envelope };
    sasl = null;
    phase = 'auth';
    return [{ kind: 'auth', attempt }];
  }

  function onAuthReply(reply: AuthReply): SessionAction[] {
    if (phase !== 'auth' || asking === null) return [warn('auth reply with no attempt in flight; ignored')];
    const current = asking;
    const outcome = authOutcome(reply, current.pending);
    switch (outcome.kind) {
      case 'proxy':
        phase = 'finished';
        asking = null;
        return proxyAction(outcome, settings, { serverName: env.serverName, clientIp: facts.clientIp, clientHost, helo, esmtp, envelope: current.envelope, pipelined: reader.pending() });
      case 'continue':
        // §2.3: after Auth-Wait the failure line, then the command state; for `none` the line
        // is the reply to RCPT, and MAIL FROM stays (another RCPT asks again, as in nginx).
        asking = null;
        phase = 'commands';
        return drain(failureTold(reply, current, outcome.actions));
      case 'final':
        if (outcome.next !== null) {
          current.pending = outcome.next;
          return outcome.actions;
        }
        asking = null;
        phase = 'finished';
        return drain(failureTold(reply, current, outcome.actions));
    }
  }

  /** The failure actions, or for a bearer mechanism its error challenge first (../bearer-error.ts). */
  function failureTold(reply: AuthReply, current: Asking, actions: SessionAction[]): SessionAction[] {
    const told = tellFailure(reply, current.pending.attempt, actions);
    if (told.afterAnswer === null) return told.now;
    bearerDeferred = told.afterAnswer;
    phase = 'bearer-error';
    return told.now;
  }

  function endBearerError(): SessionAction[] {
    const deferred = bearerDeferred;
    bearerDeferred = [];
    phase = deferred.some((a) => a.kind === 'close') ? 'finished' : 'commands';
    return deferred;
  }

  return {
    start: () => greet(settings, env),
    onData(bytes) {
      // During the handshake the bytes are TLS's, and after the end nothing is read.
      if (phase === 'tls' || phase === 'finished') return [];
      reader.push(bytes);
      return drain([]);
    },
    onTlsStarted(started) {
      if (phase !== 'tls') return [warn('TLS started without STARTTLS; ignored')];
      tls = started;
      reader.discard();
      phase = 'commands';
      return [];
    },
    onAuthReply,
  };
}

/** A command line for the log: control bytes as `_`, as nginx does for CR and LF. */
function printable(line: Buffer): string {
  return line.toString('latin1').replace(/[\x00-\x1f\x7f]/g, '_');
}
