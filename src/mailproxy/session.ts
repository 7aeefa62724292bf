/**
 * The contract between a protocol's client session (pure: IMAP, POP3, SMTP state machines in
 * their own folders) and the proxy's shell (sockets, TLS, timers, the auth transport, the backend
 * connection). A session never touches a socket or a clock: it takes what happened (client bytes,
 * a finished TLS handshake, the auth server's conclusion) and returns the actions the shell runs,
 * in order. So every command in every state is tested without a server, and the shell is one
 * loop shared by the three protocols.
 */
import type { AuthReply, ClientTls, LoginAttempt, ProxyProtocolSource } from '../authclient/index.js';
import type { BackendDialogue } from './backend/index.js';

export type StarttlsMode = 'off' | 'on' | 'only';

/** What the shell knows of a connection when it starts (after any PROXY header). */
export interface ConnectionFacts {
  /** The client's address (from the PROXY header when a trusted balancer sent one), IPv6 unbracketed. */
  clientIp: string;
  proxyProtocol?: ProxyProtocolSource;
  /** Set when the connection is TLS from the start (an implicit-TLS listener). */
  tls?: ClientTls;
  /** SMTP's `Client-Host`: a PTR name, or `[UNAVAILABLE]` without a resolver (nginx-auth-http.md §4.1). */
  clientHost?: string;
}

/** The session's inputs from the outside world, injected so sessions stay pure and tests fixed. */
export interface SessionEnv {
  /** nginx's `server_name`: in the salt, the SMTP greeting and EHLO. */
  serverName: string;
  /** A random integer 0..2^31-1, for salts (src/sasl/salt.ts). */
  random(): number;
  /** Seconds since the Unix epoch, for salts. */
  unixTime(): number;
}

export type SessionAction =
  /** Write these bytes to the client. */
  | { kind: 'write'; bytes: Buffer }
  /**
   * Start the TLS handshake on the client connection now (after the writes before it are
   * flushed). Bytes the client sent after the STARTTLS command in clear text are discarded by
   * the session, never read as commands (the 2011 STARTTLS injection). Then call onTlsStarted.
   */
  | { kind: 'starttls' }
  /** Wait this long with client input paused (Auth-Wait, nginx-auth-http.md §6.13), then run the actions after it. */
  | { kind: 'sleep'; seconds: number }
  /** Ask the auth server with client input paused (the client timer is suspended, §6.13); then call onAuthReply. */
  | { kind: 'auth'; attempt: LoginAttempt }
  /**
   * Logged in: connect to the backend, run `dialogue` over its lines, and on `done` write its
   * `toClient`, then `pipelined` to the backend, then pipe both ways. The session is finished.
   * On any backend failure write `internalError` (or, when the operator passes backend errors
   * on as nginx's proxy_pass_error_message does, the backend's line and CRLF) and close.
   */
  | { kind: 'proxy'; server: string; port: number; family: 4 | 6; dialogue: BackendDialogue; pipelined: Buffer; internalError: Buffer }
  /** Close the connection after the writes before it are flushed. */
  | { kind: 'close' }
  /** A line for the log (never credential bytes). */
  | { kind: 'log'; level: 'info' | 'warn'; message: string };

export interface ClientSession {
  /** What to do when the connection opens: the greeting. */
  start(): SessionAction[];
  /** Bytes from the client, however they were split. Not called while input is paused. */
  onData(bytes: Buffer): SessionAction[];
  /** The handshake asked for by a `starttls` action finished. */
  onTlsStarted(tls: ClientTls): SessionAction[];
  /** The auth server's conclusion for the last `auth` action (a transport failure is `kind: 'error'`). */
  onAuthReply(reply: AuthReply): SessionAction[];
}

/** nginx's `max_errors` default: the 5th invalid command closes (§4.1). */
export const DEFAULT_MAX_ERRORS = 5;

/**
 * Re-queries after `Auth-Status: WAIT` before the session gives up with a temporary failure.
 * nginx re-asks forever, at once when no positive Auth-Wait came (§2.4); Postern waits at least
 * WAIT_MIN_SECONDS and stops after this many (docs/mail-proxy.md).
 */
export const MAX_WAIT_RETRIES = 10;
export const WAIT_MIN_SECONDS = 1;

/** Settings every protocol shares (each protocol's settings type extends this). */
export interface CommonSessionSettings {
  starttls: StarttlsMode;
  /** Invalid commands before the session closes (nginx `max_errors`). */
  maxErrors: number;
}

/**
 * Postern's bearer-token mechanisms (not in nginx): in a protocol's `auth` they are advertised
 * and accepted, each on its own, like CRAM-MD5. Only for an auth server that knows the two
 * Auth-Method values (src/sasl/oauthbearer.ts).
 */
export type BearerMechanism = 'oauthbearer' | 'xoauth2';

/** IMAP (nginx `imap_capabilities`, `imap_auth`, `imap_client_buffer`; §4.1, §4.2). */
export interface ImapSettings extends CommonSessionSettings {
  /** Default `IMAP4 IMAP4rev1 UIDPLUS`. */
  capabilities: string[];
  /** Advertised and (except plain and login, always accepted, §4.1) accepted only when listed. */
  auth: Array<'plain' | 'login' | 'cram-md5' | 'external' | BearerMechanism>;
  /** Default 4096. */
  clientBuffer: number;
}

/** POP3 (nginx `pop3_capabilities`, `pop3_auth`; the client buffer is nginx's fixed 128 bytes). */
export interface Pop3Settings extends CommonSessionSettings {
  /** Default `TOP USER UIDL`. */
  capabilities: string[];
  /** `plain` (USER/PASS, AUTH PLAIN/LOGIN, always accepted), `apop`, `cram-md5`, `external`, the bearer ones. */
  auth: Array<'plain' | 'apop' | 'cram-md5' | 'external' | BearerMechanism>;
}

/** SMTP (nginx `smtp_capabilities`, `smtp_auth`, `smtp_client_buffer`; §4.1, §4.2, §4.5). */
export interface SmtpSettings extends CommonSessionSettings {
  /** EHLO lines besides AUTH and STARTTLS, e.g. `SIZE 10485760`, `8BITMIME`. Default none. */
  capabilities: string[];
  /** `none` allows unauthenticated MAIL/RCPT (the MX listener); the others are SASL mechanisms. */
  auth: Array<'plain' | 'login' | 'cram-md5' | 'external' | BearerMechanism | 'none'>;
  /** Default 4096. */
  clientBuffer: number;
  /** Backend side (§3.4): XCLIENT (default on) and AUTH to the backend (default off). */
  xclient: boolean;
  backendAuth: boolean;
}
