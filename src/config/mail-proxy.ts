/**
 * The `[mail_proxy]` section of the schema: Postern's own IMAP/POP3/SMTP proxy (docs/mail-proxy.md),
 * off by default. Kept apart from schema.ts because it is the one section with a list of tables
 * whose defaults depend on another field (a listener's auth methods and capabilities follow its
 * protocol, as nginx's do, nginx-auth-http.md §4.1). Defaults live here and nowhere else.
 */
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { z } from 'zod';
import { parseAuthHttpUrl } from '../authclient/index.js';
import { VERIFY_CLIENT_MODES } from '../mailproxy/client-cert/verdict.js';
import { isValidNetwork } from '../net/cidr.js';

export const LISTENER_PROTOCOLS = ['imap', 'pop3', 'smtp', 'smtp-mx'] as const;
export type ListenerProtocol = (typeof LISTENER_PROTOCOLS)[number];

/**
 * Postern's bearer-token mechanisms (not nginx's): each goes to the auth server as its own
 * Auth-Method value, which an auth server written for nginx has never seen (src/sasl/oauthbearer.ts).
 */
export const BEARER_AUTH_METHODS = ['oauthbearer', 'xoauth2'] as const;
/** What each protocol may advertise or accept (nginx's `*_auth`, §4.1, plus the bearer ones); `smtp-mx` is SMTP with `none` only. */
const AUTH_METHODS: Record<ListenerProtocol, readonly string[]> = {
  imap: ['plain', 'login', 'cram-md5', 'external', ...BEARER_AUTH_METHODS],
  pop3: ['plain', 'apop', 'cram-md5', 'external', ...BEARER_AUTH_METHODS],
  smtp: ['plain', 'login', 'cram-md5', 'external', ...BEARER_AUTH_METHODS],
  'smtp-mx': ['none'],
};
/** nginx's defaults (§4.1): `imap_auth plain`, `pop3_auth plain`, `smtp_auth plain login`. */
const DEFAULT_AUTH: Record<ListenerProtocol, string[]> = { imap: ['plain'], pop3: ['plain'], smtp: ['plain', 'login'], 'smtp-mx': ['none'] };
/** nginx's `*_capabilities` defaults (§4.1). */
const DEFAULT_CAPABILITIES: Record<ListenerProtocol, string[]> = { imap: ['IMAP4', 'IMAP4rev1', 'UIDPLUS'], pop3: ['TOP', 'USER', 'UIDL'], smtp: [], 'smtp-mx': [] };

/** backend_tls_ca_file's two words that are no file: the operating system's CA bundle, Node's own roots. */
export const BACKEND_CA_SYSTEM = 'system';
export const BACKEND_CA_BUNDLED = 'bundled';

/**
 * A DNS server as Node's Resolver.setServers takes it: `192.0.2.53`, `192.0.2.53:5353`,
 * `2001:db8::53` or `[2001:db8::53]:5353`.
 */
export function isDnsServer(v: string): boolean {
  if (isIP(v) === 6) return true;
  const port = (p: string | undefined): boolean => p === undefined || (/^\d{1,5}$/.test(p) && Number(p) >= 1 && Number(p) <= 65535);
  const v6 = /^\[([^\]]+)\](?::(.*))?$/.exec(v);
  if (v6) return isIP(v6[1]!) === 6 && port(v6[2]);
  const v4 = /^([^:]+)(?::(.*))?$/.exec(v);
  return v4 !== null && isIP(v4[1]!) === 4 && port(v4[2]);
}

/** `in-process` (Postern answers itself, no socket) or an nginx-style `auth_http` URL. */
export const IN_PROCESS = 'in-process';
const authHttp = z.string().superRefine((v, ctx) => {
  if (v === IN_PROCESS) return;
  const u = parseAuthHttpUrl(v);
  if (!u.ok) ctx.addIssue({ code: 'custom', message: `not "${IN_PROCESS}" nor an auth_http URL such as 127.0.0.1:8880/auth (${u.error.detail})` });
});
const network = z.string().refine(isValidNetwork, { message: 'not an IP address or CIDR network' });
const printable = z.string().min(1).regex(/^[\x20-\x7e]+$/, 'must be printable ASCII');
const headerName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]*$/, 'must be a header name like X-Postern-Secret');

