/**
 * The IMAP client session before login, as ngx_mail_imap_handler.c in nginx 1.22.1 runs it
 * (nginx-auth-http.md §4, §6.11-§6.12): greeting, CAPABILITY, NOOP, LOGOUT, STARTTLS, LOGIN and
 * AUTHENTICATE, then the auth request and the hand-over to the backend login. Pure (the contract
 * is ../session.ts): bytes in, actions out. Commands are read by command-reader.ts, SASL
 * exchanges run in ../sasl-exchange.ts, the auth server's answer is interpreted by
 * ../auth-outcome.ts and a bearer failure told by ../bearer-error.ts.
 *
 * Where Postern differs from 1.22.1 (each marked below): every attempt starts from clean
 * credentials; a bad LOGIN username line gets a tagged BAD; commands pipelined behind a failed
 * login are read at once instead of waiting for more client bytes; `AUTHENTICATE EXTERNAL
 * <initial-response>` is refused unless external is enabled (../sasl-exchange.ts); the client
 * buffer bounds each command, and a too-long one is not logged with its bytes; OAUTHBEARER and
 * XOAUTH2 (Postern's additions) end a failure with RFC 7628's error challenge; WAIT is clamped
 * and capped (../auth-outcome.ts).
 */
import type { ClientTls, LoginAttempt } from '../../authclient/index.js';
import { authMethodFor, internalErrorLine } from '../../authclient/index.js';
import { imapBackendBearer, imapBackendLogin, type BackendDialogue } from '../backend/index.js';
import { authOutcome, type PendingAttempt } from '../auth-outcome.js';
import { tellFailure, type ToldFailure } from '../bearer-error.js';
import { continueSasl, makeSalt, startSasl, type SaslLogin, type SaslOutcome, type SaslStep } from '../sasl-exchange.js';
import type { ClientSession, ConnectionFacts, ImapSettings, SessionAction, SessionEnv } from '../session.js';
import { CLOSE as close, info, tooLongCommand, tooManyInvalidCommands, warn, write } from '../session-actions.js';
import { sessionsOnInput, type SessionKind } from '../session-on-input.js';
import { imapCommandReader, type ImapInput } from './command-reader.js';
import { BYE, capabilityLine, completed, GREETING, invalidCommand, LITERAL_CONTINUATION } from './replies.js';

type Command = Extract<ImapInput, { kind: 'command' }>;

/**
 * Where the session is: reading commands; waiting for the auth server (client input held);
 * waiting for the TLS handshake (client input dropped); or finished (closed or proxied).
 */
type Phase = 'commands' | 'auth' | 'starttls' | 'done';

const NOTHING = Buffer.alloc(0);

const greeting = (): SessionAction[] => [write(GREETING)];

/** The greeting depends on nothing: the state machine is made at the client's first input (../session-on-input.ts). */
export function imapSessions(settings: ImapSettings, env: SessionEnv): (facts: ConnectionFacts) => ClientSession {
  return sessionsOnInput(IMAP, settings, env);
}

const IMAP: SessionKind<ImapSettings> = { greeting, machine: imapMachine };

