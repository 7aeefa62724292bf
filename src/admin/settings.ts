/**
 * The `[admin]` configuration turned into what the console uses at run time: the public URL
 * (derived from the listener when not set), the trusted proxies parsed once, the cookie scopes
 * and the session and login policies. Config loading already refused invalid values, so the
 * parsers here cannot fail on a loaded configuration.
 */
import type { ConfigFile } from '../config/schema.js';
import {
  cookieScope,
  normalisePrefix,
  parsePublicUrl,
  parseTrustedProxies,
  trustEverythingWarning,
  type CookieScope,
  type ForwardingPolicy,
  type PrefixMode,
  type PublicUrl,
  type TrustedProxies,
} from '../http/index.js';
import type { LoginDefenceSettings } from './login-defence.js';
import type { SessionPolicy } from './sessions.js';

/** The console cookie's base name; the scope adds `__Host-` or `__Secure-` over https. */
export const COOKIE_BASE = 'postern_admin';

export interface AdminSettings {
  publicUrl: PublicUrl;
  /** False when public_url was left empty and derived from host, port and path. */
  publicUrlConfigured: boolean;
  /** Where requests arrive at Postern's own listener (`/` or `/admin/`). */
  mountPath: string;
  trusted: TrustedProxies;
  forwarding: ForwardingPolicy;
  /** The warning to show when the trusted proxies cover everything, else null. */
  trustWarning: string | null;
  proxyProtocol: boolean;
  prefixMode: PrefixMode;
  session: SessionPolicy;
  /** The session cookie. */
  cookie: CookieScope;
  /** Set by the login page and expected back with the login form: proves the browser returns cookies in this scope. */
  checkCookie: CookieScope;
  login: LoginDefenceSettings;
}

export function adminSettings(admin: ConfigFile['admin']): AdminSettings {
  const mount = normalisePrefix(admin.path);
  if (!mount.ok) throw new Error(`admin.path: ${mount.error.detail}`);
  const configured = admin.public_url.trim() !== '';
  const url = parsePublicUrl(configured ? admin.public_url : defaultPublicUrl(admin.host, admin.port, mount.value));
  if (!url.ok) throw new Error(`admin.public_url: ${url.error.detail}`);
  const trusted = parseTrustedProxies(admin.trusted_proxies);
  if (!trusted.ok) throw new Error(`admin.trusted_proxies: ${trusted.error.detail}`);
  return {
    publicUrl: url.value,
    publicUrlConfigured: configured,
    mountPath: mount.value,
    trusted: trusted.value,
    forwarding: { trusted: trusted.value, header: admin.client_ip_header, maxHops: admin.max_proxy_hops },
    trustWarning: trustEverythingWarning(trusted.value),
    proxyProtocol: admin.proxy_protocol,
    prefixMode: admin.prefix_mode,
    session: { idleMs: admin.session_idle_minutes * 60_000, maxMs: admin.session_max_hours * 3_600_000, binding: admin.session_binding },
    cookie: cookieScope(url.value, COOKIE_BASE),
    checkCookie: cookieScope(url.value, `${COOKIE_BASE}_check`),
    login: {
      ipLimit: admin.login_ip_limit,
      nameLimit: admin.login_name_limit,
      windowMs: admin.login_window_minutes * 60_000,
      ownerMs: 7 * 86_400_000,
    },
  };
}

/** `http://<host>:<port><path>`, with a wildcard listen address replaced by loopback (a browser cannot open 0.0.0.0). */
export function defaultPublicUrl(host: string, port: number, mountPath: string): string {
  const h = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}${mountPath}`;
}