const listener = z
  .object({
    protocol: z.enum(LISTENER_PROTOCOLS),
    host: z.string().min(1).default('127.0.0.1'),
    /** 0 lets the system choose (the log says which): for tests. */
    port: z.number().int().min(0).max(65535),
    /** `starttls` offers STARTTLS/STLS; `starttls-only` refuses logins before it (nginx `starttls only`). */
    tls: z.enum(['none', 'implicit', 'starttls', 'starttls-only']).default('none'),
    /** Expect a PROXY protocol header (v1 or v2) from mail_proxy.trusted_proxies; others must not send one. */
    proxy_protocol: z.boolean().default(false),
    /** Default per protocol, as nginx's `*_capabilities`. */
    capabilities: z.array(printable).optional(),
    /**
     * Advertised methods (plain ones are always accepted, §4.1). Default per protocol, as nginx's
     * `*_auth`. `oauthbearer` and `xoauth2` reach the auth server as new Auth-Method values: only
     * for an auth server that understands them.
     */
    auth: z.array(z.string()).optional(),
    /** Invalid commands before the connection is closed (nginx `max_errors`). */
    max_errors: z.number().int().min(1).max(1000).default(5),
    /** Longest IMAP/SMTP command line (nginx `*_client_buffer`); POP3 keeps nginx's fixed 128 bytes. */
    client_buffer: z.number().int().min(512).max(1024 * 1024).default(4096),
    /** SMTP: send XCLIENT with the client's address (and login) when the backend offers it. */
    xclient: z.boolean().default(true),
    /** SMTP: log in to the backend with AUTH (nginx `proxy_smtp_auth`). */
    backend_auth: z.boolean().default(false),
    /** TLS to the backend, its certificate verified against backend_tls_ca_file. */
    backend_tls: z.enum(['none', 'implicit', 'starttls']).default('none'),
    /** A PEM file, or `system` (the operating system's CA bundle, the default) or `bundled` (Node's own roots). */
    backend_tls_ca_file: z.string().min(1).default(BACKEND_CA_SYSTEM),
    /** The name the backend's certificate must carry (also sent as SNI); default: its IP address. */
    backend_tls_servername: z.string().min(1).optional(),
    /** A PROXY protocol header to the backend carrying the client's address. */
    backend_proxy_protocol: z.enum(['off', 'v1', 'v2']).default('off'),
    /** This listener's auth server, instead of mail_proxy.auth_http. */
    auth_http: authHttp.optional(),
    /** Ask TLS clients for a certificate and judge it as nginx's `ssl_verify_client` does. */
    tls_verify_client: z.enum(VERIFY_CLIENT_MODES).default('off'),
    /** The CAs (PEM) client certificates are verified against and that clients are told of (nginx `ssl_client_certificate`). */
    tls_client_ca_file: z.string().min(1).optional(),
    /** Send the client's certificate in Auth-SSL-Cert (nginx `auth_http_pass_client_cert`); default: mail_proxy's. */
    auth_http_pass_client_cert: z.boolean().optional(),
  })
  .strict()
  .superRefine((l, ctx) => {
    const allowed = AUTH_METHODS[l.protocol];
    for (const [i, m] of (l.auth ?? []).entries()) {
      if (!allowed.includes(m)) ctx.addIssue({ code: 'custom', path: ['auth', i], message: `"${m}" is not an auth method for ${l.protocol} (use ${allowed.join(', ')})` });
    }
    if (l.auth !== undefined && l.auth.length === 0) ctx.addIssue({ code: 'custom', path: ['auth'], message: 'name at least one method' });
    // Inbound mail replays MAIL/RCPT unauthenticated (§3.4), so AUTH to the backend is submission's only.
    if (l.backend_auth && l.protocol !== 'smtp') ctx.addIssue({ code: 'custom', path: ['backend_auth'], message: 'is for protocol = "smtp" listeners only' });
    // nginx refuses `ssl_verify_client on|optional` without ssl_client_certificate; a CA file that
    // verifies nothing would only look like a check.
    if (l.tls_verify_client !== 'off' && l.tls === 'none') ctx.addIssue({ code: 'custom', path: ['tls_verify_client'], message: 'needs tls = "implicit", "starttls" or "starttls-only"' });
    if ((l.tls_verify_client === 'on' || l.tls_verify_client === 'optional') && l.tls_client_ca_file === undefined) {
      ctx.addIssue({ code: 'custom', path: ['tls_client_ca_file'], message: `needed with tls_verify_client = "${l.tls_verify_client}" (only "optional_no_ca" verifies against no CA)` });
    }
    if (l.tls_client_ca_file !== undefined && l.tls_verify_client === 'off') ctx.addIssue({ code: 'custom', path: ['tls_client_ca_file'], message: 'is used only with tls_verify_client = "on", "optional" or "optional_no_ca"' });
  })
  .transform((l) => ({ ...l, auth: l.auth ?? DEFAULT_AUTH[l.protocol], capabilities: l.capabilities ?? DEFAULT_CAPABILITIES[l.protocol] }));

export type MailProxyListenerConfig = z.output<typeof listener>;

