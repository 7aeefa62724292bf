/**
 * The console's public URL: the one address (origin plus optional path prefix) the browser
 * uses, configured by the operator and independent of where Postern listens. Cookie scope,
 * links and redirects, and the CSRF origin check (origin-check.ts) all derive from it, so a
 * proxy that strips or keeps the prefix changes nothing (mox #151 derived the cookie Path from
 * the internal mount; Grafana `root_url` and Gitea `ROOT_URL` do it this way).
 */
import type { ParseResult } from '../authhttp/index.js';
import { shown } from './headers.js';
import { validHost } from './host.js';
import { normalisePrefix } from './path-prefix.js';

export interface PublicUrl {
  /** Origin plus prefix, e.g. `https://mail.example.com/gw-admin/`. */
  readonly href: string;
  /** What browsers send in `Origin`: `https://mail.example.com` (default port left out). */
  readonly origin: string;
  readonly scheme: 'http' | 'https';
  /** Lower-case host[:port] as in a Host header; IDN names in their xn-- form. */
  readonly host: string;
  /** `/gw-admin/`, or `/` at the root. */
  readonly prefix: string;
}

export type PublicUrlErrorCode =
  | 'empty'
  | 'bad-characters'
  | 'not-absolute'
  | 'bad-scheme'
  | 'bad-host'
  | 'bad-port'
  | 'has-credentials'
  | 'has-query'
  | 'has-fragment'
  | 'bad-path';

/**
 * Checks and normalises the configured URL. The WHATWG parser (`URL`) does the parsing, but it
 * quietly repairs much (drops tabs, resolves `..`, reads `127.1` as 127.0.0.1, turns `\` into
 * `/`); each of those would make the URL differ from what the operator wrote, so they are refused
 * with a reason first. Surrounding white space is trimmed; a missing trailing slash is added.
 */
