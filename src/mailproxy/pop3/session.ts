/**
 * The POP3 client session before login, as ngx_mail_pop3_handler.c in nginx 1.22.1 runs it
 * (nginx-auth-http.md §4): greeting, CAPA, USER/PASS, APOP, AUTH with SASL, STLS, QUIT, NOOP,
 * then the auth request and the hand-over to the backend. Pure (src/mailproxy/session.ts): bytes
 * and conclusions in, actions out. Lines are read one at a time and processing stops at any
 * action that pauses input, so pipelined commands wait in the reader for their turn.
 *
 * Where Postern differs from nginx 1.22 (each marked below): every attempt starts from clean
 * credentials; `AUTH EXTERNAL <initial-response>` is refused unless external is enabled
 * (../sasl-exchange.ts); the 128-byte limit applies per line, and a too-long line is not logged
 * with its bytes; bearer responses may be longer; OAUTHBEARER and XOAUTH2 (Postern's additions)
 * end a failure with RFC 7628's error challenge (../bearer-error.ts); WAIT is clamped and capped
 * (../auth-outcome.ts).
 */
import { authMethodFor, internalErrorLine, type AuthMethod, type AuthReply, type ClientTls, type LoginAttempt } from '../../authclient/index.js';
import { authOutcome, type PendingAttempt } from '../auth-outcome.js';
import { pop3BackendBearer, pop3BackendLogin, type BackendDialogue } from '../backend/index.js';
import { tellFailure } from '../bearer-error.js';
import { awaitsBearer, continueSasl, makeSalt, startSasl, type SaslOutcome, type SaslStep } from '../sasl-exchange.js';
import type { ClientSession, ConnectionFacts, Pop3Settings, SessionAction, SessionEnv } from '../session.js';
import { CLOSE, info, tooLongCommand, tooManyInvalidCommands, warn, write } from '../session-actions.js';
import { sessionsOnInput, type SessionKind } from '../session-on-input.js';
import { pop3CommandReader, POP3_LINE_LIMIT, type Pop3CommandName, type Pop3Input } from './command-reader.js';
import { pop3AuthList, pop3Capa, pop3Greeting, POP3_INVALID_COMMAND, POP3_OK } from './replies.js';

/**
 * A bearer response line may be this long (Postern's addition: a token rarely fits nginx's 128
 * bytes). Only the line after the empty challenge: RFC 5034 §4 has a client send a response that
 * would make AUTH too long there instead of as an initial response.
 */
export const BEARER_LINE_LIMIT = 8192;

type State =
  /** ngx_pop3_start: any command may come. */
  | { name: 'start' }
  /** ngx_pop3_user: USER gave the login; PASS, CAPA, QUIT and NOOP are allowed. */
  | { name: 'user'; login: Buffer }
  /** A SASL challenge was sent; the next line answers it. */
  | { name: 'sasl'; step: SaslStep }
  /** Input paused: an `auth` action is out, onAuthReply comes next. */
  | { name: 'authenticating'; pending: PendingAttempt }
  /** A bearer login failed: the error challenge is out; the client's next line releases `afterAnswer`. */
  | { name: 'bearer-error'; afterAnswer: SessionAction[] }
  /** Input paused: a `starttls` action is out, onTlsStarted comes next. */
  | { name: 'handshake' }
  /** Closed, or handed to the backend. */
  | { name: 'finished' };

type Gate = 'start' | 'user';

/** The commands each state accepts (ngx_mail_pop3_auth_state's two switches); others are invalid. */
const ALLOWED: Record<Gate, readonly Pop3CommandName[]> = {
  start: ['USER', 'CAPA', 'APOP', 'AUTH', 'QUIT', 'NOOP', 'STLS'],
  user: ['PASS', 'CAPA', 'QUIT', 'NOOP'],
};

/** §6.4: POP3 makes the salt at session start when APOP or CRAM-MD5 is enabled, for the greeting. */
const saltAtStart = (settings: Pop3Settings): boolean => settings.auth.includes('apop') || settings.auth.includes('cram-md5');

/**
 * Without a salt the greeting depends on nothing: the state machine is made at the client's
 * first input (../session-on-input.ts). With one, the machine keeps the salt it greeted with.
 */
export function pop3Sessions(settings: Pop3Settings, env: SessionEnv): (facts: ConnectionFacts) => ClientSession {
  return saltAtStart(settings) ? (facts) => pop3Machine(settings, env, facts) : sessionsOnInput(POP3, settings, env);
}

