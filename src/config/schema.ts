/**
 * The configuration file's schema: every setting, its default and its limits, in one place.
 * Defaults live here and nowhere else (a `?? 15` in the code would hide an explicit 0).
 * The file is TOML with snake_case keys; env vars POSTERN_<SECTION>_<KEY> override it.
 */
import { z } from 'zod';
import { isValidNetwork } from '../net/cidr.js';
import { KEY_STATES } from '../vault/index.js';
import { normalisePrefix, parsePublicUrl, parseTrustedProxies } from '../http/index.js';
import { bearerWithoutOauth, mailProxySchema } from './mail-proxy.js';
import { oauthSchema } from './oauth.js';

const network = z.string().refine(isValidNetwork, { message: 'not an IP address or CIDR network' });
const port = z.number().int().min(1).max(65535);
const seconds = z.number().int().min(0).max(3600);

export const configSchema = z
  .object({
    listen: z
      .object({
        /** Where the auth_http endpoint listens; keep it on loopback or a private network. */
        host: z.string().min(1).default('127.0.0.1'),
        port: port.default(8880),
        /** The path nginx's `auth_http` URL names (the query string is ignored). */
        path: z.string().startsWith('/').default('/auth'),
      })
      .strict()
      .default({ host: '127.0.0.1', port: 8880, path: '/auth' }),
    auth: z
      .object({
        /** Header nginx must send (`auth_http_header`) carrying the shared secret. */
        secret_header: z
          .string()
          .regex(/^[A-Za-z0-9][A-Za-z0-9-]*$/, 'must be a header name like X-Postern-Secret')
          .default('X-Postern-Secret'),
        /** File holding the shared secret (first line). POSTERN_AUTH_SECRET overrides it. */
        secret_file: z.string().optional(),
        /** Peers allowed to ask (nginx's addresses). */
        allowed_networks: z.array(network).min(1).default(['127.0.0.0/8', '::1/128']),
        /** A decision not made within this time becomes a temporary failure; keep it below nginx's auth_http_timeout. */
        decision_timeout_ms: z.number().int().min(50).max(60000).default(5000),
        /** Auth-Wait after a failed login (Dovecot's auth_failure_delay is 2 s); 0 closes the connection at once. */
        failure_wait_seconds: seconds.default(2),
        /** After this many attempts in one connection no Auth-Wait is sent, so nginx closes it (nginx docs: 10-20). */
        max_attempts: z.number().int().min(1).max(100).default(10),
      })
      .strict()
      .default({
        secret_header: 'X-Postern-Secret',
        allowed_networks: ['127.0.0.0/8', '::1/128'],
        decision_timeout_ms: 5000,
        failure_wait_seconds: 2,
        max_attempts: 10,
      }),
    database: z
      .object({
        kind: z.literal('sqlite').default('sqlite'),
        /** SQLite file; relative paths are relative to the config file. */
        path: z.string().min(1).default('postern-data/postern.db'),
      })
      .strict()
      .default({ kind: 'sqlite', path: 'postern-data/postern.db' }),
    directory: z
      .object({
        /** Domain appended to logins without one (`bob` → `bob@example.com`); empty = such logins are unknown. */
        default_domain: z.string().default(''),
        /** Sub-address separator for inbound mail (`bob+news@` → `bob@`); empty disables it. */
        recipient_delimiter: z.string().max(1).default('+'),
      })
      .strict()
      .default({ default_domain: '', recipient_delimiter: '+' }),
    passwords: z
      .object({
        /** Re-hash non-argon2id passwords with argon2id after a successful login. */
        upgrade_on_login: z.boolean().default(true),
        argon2_memory_kib: z.number().int().min(1024).max(4194304).default(19456),
        argon2_iterations: z.number().int().min(1).max(100).default(2),
        argon2_parallelism: z.number().int().min(1).max(16).default(1),
        /** Verifications running at once (libuv's thread pool has 4 threads by default). */
        hash_concurrency: z.number().int().min(1).max(256).default(4),
        /** Verifications allowed to wait; beyond that a login gets a temporary failure at once. */
        hash_queue: z.number().int().min(0).max(100000).default(200),
      })
      .strict()
      .default({
        upgrade_on_login: true,
        argon2_memory_kib: 19456,
        argon2_iterations: 2,
        argon2_parallelism: 1,
        hash_concurrency: 4,
        hash_queue: 200,
      }),
    cache: z
      .object({
        /** How long a verified password is trusted without hashing again (Dovecot: 1 h); 0 turns the cache off. */
        ttl_seconds: z.number().int().min(0).max(86400).default(3600),
        /** How long a wrong password (or unknown login) is remembered. */
        negative_ttl_seconds: z.number().int().min(0).max(86400).default(300),
        /** While the directory is unavailable, logins verified this recently still work (Dovecot does this); 0 never. */
        stale_seconds: z.number().int().min(0).max(7 * 86400).default(3600),
        max_entries: z.number().int().min(100).max(10_000_000).default(100_000),
        /** Directory answers (logins, routes) kept in memory until the next write; 0 asks the database every time. */
        directory_entries: z.number().int().min(0).max(10_000_000).default(50_000),
      })
      .strict()
      .default({ ttl_seconds: 3600, negative_ttl_seconds: 300, stale_seconds: 3600, max_entries: 100_000, directory_entries: 50_000 }),
    defence: z
      .object({
        /** Networks never delayed, limited or banned (your office, your webmail). */
        trusted_networks: z.array(network).default([]),
        /** Failures are also counted per subnet of this size (Mailu and Dovecot: /24 and /48). */
        ipv4_prefix: z.number().int().min(8).max(32).default(24),
        ipv6_prefix: z.number().int().min(16).max(128).default(48),
        /** Auth-Wait doubles from auth.failure_wait_seconds with each failure, up to this (Dovecot: 15 s). */
        penalty_max_seconds: z.number().int().min(1).max(3600).default(15),
        /** Failures further back than this no longer raise the delay (Dovecot forgets after ~30 s). */
        penalty_window_seconds: z.number().int().min(1).max(86400).default(60),
        /** Window for the IP and subnet limits. */
        window_seconds: z.number().int().min(1).max(86400).default(900),
        /** Distinct failed logins (login and password pairs) from one IP before it is banned. */
        ip_limit: z.number().int().min(1).max(1_000_000).default(15),
        /** Distinct failed logins from one subnet before it is banned. */
        subnet_limit: z.number().int().min(1).max(1_000_000).default(60),
        /** Distinct unknown user names tried from one subnet before it is banned (Mailu: 5 an hour). */
        unknown_users_limit: z.number().int().min(1).max(1_000_000).default(10),
        unknown_users_window_seconds: z.number().int().min(1).max(7 * 86400).default(3600),
        /** Distinct wrong passwords for one mailbox before it accepts only its owner's networks. */
        account_limit: z.number().int().min(1).max(1_000_000).default(10),
        account_window_seconds: z.number().int().min(1).max(7 * 86400).default(3600),
        /** How long a ban lasts (postern bans lift ends it early). */
        ban_seconds: z.number().int().min(1).max(365 * 86400).default(3600),
        /** A network that logged in successfully counts as the mailbox owner's for this long. */
        owner_memory_seconds: z.number().int().min(60).max(365 * 86400).default(7 * 86400),
      })
      .strict()
      .default({
        trusted_networks: [],
        ipv4_prefix: 24,
        ipv6_prefix: 48,
        penalty_max_seconds: 15,
        penalty_window_seconds: 60,
        window_seconds: 900,
        ip_limit: 15,
        subnet_limit: 60,
        unknown_users_limit: 10,
        unknown_users_window_seconds: 3600,
        account_limit: 10,
        account_window_seconds: 3600,
        ban_seconds: 3600,
        owner_memory_seconds: 7 * 86400,
      }),
    vault: z
      .object({
        /**
         * The keyring for secrets Postern must read back (APOP/CRAM-MD5 credentials, backend master
         * passwords). Empty: the vault is off. Each key's bytes come from `file` (relative to the
         * config file) or from POSTERN_KEY_<ID>; exactly one key is active (src/vault/keyring.ts
         * checks the rest).
         */
        keys: z
          .array(
            z
              .object({
                id: z.string(),
                state: z.enum(KEY_STATES),
                file: z.string().min(1).optional(),
              })
              .strict(),
          )
          .default([]),
        /**
         * Start even when stored secrets name keys that are missing, retired or wrong (the
         * start-up check would refuse): those secrets are unreadable and their logins get a
         * temporary failure. Same as `postern serve --degraded`. For emergencies only.
         */
        allow_degraded: z.boolean().default(false),
      })
      .strict()
      .default({ keys: [], allow_degraded: false }),
    admin: z
      .object({
        /** Run the admin console and API (a second HTTP listener) beside the auth endpoint. */
        enabled: z.boolean().default(true),
        /** Where the console listens; keep it on loopback and put a reverse proxy (TLS) in front. */
        host: z.string().min(1).default('127.0.0.1'),
        /** `postern init` writes the auth port + 1 here. */
        port: port.default(8881),
        /** Postern's own mount path: requests arrive under it (`/admin/` when the proxy maps `/` there). */
        path: z
          .string()
          .superRefine((v, ctx) => {
            const p = normalisePrefix(v);
            if (!p.ok) ctx.addIssue({ code: 'custom', message: p.error.detail });
          })
          .default('/'),
        /**
         * The address browsers use (origin plus path). Cookie Path, links, redirects, the CSRF
         * origin check and the Secure flag derive from it. Empty: http://<host>:<port><path>.
         */
        public_url: z
          .string()
          .superRefine((v, ctx) => {
            if (v.trim() === '') return;
            const u = parsePublicUrl(v);
            if (!u.ok) ctx.addIssue({ code: 'custom', message: `${u.error.code}: ${u.error.detail}` });
          })
          .default(''),
        /** Peers whose X-Forwarded-* / Forwarded headers (and PROXY protocol) are believed: addresses, CIDRs, or loopback, linklocal, private. */
        trusted_proxies: z
          .array(z.string())
          .superRefine((v, ctx) => {
            const t = parseTrustedProxies(v);
            if (!t.ok) ctx.addIssue({ code: 'custom', message: t.error.detail });
          })
          .default(['loopback']),
        /** Which header carries the client address chain; `none` ignores every forwarding header. */
        client_ip_header: z.enum(['x-forwarded-for', 'forwarded', 'none']).default('x-forwarded-for'),
        /** At most this many trusted proxies (the socket peer counts) are stepped over in the chain. */
        max_proxy_hops: z.number().int().min(1).max(100).default(10),
        /** Expect a PROXY protocol (v1/v2) header on connections from trusted proxies (a load balancer in TCP mode). */
        proxy_protocol: z.boolean().default(false),
        /** `auto` serves unprefixed paths (a proxy that strips the prefix); `require` redirects them into the prefix. */
        prefix_mode: z.enum(['auto', 'require']).default('auto'),
        /** A session unused this long ends (OWASP: 15-30 minutes for low-risk applications). */
        session_idle_minutes: z.number().int().min(1).max(24 * 60).default(30),
        /** A session ends this long after login, however active (SFTPGo's 12 h cap). */
        session_max_hours: z.number().int().min(1).max(30 * 24).default(12),
        /** Tie a session to the resolved client IP: off, its subnet (/24, /64) or the exact address. */
        session_binding: z.enum(['off', 'subnet', 'exact']).default('off'),
        /** Distinct failed console logins from one client IP within login_window_minutes before it must wait. */
        login_ip_limit: z.number().int().min(1).max(10_000).default(10),
        /** Distinct wrong passwords for one admin name within the window before it is locked (except from networks it logged in from). */
        login_name_limit: z.number().int().min(1).max(10_000).default(10),
        login_window_minutes: z.number().int().min(1).max(24 * 60).default(15),
      })
      .strict()
      .default({
        enabled: true,
        host: '127.0.0.1',
        port: 8881,
        path: '/',
        public_url: '',
        trusted_proxies: ['loopback'],
        client_ip_header: 'x-forwarded-for',
        max_proxy_hops: 10,
        proxy_protocol: false,
        prefix_mode: 'auto',
        session_idle_minutes: 30,
        session_max_hours: 12,
        session_binding: 'off',
        login_ip_limit: 10,
        login_name_limit: 10,
        login_window_minutes: 15,
      }),
    history: z
      .object({
        /** Record every login decision (not inbound mail routing) for the console's login history and dashboard. */
        enabled: z.boolean().default(true),
        /** Entries older than this many days are deleted, at start and hourly (also with enabled = false, so what was kept ages out). */
        retention_days: z.number().int().min(1).max(3650).default(30),
      })
      .strict()
      .default({ enabled: true, retention_days: 30 }),
    dns: z
      .object({
        /** How long a backend host name's address is reused. */
        cache_seconds: seconds.default(60),
      })
      .strict()
      .default({ cache_seconds: 60 }),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      })
      .strict()
      .default({ level: 'info' }),
    /** Postern's own IMAP/POP3/SMTP proxy (src/config/mail-proxy.ts). */
    mail_proxy: mailProxySchema,
    /** Bearer-token logins (OAUTHBEARER, XOAUTH2) checked by OAuth 2.0 token introspection (src/config/oauth.ts). */
    oauth: oauthSchema,
  })
  .strict()
  .superRefine((c, ctx) => {
    // Only partly parsed when a section has problems of its own: those are reported already.
    if (!Array.isArray(c.mail_proxy?.listeners)) return;
    for (const issue of bearerWithoutOauth(c.mail_proxy, c.oauth !== undefined)) ctx.addIssue({ code: 'custom', ...issue });
  });

export type ConfigFile = z.infer<typeof configSchema>;