export function parsePublicUrl(text: string): ParseResult<PublicUrl, PublicUrlErrorCode> {
  const t = text.trim();
  const q = (s: string): string => quoted(s.replace(/\/\/[^/?#]*@/, '//***@')); // never echo a password
  const example = 'such as https://mail.example.com/ or https://mail.example.com/postern/';
  if (t === '') return fail('empty', `the public URL is empty: give the address browsers use, ${example}`);
  if (/[\x00-\x20\x7f\\]/.test(t)) return fail('bad-characters', `${q(t)} contains white space, a control character or a backslash`);
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(t)?.[1]?.toLowerCase();
  if (scheme === undefined) return fail('not-absolute', `${q(t)} is not an absolute URL: write the scheme too, ${example}`);
  if (scheme !== 'http' && scheme !== 'https') return fail('bad-scheme', `${q(t)} uses ${scheme}: only http and https`);
  const rest = t.slice(scheme.length + 3);
  const authority = /^[^/?#]*/.exec(rest)?.[0] ?? '';
  if (authority === '') return fail('bad-host', `${q(t)} has no host after ${scheme}://`);
  if (authority.includes('@')) return fail('has-credentials', `${q(t)} has a user name or password: leave them out`);
  const hostPort = (authority.startsWith('[') ? /^\[[^\]]*\](?::(.*))?$/ : /^[^:]*(?::(.*))?$/).exec(authority);
  if (!hostPort) return fail('bad-host', `${q(t)} has no valid host name or address`);
  const port = hostPort[1];
  if (port !== undefined && !(/^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) {
    return fail('bad-port', `${q(t)} has port ${q(port)}: a number from 1 to 65535`);
  }
  let url: URL;
  try {
    url = new URL(t);
  } catch {
    return fail('bad-host', `${q(t)} has no valid host name or address`);
  }
  if (t.includes('?')) return fail('has-query', `${q(t)} has a query (?...): the public URL is an origin and a path only`);
  if (t.includes('#')) return fail('has-fragment', `${q(t)} has a fragment (#...): the public URL is an origin and a path only`);
  const written = authority.replace(/:\d*$/, '');
  // ASCII names must be what the parser kept (it reads `127.1` as 127.0.0.1); IDN names it converts to xn--.
  if (url.hostname === '' || (/^[\x21-\x7e]+$/.test(written) && !written.startsWith('[') && (validHost(written) === null || written.toLowerCase() !== url.hostname))) {
    return fail('bad-host', `${q(t)} has no valid host name or address (write IPv4 addresses as four decimal numbers)`);
  }
  // Non-ASCII path characters are percent-encoded as the browser will send them (UTF-8, upper-case hex).
  const rawPath = (rest.slice(authority.length) || '/').replace(/[^\x00-\x7f]+/g, (s) => encodeURIComponent(s));
  const prefix = normalisePrefix(rawPath);
  if (!prefix.ok) return fail('bad-path', `${q(t)}: ${prefix.error.detail}`);
  const origin = url.origin;
  return { ok: true, value: { href: origin + prefix.value, origin, scheme, host: url.host, prefix: prefix.value } };
}

/** The app path as an absolute URL under the public URL: `linkTo(u, '/mailboxes?page=2')`. For paths the app builds; see resolveRedirect for paths from a request. */
export function linkTo(url: PublicUrl, appPath: string): string {
  return url.href + appPath.replace(/^\/+/, '');
}

/**
 * A redirect target that came from a request (a `?next=` parameter) made safe: an app path
 * (`/mailboxes`), or an absolute URL under the public URL. Anything else (another origin,
 * `//evil.example`, `/\evil.example`, a path that `..` takes out of the prefix) is refused, so
 * the login page cannot become an open redirect.
 */
export function resolveRedirect(url: PublicUrl, target: string): ParseResult<string, 'outside-public-url'> {
  const refuse = (why: string): ParseResult<string, 'outside-public-url'> => ({
    ok: false,
    error: { code: 'outside-public-url', detail: `redirect target ${q(target)} ${why}; only paths under ${url.href} are allowed` },
  });
  if (/[\x00-\x20\x7f\\]/.test(target)) return refuse('contains white space, a control character or a backslash');
  let candidate: string;
  if (target.startsWith('/') && !target.startsWith('//')) candidate = linkTo(url, target);
  else if (/^https?:\/\//i.test(target)) candidate = target;
  else return refuse('is neither an app path starting with / nor an http(s) URL');
  let parsed: URL;
  try {
    parsed = new URL(candidate);
  } catch {
    return refuse('is not a valid URL');
  }
  if (parsed.origin !== url.origin || parsed.username !== '' || parsed.password !== '') return refuse('leaves the public origin');
  if (!inCookieScope(url, parsed.pathname)) return refuse('leaves the public path');
  return { ok: true, value: parsed.href };
}

/**
 * The cookie Path for the console: the prefix without its trailing slash (`/gw-admin`), or `/`.
 * By RFC 6265 §5.1.4 path-match, `/gw-admin` covers `/gw-admin`, `/gw-admin/` and everything
 * below, but not `/gw-adminx`; `/gw-admin/` would miss the bare `/gw-admin` the user may type.
 */
export function cookiePath(url: PublicUrl): string {
  return url.prefix === '/' ? '/' : url.prefix.slice(0, -1);
}

/** RFC 6265 §5.1.4 path-match: whether the browser sends a cookie with `cookiePath(url)` for this request path. */
export function inCookieScope(url: PublicUrl, requestPath: string): boolean {
  const cp = cookiePath(url);
  if (requestPath === cp) return true;
  if (!requestPath.startsWith(cp)) return false;
  return cp.endsWith('/') || requestPath[cp.length] === '/';
}

export interface CookieScope {
  /** `__Host-<base>` at an https root, `__Secure-<base>` under an https prefix, `<base>` over http. */
  name: string;
  path: string;
  secure: boolean;
  httpOnly: true;
  sameSite: 'Strict';
}

/**
 * Where and how the console's cookie is set. The name prefix makes browsers enforce the scope
 * (RFC 6265bis §4.1.3): `__Host-` requires Secure, Path=/ and no Domain, so it fits only the
 * root; `__Secure-` only requires Secure. `base` must be a cookie-name token.
 */
export function cookieScope(url: PublicUrl, base: string): CookieScope {
  const secure = url.scheme === 'https';
  const path = cookiePath(url);
  const name = !secure ? base : path === '/' ? `__Host-${base}` : `__Secure-${base}`;
  return { name, path, secure, httpOnly: true, sameSite: 'Strict' };
}

/** The attribute part of a Set-Cookie for this scope, also shown on the diagnostics page. */
export function cookieAttributes(scope: CookieScope): string {
  return `Path=${scope.path}${scope.secure ? '; Secure' : ''}; HttpOnly; SameSite=${scope.sameSite}`;
}

export type PrefixMode = 'auto' | 'require';

export type PathMapping =
  | { kind: 'app'; path: string; query: string; via: 'root' | 'prefix-kept' | 'prefix-stripped' | 'assumed-stripped' }
  | { kind: 'redirect'; location: string; reason: 'outside-cookie-scope' | 'add-trailing-slash' }
  | { kind: 'bad-target'; detail: string };

/**
 * Maps a request target to the app's own path, whether the proxy kept the prefix
 * (`/gw/mailboxes`) or stripped it (`/mailboxes`). Prefixed paths are always accepted, so one
 * setting serves both kinds of proxy. For an unprefixed path:
 * - a trusted X-Forwarded-Prefix (`forwardedPrefix`) says where the browser is: under the
 *   public prefix it is served, elsewhere it is redirected into the cookie scope;
 * - otherwise, in `auto` mode, it is served as if stripped: redirecting could loop forever
 *   behind a stripping proxy, and links and form actions are absolute under the public URL,
 *   so the first click brings the browser into the scope anyway;
 * - in `require` mode (the proxy keeps the prefix) it is redirected into the scope, as Grafana
 *   does since #66724. Never use `require` behind a proxy that strips the prefix.
 * The bare prefix (`/gw`) is redirected to `/gw/` so relative URLs resolve under it. Matching is
 * on the raw path, case-sensitive, as browsers match cookie paths.
 */
export function mapRequestPath(url: PublicUrl, target: string, opts: { mode: PrefixMode; forwardedPrefix: string | null }): PathMapping {
  const split = splitTarget(target);
  if (!split.ok) return { kind: 'bad-target', detail: split.error.detail };
  const { path, query } = split.value;
  const app = (p: string, via: Extract<PathMapping, { kind: 'app' }>['via']): PathMapping => ({ kind: 'app', path: `/${p.replace(/^\/+/, '')}`, query, via });
  const redirect = (appPath: string, reason: 'outside-cookie-scope' | 'add-trailing-slash'): PathMapping => ({
    kind: 'redirect',
    location: linkTo(url, appPath) + query,
    reason,
  });
  if (url.prefix === '/') return app(path, 'root');
  if (path === cookiePath(url)) return redirect('/', 'add-trailing-slash');
  if (path.startsWith(url.prefix)) return app(path.slice(url.prefix.length), 'prefix-kept');
  if (opts.forwardedPrefix !== null) {
    const browserPath = opts.forwardedPrefix + path.slice(1);
    if (browserPath.startsWith(url.prefix)) return app(browserPath.slice(url.prefix.length), 'prefix-stripped');
    return redirect(path, 'outside-cookie-scope');
  }
  return opts.mode === 'require' ? redirect(path, 'outside-cookie-scope') : app(path, 'assumed-stripped');
}

/** origin-form (`/a?b`) or absolute-form (`http://h/a?b`, RFC 9112 §3.2.2) into path and query (with its `?`). */
function splitTarget(target: string): ParseResult<{ path: string; query: string }, 'bad-target'> {
  let t = target;
  if (!t.startsWith('/')) {
    if (!/^https?:\/\//i.test(t)) return { ok: false, error: { code: 'bad-target', detail: `request target ${q(t)} is not a path` } };
    try {
      const u = new URL(t);
      t = u.pathname + u.search;
    } catch {
      return { ok: false, error: { code: 'bad-target', detail: `request target ${q(t)} is not a valid URL` } };
    }
  }
  const at = t.indexOf('?');
  return { ok: true, value: at === -1 ? { path: t, query: '' } : { path: t.slice(0, at), query: t.slice(at) } };
}

function fail(code: PublicUrlErrorCode, detail: string): ParseResult<PublicUrl, PublicUrlErrorCode> {
  return { ok: false, error: { code, detail } };
}

function quoted(text: string): string {
  return JSON.stringify(shown(text));
}

const q = quoted;
