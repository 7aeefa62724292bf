/**
 * `postern init`: a first configuration with secure defaults, a fresh shared secret, and the
 * nginx `mail {}` block that matches it. Never overwrites an existing file.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { generateKey } from '../vault/index.js';
import type { Config } from './load.js';

export interface InitResult {
  configFile: string;
  secretFile: string;
  dataDir: string;
  /** The first vault key (mode 0600), listed as the active key `k1` in [vault]. */
  keyFile: string;
}

/** The id of the vault key `init` creates. */
export const FIRST_KEY_ID = 'k1';

export class InitRefused extends Error {}

/** `port` is the auth_http port (default 8880); the console gets `adminPort`, by default the next port. */
export function initConfig(configFile: string, opts: { port?: number; adminPort?: number } = {}): InitResult {
  const base = dirname(configFile);
  const dataDir = join(base, 'postern-data');
  const secretFile = join(dataDir, 'auth-secret');
  const keyDir = join(dataDir, 'keys');
  const keyFile = join(keyDir, `${FIRST_KEY_ID}.key`);
  for (const f of [configFile, secretFile, keyFile]) {
    if (existsSync(f)) throw new InitRefused(`${f} already exists; Postern never overwrites it. Remove it first if you really want a new one.`);
  }
  mkdirSync(keyDir, { recursive: true, mode: 0o700 });
  // 32 random bytes, base64url: printable and safe as an nginx header value without quoting.
  writeFileSync(secretFile, randomBytes(32).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
  writeFileSync(keyFile, generateKey().text + '\n', { mode: 0o600, flag: 'wx' });
  writeFileSync(
    configFile,
    configTemplate(relative(base, secretFile), relative(base, join(dataDir, 'postern.db')), opts.port ?? 8880, relative(base, keyFile), opts.adminPort ?? nextPort(opts.port ?? 8880)),
    { mode: 0o600, flag: 'wx' },
  );
  return { configFile, secretFile, dataDir, keyFile };
}

const nextPort = (port: number): number => (port < 65535 ? port + 1 : port - 1);

function configTemplate(secretFile: string, dbFile: string, port: number, keyFile: string, adminPort: number): string {
  return `# Postern configuration (TOML). Every setting can be overridden by an environment
# variable POSTERN_<SECTION>_<KEY>, e.g. POSTERN_LISTEN_PORT=8881.
# Check it with: postern config check

[listen]
# The auth_http endpoint nginx asks. Keep it on loopback or a private network.
host = "127.0.0.1"
port = ${port}
path = "/auth"

[auth]
# nginx must send this header (auth_http_header) with the secret below.
secret_header = "X-Postern-Secret"
# Or set POSTERN_AUTH_SECRET in the environment instead.
secret_file = "${secretFile}"
# Only these peers may ask (nginx's addresses).
allowed_networks = ["127.0.0.0/8", "::1/128"]
# Answer a temporary failure rather than let nginx's auth_http_timeout expire.
decision_timeout_ms = 5000
# Auth-Wait after a failed login (seconds; 0 closes the connection at once).
failure_wait_seconds = 2
# After this many attempts in one connection, nginx is told to close it.
max_attempts = 10

[database]
kind = "sqlite"
path = "${dbFile}"

[directory]
# Appended to logins without a domain ("bob" -> "bob@example.com"); empty: such logins are unknown.
default_domain = ""
# Inbound mail to bob+news@example.com goes to bob@example.com.
recipient_delimiter = "+"

[passwords]
# Re-hash older schemes with argon2id after a successful login.
upgrade_on_login = true
argon2_memory_kib = 19456
argon2_iterations = 2
argon2_parallelism = 1
# Verifications at once, and how many may wait before logins get a temporary failure.
hash_concurrency = 4
hash_queue = 200

[cache]
# A verified password is trusted this long without hashing again; 0 turns the cache off.
# Entries are keyed by an HMAC of login and password and die with any password change.
ttl_seconds = 3600
negative_ttl_seconds = 300
# While the database is unavailable, logins verified this recently still work; 0 never.
stale_seconds = 3600
max_entries = 100000
# Directory answers kept in memory until anything is written (by Postern or the CLI); 0: none.
directory_entries = 50000

[defence]
# Never delayed, limited or banned (your office, your webmail servers).
trusted_networks = []
# Failures also count per subnet of this size.
ipv4_prefix = 24
ipv6_prefix = 48
# Auth-Wait doubles from auth.failure_wait_seconds per failure up to this, and calms down
# after penalty_window_seconds without failures (Dovecot's penalty).
penalty_max_seconds = 15
penalty_window_seconds = 60
# Bans: distinct failed logins per IP / per subnet within window_seconds, distinct unknown
# user names per subnet, distinct wrong passwords per mailbox (then only its owner's networks
# and trusted networks may log in to it). A client retrying one stale password counts once.
window_seconds = 900
ip_limit = 15
subnet_limit = 60
unknown_users_limit = 10
unknown_users_window_seconds = 3600
account_limit = 10
account_window_seconds = 3600
ban_seconds = 3600
# A network that logged in successfully is its mailbox owner's for this long.
owner_memory_seconds = 604800

[vault]
# Keys that encrypt the secrets Postern must read back (APOP/CRAM-MD5 credentials, backend
# master passwords). Each key is 32 random bytes as base64 in a file (relative to this file) or
# in POSTERN_KEY_<ID>; exactly one is "active" (new secrets use it), older ones "decrypt-only",
# unused ones "retired".
# Back the key files up apart from the database: a database backup without its keys cannot
# give these secrets back. An empty list (keys = []) turns the vault off.
keys = [
  { id = "${FIRST_KEY_ID}", state = "active", file = "${keyFile}" },
]
# At start Postern checks that every key id the stored secrets name is configured and proven,
# and refuses to start otherwise. true (or \`postern serve --degraded\`) starts anyway, with
# those secrets unreadable: for emergencies only.
allow_degraded = false

[admin]
# The admin console and its API (administrators: "postern admin add <name>").
enabled = true
# Where Postern listens for it; keep it on loopback and put a TLS reverse proxy in front.
host = "127.0.0.1"
port = ${adminPort}
# Postern's own mount path: "/admin/" if the proxy maps https://admin.example.com/ to
# http://127.0.0.1:${adminPort}/admin/.
path = "/"
# The address browsers use, origin and path: cookie Path, links, redirects, the CSRF origin
# check and the Secure flag derive from it, whatever the proxy keeps or strips. Empty: the
# listener's own http://host:port/path (fine for a browser on this machine).
# public_url = "https://mail.example.com/postern/"
public_url = ""
# Peers whose X-Forwarded-* / Forwarded headers (and PROXY protocol) are believed: addresses,
# CIDR networks, or "loopback", "linklocal", "private". Never 0.0.0.0/0: any client could
# then choose its own address.
trusted_proxies = ["loopback"]
# Where the client address chain comes from: "x-forwarded-for", "forwarded" (RFC 7239) or "none".
client_ip_header = "x-forwarded-for"
# At most this many trusted proxies are stepped over in that chain.
max_proxy_hops = 10
# A load balancer in TCP mode sends a PROXY protocol header; accepted only from trusted_proxies.
proxy_protocol = false
# "auto": serve unprefixed paths too (the proxy strips the prefix); "require": redirect them
# into the prefix (the proxy keeps it).
prefix_mode = "auto"
# Sessions end after this long unused, and this long after sign-in.
session_idle_minutes = 30
session_max_hours = 12
# Tie a session to the client IP (resolved through trusted proxies): "off", "subnet" (/24,
# /64) or "exact". A load balancer changing its own address never matters.
session_binding = "off"
# Failed console logins: distinct attempts per client IP, and distinct wrong passwords per
# admin name, within the window (the name limit spares networks that admin signed in from).
login_ip_limit = 10
login_name_limit = 10
login_window_minutes = 15

[history]
# The login history and the console's dashboard: one entry per login decision (inbound mail
# routing is not a login), written in batches once a second, never on a login's path.
enabled = true
# Entries older than this are deleted at start and hourly, also when enabled = false (so what
# was kept ages out). 1 to 3650.
retention_days = 30

[dns]
cache_seconds = 60

[log]
level = "info"
`;
}

/** The nginx side: a `mail {}` block pointing at this Postern. */
export function nginxMailBlock(cfg: Config, opts: { showSecret: boolean }): string {
  const host = cfg.listen.host === '0.0.0.0' || cfg.listen.host === '::' ? '127.0.0.1' : cfg.listen.host;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const secret = opts.showSecret ? cfg.secret.toString('latin1') : `<contents of ${basename(cfg.auth.secret_file ?? 'the secret file')}>`;
  const timeout = Math.max(1, Math.ceil(cfg.auth.decision_timeout_ms / 1000) * 2);
  return `# nginx (Debian: apt install nginx libnginx-mod-mail). The mail module must be loaded:
# load_module /usr/lib/nginx/modules/ngx_mail_module.so;   (Debian does this in modules-enabled/)
mail {
    server_name  mail.example.com;                # used in greetings and the SMTP banner
    auth_http    ${hostPart}:${cfg.listen.port}${cfg.listen.path};
    auth_http_header ${cfg.auth.secret_header} "${secret}";
    auth_http_timeout ${timeout}s;                    # above Postern's decision_timeout_ms

    # ssl_certificate     /etc/ssl/certs/mail.pem;  # enable TLS, then use "starttls only"
    # ssl_certificate_key /etc/ssl/private/mail.key;

    server { listen 143; protocol imap; imap_auth plain login; }
    server { listen 110; protocol pop3; pop3_auth plain; }
    server { listen 587; protocol smtp; smtp_auth plain login; xclient off; }   # submission
    server { listen 25;  protocol smtp; smtp_auth none;        xclient off;     # inbound MX
             auth_http ${hostPart}:${cfg.listen.port}${cfg.listen.path}/mx; }          # AUTH here is refused and counted
}
`;
}