function imapMachine(settings: ImapSettings, env: SessionEnv, facts: ConnectionFacts): ClientSession {
  let reader = imapCommandReader(settings.clientBuffer);
  let phase: Phase = 'commands';
  let tls: ClientTls | undefined = facts.tls;
  /** Made at the first AUTHENTICATE CRAM-MD5 and kept for the session (§4.3). */
  let salt: string | undefined;
  /** Invalid commands as nginx counts them for max_errors: only those the parser refuses. */
  let errors = 0;
  /** Client-initiated attempts so far: Auth-Login-Attempt (§2.5). */
  let attempts = 0;
  /** An AUTHENTICATE exchange in progress: its tag (for BAD and the auth failure) and next step. */
  let sasl: { tag: string; step: SaslStep } | null = null;
  let pending: PendingAttempt | null = null;
  /** The LOGIN/AUTHENTICATE tag of `pending`, for `<tag> NO` and the backend LOGIN. */
  let authTag = '';
  /** A bearer failure's `<tag> NO` (and close), sent once the client answered the error challenge. */
  let bearerAnswer: SessionAction[] | null = null;
  /** Client bytes that came while the auth server was asked (the shell should not send any). */
  let held: Buffer[] = [];

  const starttlsOnly = () => settings.starttls === 'only' && !tls;

  /** Feeds the reader and acts on each input until the input runs out or the session pauses. */
  function drain(bytes: Buffer): SessionAction[] {
    const out: SessionAction[] = [];
    for (let inputs = reader.push(bytes); inputs.length > 0; inputs = reader.push(NOTHING)) {
      for (const input of inputs) {
        out.push(...act(input));
        // LOGOUT and STARTTLS may leave inputs behind: nginx drops them (close, or a reset buffer).
        if (phase !== 'commands') return out;
      }
    }
    return out;
  }

  function act(input: ImapInput): SessionAction[] {
    switch (input.kind) {
      case 'continue':
        return [write(LITERAL_CONTINUATION)];
      case 'invalid':
        return parserRefused(input.tag, input.quit);
      case 'too-long':
        // ngx_mail_read_command: answered as an invalid command under the tag read so far (in
        // a SASL exchange the AUTHENTICATE tag, which nginx keeps), then closed.
        phase = 'done';
        return tooLongCommand(invalidCommand(sasl?.tag ?? (bearerAnswer ? authTag : input.tag)));
      case 'line':
        return bearerAnswer ? answered(bearerAnswer) : saslLine(input.line);
      case 'command':
        return command(input);
    }
  }

  /**
   * A line the parser refused (ngx_mail_read_command): the only invalid commands max_errors
   * counts; refusals by a command's handler (bad arguments, starttls only, bad base64) are not.
   * The reply to the max_errors-th is sent, then the connection closes (§4.1).
   */
  function parserRefused(tag: string | null, unframeable: boolean): SessionAction[] {
    errors++;
    if (errors >= settings.maxErrors) {
      phase = 'done';
      return tooManyInvalidCommands(invalidCommand(tag));
    }
    const reply = write(invalidCommand(tag));
    if (unframeable) {
      // A `{n+}` literal after an invalid command: its bytes cannot be told from commands.
      phase = 'done';
      return [reply, close];
    }
    return [reply];
  }

  /** A command refused by its handler (nginx's NGX_MAIL_PARSE_INVALID_COMMAND from a handler). */
  function refused(tag: string, log?: string): SessionAction[] {
    sasl = null;
    return [...(log === undefined ? [] : [info(log)]), write(invalidCommand(tag))];
  }

  function command(c: Command): SessionAction[] {
    switch (c.name) {
      case 'NOOP':
        return [write(completed(c.tag))];
      case 'CAPABILITY':
        return [write(capabilityLine(settings, tls !== undefined) + completed(c.tag))];
      case 'LOGOUT':
        phase = 'done';
        return [write(BYE + completed(c.tag)), close];
      case 'STARTTLS':
        // ngx_mail_imap_starttls: only on a clear connection with starttls on/only.
        if (tls !== undefined || settings.starttls === 'off') return refused(c.tag);
        // The buffer is reset: plaintext pipelined after STARTTLS is never read (the 2011 injection).
        phase = 'starttls';
        reader = imapCommandReader(settings.clientBuffer);
        return [write(completed(c.tag)), { kind: 'starttls' }];
      case 'LOGIN': {
        const [user, pass] = c.args;
        // §4.4: refused before TLS with starttls only; exactly two arguments, the login not empty.
        if (starttlsOnly() || c.args.length !== 2 || user === undefined || pass === undefined || user.length === 0) return refused(c.tag);
        return ask(c.tag, { method: authMethodFor('imap-login'), user, pass });
      }
      case 'AUTHENTICATE':
        if (starttlsOnly()) return refused(c.tag);
        return progress(c.tag, startSasl('imap', c.args, { auth: settings.auth, salt: () => (salt ??= makeSalt(env)) }));
    }
  }

  function saslLine(line: Buffer): SessionAction[] {
    // The reader yields lines only after expectLine, which is called only with `sasl` set.
    if (sasl === null) throw new Error('a SASL line outside an AUTHENTICATE exchange');
    const { tag, step } = sasl;
    sasl = null;
    // Better than nginx: a bad LOGIN username gets `<tag> BAD`; nginx sends a bare
    // `BAD invalid command` without a tag (ngx_mail_imap_auth_state leaves `tag = 0`).
    return progress(tag, continueSasl('imap', step, line));
  }

  function progress(tag: string, next: SaslOutcome): SessionAction[] {
    switch (next.kind) {
      case 'challenge':
        // Untagged continuation; the exchange keeps the AUTHENTICATE tag (nginx preserves s->tag).
        sasl = { tag, step: next.step };
        reader.expectLine();
        return [write(next.line)];
      case 'login':
        return ask(tag, next.login);
      case 'refused':
        return refused(tag, next.log);
    }
  }

  /** The client answered a bearer error challenge (any line): the `<tag> NO` now. */
  function answered(actions: SessionAction[]): SessionAction[] {
    bearerAnswer = null;
    if (actions.some((a) => a.kind === 'close')) phase = 'done';
    return actions;
  }

  /** A failure's actions; a bearer one waits for the client's answer to its error challenge. */
  function failed(told: ToldFailure): SessionAction[] {
    phase = 'commands';
    const rest = Buffer.concat(held);
    held = [];
    if (told.afterAnswer) {
      bearerAnswer = told.afterAnswer;
      reader.expectLine();
    }
    return [...told.now, ...drain(rest)];
  }

  /** A client-initiated attempt: always built from this command's credentials only (see below). */
  function ask(tag: string, login: SaslLogin): SessionAction[] {
    attempts++;
    // Better than 1.22.1: nginx keeps Auth-User/Auth-Pass from earlier replies in the session, so
    // an EXTERNAL could carry an earlier password (docs/mail-proxy.md). IMAP never sends
    // Client-Host (§1.3), whatever the facts hold.
    const attempt: LoginAttempt = {
      protocol: 'imap',
      method: login.method,
      user: login.user,
      ...(login.pass === undefined ? {} : { pass: login.pass }),
      ...(salt === undefined ? {} : { salt }),
      attempt: attempts,
      clientIp: facts.clientIp,
      ...(facts.proxyProtocol === undefined ? {} : { proxyProtocol: facts.proxyProtocol }),
      ...(tls === undefined ? {} : { tls }),
    };
    pending = { attempt, waits: 0, imapTag: tag };
    authTag = tag;
    sasl = null;
    phase = 'auth';
    return [{ kind: 'auth', attempt }];
  }

  return {
    start: greeting,

    onData(bytes) {
      if (phase === 'commands') return drain(bytes);
      if (phase === 'auth') held.push(Buffer.from(bytes));
      // 'starttls': plaintext after STARTTLS is discarded; 'done': nothing more is read.
      return [];
    },

    onTlsStarted(handshake) {
      if (phase !== 'starttls') throw new Error('onTlsStarted without a starttls action');
      // ngx_mail_imap_init_protocol again: no new greeting, a fresh parser; max_errors, the
      // attempt count and the salt carry on, as in nginx.
      tls = handshake;
      reader = imapCommandReader(settings.clientBuffer);
      phase = 'commands';
      return [];
    },

    onAuthReply(reply) {
      if (phase !== 'auth' || pending === null) throw new Error('onAuthReply without an auth action');
      const outcome = authOutcome(reply, pending);
      switch (outcome.kind) {
        case 'proxy': {
          phase = 'done';
          pending = null;
          const pipelined = Buffer.concat([reader.pending(), ...held]);
          held = [];
          // A bearer login without Auth-Pass passes the client's token on (../auth-outcome.ts);
          // readAuthReply refuses any other IMAP success without a password (§2.2).
          let dialogue: BackendDialogue;
          if (outcome.token) dialogue = imapBackendBearer({ tag: authTag, user: outcome.login, ...outcome.token });
          else if (outcome.password !== undefined) dialogue = imapBackendLogin({ tag: authTag, user: outcome.login, pass: outcome.password });
          else return [warn('auth http server did not send password'), write(internalErrorLine('imap')), close];
          return [{ kind: 'proxy', server: outcome.server, port: outcome.port, family: outcome.family, dialogue, pipelined, internalError: internalErrorLine('imap') }];
        }
        case 'continue': {
          // §2.3: after the Auth-Wait sleep and the `<tag> NO`, back to reading commands.
          // Better than nginx, which reads what is already buffered only when more bytes come.
          const { attempt } = pending;
          pending = null;
          return failed(tellFailure(reply, attempt, outcome.actions));
        }
        case 'final': {
          const { attempt } = pending;
          pending = outcome.next;
          if (pending !== null) return outcome.actions;
          const told = tellFailure(reply, attempt, outcome.actions);
          if (told.afterAnswer) return failed(told);
          phase = 'done';
          return outcome.actions;
        }
      }
    },
  };
}