export const mailProxySchema = z
  .object({
    /** Run Postern's own mail proxy inside `postern serve`. */
    enabled: z.boolean().default(false),
    /** nginx's `server_name`: in the SMTP greeting and EHLO, and in salts. Default: this machine's host name. */
    server_name: printable.regex(/^\S+$/, 'must be one word').default(() => hostname()),
    /** Who decides logins: `in-process` (this Postern, no socket, same answers) or an auth_http URL. */
    auth_http: authHttp.default(IN_PROCESS),
    /** A total deadline for connecting to the auth server, sending and reading its reply (nginx: 60 s). */
    auth_http_timeout_ms: z.number().int().min(100).max(600_000).default(60_000),
    /** Extra request headers (nginx `auth_http_header`), e.g. Postern's shared secret header. */
    auth_http_headers: z.record(headerName, printable).default({}),
    /** Send a verified listener's client certificate (PEM) in Auth-SSL-Cert (nginx `auth_http_pass_client_cert`). */
    auth_http_pass_client_cert: z.boolean().default(false),
    /** DNS servers for SMTP's Client-Host (nginx `resolver`); none: `[UNAVAILABLE]`, nginx's default. */
    resolver: z.array(z.string().refine(isDnsServer, { message: 'not a DNS server address such as 127.0.0.1, 127.0.0.1:5353 or [::1]:53' })).default([]),
    /** Each of the two lookups' limit (nginx `resolver_timeout`, 30 s); past it, `[TEMPUNAVAIL]`. */
    resolver_timeout_seconds: z.number().int().min(1).max(600).default(30),
    /** Client idle time before login, and the backend login's time limit (nginx `timeout`). */
    timeout_seconds: z.number().int().min(1).max(86400).default(60),
    /** Total time a client may take to log in, however active (a slow drip cannot hold a connection). */
    login_timeout_seconds: z.number().int().min(1).max(86400).default(300),
    /** Idle time after login, both directions (nginx `proxy_timeout`). */
    proxy_timeout_seconds: z.number().int().min(1).max(30 * 86400).default(86400),
    /** Show the backend's refusal line to the client instead of the internal error (nginx `proxy_pass_error_message`). */
    pass_error_message: z.boolean().default(false),
    /** Load balancers whose PROXY protocol header is believed (listeners with proxy_protocol = true). */
    trusted_proxies: z.array(network).default([]),
    /** Certificate and key (PEM) for listeners with TLS; relative paths are relative to the config file. */
    tls_cert_file: z.string().min(1).optional(),
    tls_key_file: z.string().min(1).optional(),
    /** Client connections open at once over all listeners; more are closed at once. */
    max_connections: z.number().int().min(1).max(1_000_000).default(1000),
    /** At shutdown, logged-in connections get this long to finish before they are cut. */
    shutdown_grace_seconds: z.number().int().min(0).max(3600).default(10),
    listeners: z.array(listener).default([]),
  })
  .strict()
  .superRefine((m, ctx) => {
    const tlsListeners = m.listeners.filter((l) => l.tls !== 'none');
    if (tlsListeners.length > 0) {
      for (const key of ['tls_cert_file', 'tls_key_file'] as const) {
        if (m[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: `needed: listener(s) on port ${tlsListeners.map((l) => l.port).join(', ')} use TLS` });
      }
    }
    const seen = new Set<string>();
    for (const [i, l] of m.listeners.entries()) {
      const where = `${l.host}:${l.port}`;
      if (l.port !== 0 && seen.has(where)) ctx.addIssue({ code: 'custom', path: ['listeners', i, 'port'], message: `${where} is used by another listener` });
      seen.add(where);
    }
    if (m.enabled && m.listeners.length === 0) ctx.addIssue({ code: 'custom', path: ['listeners'], message: 'enabled = true needs at least one [[mail_proxy.listeners]]' });
  })
  .prefault({});

export type MailProxySection = z.output<typeof mailProxySchema>;

/**
 * Listeners that offer `oauthbearer` or `xoauth2` and ask Postern itself (`in-process`): its
 * auth endpoint checks bearer tokens only with an `[oauth]` section, so without one every such
 * login would be refused. Checked where the whole configuration is known (schema.ts).
 */
export function bearerWithoutOauth(mp: MailProxySection, oauthConfigured: boolean): Array<{ path: Array<string | number>; message: string }> {
  if (oauthConfigured) return [];
  return mp.listeners.flatMap((l, i) => {
    const bearer = (l.auth ?? []).filter((a) => (BEARER_AUTH_METHODS as readonly string[]).includes(a));
    if (bearer.length === 0 || (l.auth_http ?? mp.auth_http) !== IN_PROCESS) return [];
    const names = bearer.join(' and ');
    return [
      {
        path: ['mail_proxy', 'listeners', i, 'auth'],
        message: `${names}: Postern's own auth endpoint (auth_http = "${IN_PROCESS}") checks bearer tokens only with an [oauth] section; add one, or set this listener's auth_http to an auth server that understands Auth-Method ${names}`,
      },
    ];
  });
}
