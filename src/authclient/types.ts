/**
 * The auth_http CLIENT side, typed: what one login attempt tells the auth server (the request),
 * and what nginx concludes from the auth server's reply. The mirror image of src/authhttp, which
 * is the server side; both share its vocabulary (Protocol, Method, ClientTls).
 */
import type { ClientTls, Method, Protocol } from '../authhttp/index.js';

export type { ClientTls, Method, Protocol } from '../authhttp/index.js';

/**
 * `Auth-Method` values. nginx sends only `Method` (nginx-auth-http.md §1.4). `oauthbearer` and
 * `xoauth2` are Postern's additions for bearer-token SASL (src/sasl/oauthbearer.ts explains the
 * header usage); an auth server written for nginx has never seen them.
 */
export type AuthMethod = Method | 'oauthbearer' | 'xoauth2';

/** Whether `method` (an Auth-Method value, a SASL mechanism or an `auth` setting) is one of Postern's bearer-token methods. */
export function isBearerMethod(method: string): method is 'oauthbearer' | 'xoauth2' {
  return method === 'oauthbearer' || method === 'xoauth2';
}

/** Where the request goes, as parsed from the `auth_http` URL (url.ts) plus `auth_http_header`. */
export interface AuthHttpTarget {
  /** The request-target: the URL's path and query byte for byte, `/` when it has none (§1.2). */
  uri: string;
  /** The `Host` value: the URL's host without the port, `[v6]` bracketed, `localhost` for `unix:` (§1.2). */
  host: string;
  /** `auth_http_header NAME VALUE` pairs in configuration order, written raw after everything else (§1.3 rows 26..). */
  headers: ReadonlyArray<readonly [name: string, value: string]>;
}

/** The PROXY protocol header the client's connection started with (§1.3 rows 10-13). */
export interface ProxyProtocolSource {
  srcAddr: string;
  srcPort: number;
  dstAddr: string;
  dstPort: number;
}

/** The SMTP envelope gathered before an `Auth-Method: none` request (§1.3 rows 14-16), raw bytes. */
export interface SmtpEnvelopeBytes {
  /** The HELO/EHLO argument; empty if the client never said HELO. */
  helo: Uint8Array;
  /** The whole `MAIL FROM:...` command line as typed, without CRLF. */
  from: Uint8Array;
  /** The whole first `RCPT TO:...` command line as typed, without CRLF. */
  to: Uint8Array;
}

/**
 * One login attempt, i.e. the nginx session fields `ngx_mail_auth_http_create_request` reads.
 * Text fields are written as UTF-8; byte fields byte for byte.
 */
export interface LoginAttempt {
  protocol: Protocol;
  method: AuthMethod;
  /** `s->login`, decoded; escaped on the wire (§1.5). */
  user: Uint8Array;
  /**
   * `s->passwd`, decoded; escaped on the wire. `undefined` is nginx's NULL password (EXTERNAL in
   * a fresh session, or one cleared by an earlier Auth-Salt line): sent as an empty `Auth-Pass`,
   * and it matters to the reply (§2.2: IMAP/POP3 then need `Auth-Pass` back).
   */
  pass?: Uint8Array;
  /** The session's salt, `<rand.time@server_name>` without CRLF (src/sasl/salt.ts); absent if none was made. */
  salt?: string;
  /** `Auth-Login-Attempt`: 1 for the session's first client-initiated attempt (§2.5). */
  attempt: number;
  /** `Client-IP`: the address after realip/PROXY protocol, IPv6 without brackets (§1.3 row 8). */
  clientIp: string;
  /** `Client-Host` (nginx sets it for SMTP only): a PTR name, `[UNAVAILABLE]` or `[TEMPUNAVAIL]`. Empty = not sent. */
  clientHost?: string;
  proxyProtocol?: ProxyProtocolSource;
  /** Written only with `Auth-Method: none`; missing fields are sent empty, as nginx does. */
  smtp?: Partial<SmtpEnvelopeBytes>;
  /**
   * Present when the client connection is TLS. Each field is sent only if non-empty (§1.3 rows
   * 17-25); the caller leaves the certificate fields out when `ssl_verify_client` is off and
   * `cert` out unless `auth_http_pass_client_cert` is on, as nginx does.
   */
  tls?: ClientTls;
}

export interface EncodeOptions {
  /**
   * When `Auth-Salt` is written (§1.3 row 5, §7). `nginx-1.22` (the default, for parity with
   * Debian's 1.22.1): for every method except `plain` once the session has a salt, so also
   * `external` and `none`. `digest-only` (nginx ≥ 1.29.1, commit 9c02c84a7): for `apop` and
   * `cram-md5` only. Postern's bearer methods never carry a salt.
   */
  saltHeader?: 'nginx-1.22' | 'digest-only';
}

export interface EncodedRequest {
  bytes: Buffer;
  /**
   * `s->passwd` after the request was built: writing `Auth-Salt` clears it, so an IMAP/POP3
   * success then needs `Auth-Pass` in the reply. Feed it to readAuthReply (ReplyContext.password).
   */
  sessionPass: Buffer | undefined;
}