const POP3: SessionKind<Pop3Settings> = { greeting: () => [write(pop3Greeting(undefined))], machine: pop3Machine };

function pop3Machine(settings: Pop3Settings, env: SessionEnv, facts: ConnectionFacts): ClientSession {
  const reader = pop3CommandReader();
  let salt = saltAtStart(settings) ? makeSalt(env) : undefined;
  let state: State = { name: 'start' };
  let tls: ClientTls | undefined = facts.tls;
  let errors = 0;
  let attempts = 0;

  /** Ends the session after `actions` (which end with the close). */
  const finish = (actions: SessionAction[]): SessionAction[] => {
    state = { name: 'finished' };
    return actions;
  };
  /** ngx_mail_starttls_only: USER, APOP and AUTH are refused before TLS under `starttls only` (§4.4). */
  const tlsRequired = (): boolean => settings.starttls === 'only' && tls === undefined;

  /** A refusal by a command handler: the reply, back to the start state; not counted in max_errors. */
  function refuse(detail?: string): SessionAction[] {
    state = { name: 'start' };
    return [...(detail ? [info(detail)] : []), write(POP3_INVALID_COMMAND)];
  }

  /** ngx_mail_auth: a client-initiated attempt, numbered from 1 (§2.5). */
  function ask(method: AuthMethod, user: Buffer, pass: Buffer | undefined): SessionAction[] {
    attempts += 1;
    // Only what this attempt gave: nginx 1.22 would carry an earlier reply's Auth-Pass into
    // EXTERNAL (docs/mail-proxy.md, stale credentials). Client-Host is SMTP's only (§1.3).
    const attempt: LoginAttempt = { protocol: 'pop3', method, user, attempt: attempts, clientIp: facts.clientIp };
    if (pass !== undefined) attempt.pass = pass;
    if (salt !== undefined) attempt.salt = salt;
    if (facts.proxyProtocol) attempt.proxyProtocol = facts.proxyProtocol;
    if (tls) attempt.tls = tls;
    state = { name: 'authenticating', pending: { attempt, waits: 0 } };
    return [{ kind: 'auth', attempt }];
  }

  function sasl(outcome: SaslOutcome): SessionAction[] {
    switch (outcome.kind) {
      case 'challenge':
        state = { name: 'sasl', step: outcome.step };
        return [write(outcome.line)];
      case 'login':
        return ask(outcome.login.method, outcome.login.user, outcome.login.pass);
      case 'refused':
        return refuse(outcome.log);
    }
  }

  function auth(args: Buffer[]): SessionAction[] {
    if (tlsRequired()) return refuse();
    if (args.length === 0) return [write(pop3AuthList(settings))];
    // With CRAM-MD5 enabled the salt was made at the start (for the greeting); ??= is for the type.
    return sasl(startSasl('pop3', args, { auth: settings.auth, salt: () => (salt ??= makeSalt(env)) }));
  }

  function command(gate: Gate, name: Pop3CommandName, args: Buffer[]): SessionAction[] {
    if (!ALLOWED[gate].includes(name)) return refuse();
    switch (name) {
      case 'USER':
        if (tlsRequired() || args.length !== 1) return refuse();
        state = { name: 'user', login: args[0] as Buffer };
        return [write(POP3_OK)];
      case 'PASS':
        if (args.length !== 1 || state.name !== 'user') return refuse();
        return ask(authMethodFor('user-pass'), state.login, args[0] as Buffer);
      case 'APOP':
        if (tlsRequired() || args.length !== 2 || !settings.auth.includes('apop')) return refuse();
        // §1.4: the digest goes to the auth server as sent, with the salt.
        return ask(authMethodFor('apop'), args[0] as Buffer, args[1] as Buffer);
      case 'AUTH':
        return auth(args);
      case 'CAPA':
        // nginx offers STLS only in the start state (ngx_mail_pop3_capa's `stls` argument).
        if (gate === 'user' || tls || settings.starttls === 'off') return [write(pop3Capa(settings, 'plain'))];
        return [write(pop3Capa(settings, settings.starttls === 'on' ? 'stls' : 'stls-only'))];
      case 'QUIT':
        return finish([write(POP3_OK), CLOSE]);
      case 'NOOP':
        return [write(POP3_OK)];
      case 'STLS':
        if (tls || settings.starttls === 'off') return refuse();
        // §4.4, the STARTTLS injection: what the client pipelined after STLS is never read.
        reader.discard();
        state = { name: 'handshake' };
        return [write(POP3_OK), { kind: 'starttls' }];
    }
  }

  function input(got: Pop3Input): SessionAction[] {
    // ngx_mail_read_command: the invalid-command reply, then close; not an error count.
    if (got.kind === 'too-long') return finish(tooLongCommand(POP3_INVALID_COMMAND));
    // RFC 7628: any line answers the error challenge.
    if (state.name === 'bearer-error') return answered(state.afterAnswer);
    switch (got.kind) {
      case 'invalid': {
        // Only lines the parser refuses count towards max_errors (ngx_mail_read_command); the
        // reply to the last one is sent before the close.
        errors += 1;
        state = { name: 'start' };
        if (errors < settings.maxErrors) return [write(POP3_INVALID_COMMAND)];
        return finish(tooManyInvalidCommands(POP3_INVALID_COMMAND));
      }
      case 'response':
        return state.name === 'sasl' ? sasl(continueSasl('pop3', state.step, got.response)) : refuse();
      case 'command':
        return state.name === 'start' || state.name === 'user' ? command(state.name, got.name, got.args) : refuse();
    }
  }

  /** Reads buffered lines while input is not paused. */
  function drain(): SessionAction[] {
    const out: SessionAction[] = [];
    for (;;) {
      if (state.name === 'sasl' || state.name === 'bearer-error') {
        const bearer = state.name === 'sasl' && awaitsBearer(state.step);
        const got = reader.next('response', bearer ? BEARER_LINE_LIMIT : POP3_LINE_LIMIT);
        if (got === null) return out;
        out.push(...input(got));
      } else if (state.name === 'start' || state.name === 'user') {
        const got = reader.next('command');
        if (got === null) return out;
        out.push(...input(got));
      } else {
        return out;
      }
    }
  }

  function authReply(reply: AuthReply, pending: PendingAttempt): SessionAction[] {
    const outcome = authOutcome(reply, pending);
    switch (outcome.kind) {
      case 'proxy': {
        state = { name: 'finished' };
        const internalError = internalErrorLine('pop3');
        // A bearer login without Auth-Pass passes the client's token on (../auth-outcome.ts);
        // readAuthReply refuses any other POP3 success without a password (§2.2).
        let dialogue: BackendDialogue;
        if (outcome.token) dialogue = pop3BackendBearer({ user: outcome.login, ...outcome.token });
        else if (outcome.password !== undefined) dialogue = pop3BackendLogin({ user: outcome.login, pass: outcome.password });
        else return finish([warn('auth http server did not send password'), write(internalError), CLOSE]);
        return [{ kind: 'proxy', server: outcome.server, port: outcome.port, family: outcome.family, dialogue, pipelined: reader.pending(), internalError }];
      }
      case 'continue':
        // ngx_mail_auth_sleep_handler: back to the start state (POP3 starts over with USER), then
        // what the client pipelined meanwhile.
        return failed(reply, pending, outcome.actions);
      case 'final':
        if (outcome.next) {
          state = { name: 'authenticating', pending: outcome.next };
          return outcome.actions;
        }
        return reply.kind === 'fail' ? failed(reply, pending, outcome.actions) : finish(outcome.actions);
    }
  }

  /** A failure told (a bearer one waits for the answer to its error challenge), then what is buffered. */
  function failed(reply: AuthReply, pending: PendingAttempt, actions: SessionAction[]): SessionAction[] {
    const told = tellFailure(reply, pending.attempt, actions);
    if (told.afterAnswer) state = { name: 'bearer-error', afterAnswer: told.afterAnswer };
    else if (told.now.some((a) => a.kind === 'close')) return finish(told.now);
    else state = { name: 'start' };
    return [...told.now, ...drain()];
  }

  function answered(actions: SessionAction[]): SessionAction[] {
    if (actions.some((a) => a.kind === 'close')) return finish(actions);
    state = { name: 'start' };
    return actions;
  }

  return {
    start: () => [write(pop3Greeting(salt))],
    onData(bytes) {
      if (state.name === 'finished') return [];
      // Plaintext arriving while the handshake is due is the injection STLS guards against.
      if (state.name === 'handshake') return [];
      reader.push(bytes);
      return drain();
    },
    onTlsStarted(handshake) {
      if (state.name !== 'handshake') return [];
      // §4.4: init_protocol again: start state, empty buffer, no new greeting.
      tls = handshake;
      reader.discard();
      state = { name: 'start' };
      return [];
    },
    onAuthReply(reply) {
      return state.name === 'authenticating' ? authReply(reply, state.pending) : [];
    },
  };
}
