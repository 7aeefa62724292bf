/**
 * The typed shape of one nginx `auth_http` exchange: what the request means once decoded,
 * and what Postern decided. The codec (request.ts, reply.ts) converts between these and
 * bytes; nothing here touches a socket.
 */

export const PROTOCOLS = ['imap', 'pop3', 'smtp'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/** nginx-auth-http.md §1.4: `login` is never sent; LOGIN, IMAP LOGIN and USER/PASS arrive as `plain`. */
export const METHODS = ['plain', 'apop', 'cram-md5', 'external', 'none'] as const;

/**
 * Postern's additions, sent only by Postern's own mail proxy (never by nginx): OAUTHBEARER and
 * XOAUTH2 logins, the authorization identity in Auth-User (may be empty) and the bearer token in
 * Auth-Pass, no Auth-Salt (src/sasl/oauthbearer.ts).
 */
export const BEARER_METHODS = ['oauthbearer', 'xoauth2'] as const;
export type BearerMethod = (typeof BEARER_METHODS)[number];

export type Method = (typeof METHODS)[number] | BearerMethod;

/** TLS facts nginx reports about the client connection (§1.3 rows 17-25). */
export interface ClientTls {
  protocol?: string;
  cipher?: string;
  /** `SUCCESS`, `FAILED:<reason>` or `NONE`; absent when `ssl_verify_client` is off. */
  verify?: string;
  subject?: string;
  issuer?: string;
  serial?: string;
  /** SHA-1 of the client certificate, 40 lower-case hex characters. */
  fingerprint?: string;
  /** PEM, already percent-decoded. */
  cert?: string;
}

/** The SMTP envelope nginx gathered before asking, only with `Auth-Method: none` (§1.3 rows 14-16). Raw, not escaped. */
export interface SmtpEnvelope {
  helo: string;
  /** The whole command line as typed, e.g. `MAIL FROM:<a@b.c> SIZE=100`. */
  from: string;
  /** The whole first RCPT command line, e.g. `RCPT TO:<x@y.z> NOTIFY=NEVER`. */
  to: string;
}

export interface ProxyProtocolInfo {
  addr?: string;
  port?: string;
  serverAddr?: string;
  serverPort?: string;
}

/** One decoded auth request. Credentials stay bytes: passwords are compared as bytes, never re-encoded. */
export interface AuthRequest {
  method: Method;
  protocol: Protocol;
  /** Percent-decoded `Auth-User` bytes. Empty for `none` whatever nginx sent (§5.3). */
  user: Buffer;
  /** Percent-decoded `Auth-Pass` bytes. Empty for `none` whatever nginx sent (§5.3). */
  pass: Buffer;
  /** `Auth-Salt` as sent (may include the trailing brackets), only meaningful for apop/cram-md5. */
  salt?: string;
  /** `Auth-Login-Attempt`, starting at 1. */
  attempt: number;
  /** `Client-IP`: the address after realip / PROXY protocol, IPv6 without brackets. */
  clientIp: string;
  /** `Client-Host` (SMTP only): a PTR name or `[UNAVAILABLE]` / `[TEMPUNAVAIL]`. */
  clientHost?: string;
  smtp?: SmtpEnvelope;
  /** Present when the client connection is TLS (`Auth-SSL: on`). */
  tls?: ClientTls;
  proxyProtocol?: ProxyProtocolInfo;
  /**
   * Set by the listener, not by nginx: the request came to the auth_http path for inbound-mail
   * listeners (`<path>/mx`), where only `Auth-Method: none` belongs.
   */
  mxOnly?: boolean;
}

/**
 * What Postern answers. `reason` is a stable code for logs and metrics; it never reaches nginx.
 * A failure's text is what the client sees, so it must never be empty (§2.2: SMTP treats an
 * empty status as success).
 */
export type AuthDecision =
  | {
      kind: 'ok';
      /** IP literal (IPv6 without brackets): nginx does no DNS (§2.2 Auth-Server). */
      server: string;
      port: number;
      /** Rewrites the backend login (`Auth-User`); `''` sends an empty `Auth-User` (clears a stale XCLIENT LOGIN). */
      user?: string;
      /** Rewrites the backend password (`Auth-Pass`). */
      pass?: string;
    }
  | {
      kind: 'fail';
      /** A temporary failure: SMTP gets a 4xx code, IMAP/POP3 a "try again later" text. */
      temporary: boolean;
      /** Text shown to the client, without the SMTP code. */
      message: string;
      /** SMTP reply code and enhanced status, e.g. `535 5.7.8`. Sent only for SMTP. */
      smtpCode?: string;
      /** Seconds nginx waits before showing the error and letting the client retry; absent = close. */
      wait?: number;
    }
  | {
      /** Undocumented `Auth-Status: WAIT` (§2.4): nginx asks again after `wait` seconds (always ≥ 1). */
      kind: 'wait';
      wait: number;
    };

/**
 * The result of decoding peer input: the codec never throws on bytes from the wire, it returns
 * `ok: false` with a stable `code` (for logs, metrics and deciding the answer) and a `detail`
 * for humans. A `detail` never contains credential bytes.
 */
export type ParseResult<T, C extends string = string> =
  | { ok: true; value: T }
  | { ok: false; error: { code: C; detail: string } };
