/**
 * The CSRF origin check for state-changing requests, compared with the public URL's origin
 * rather than the Host header (which a proxy may rewrite). The rules follow Go 1.25's
 * `net/http.CrossOriginProtection` (anchors-admin-secrets.md §1.6), in this order:
 *
 * 1. GET, HEAD and OPTIONS pass: they must not change anything.
 * 2. `Sec-Fetch-Site: cross-site | same-site` fails: the browser says the page was elsewhere.
 * 3. An `Origin` must equal the public origin (`null` fails: sandboxed frames, file: pages and
 *    cross-origin redirects send it). Unlike Go, a same-origin page at a different address
 *    also fails: the console lives at one URL, and its cookie and links would not work there.
 * 4. With neither, a `Referer` must be under the public origin.
 * 5. With none of these headers the request is not from a browser, and cannot be a CSRF.
 *
 * Callers still send a per-session CSRF token with the console's own requests (§4.1.4).
 */
import type { HeaderList } from './headers.js';
import { headerValues, shown } from './headers.js';
import { PROXY_HINT, SETTING } from './proxy-hints.js';
import type { PublicUrl } from './public-url.js';

export type OriginErrorCode = 'origin-mismatch' | 'origin-null' | 'cross-site-request' | 'referer-mismatch';

export type OriginCheck =
  | { ok: true; via: 'safe-method' | 'sec-fetch-site' | 'origin' | 'referer' | 'no-browser-headers' }
  | { ok: false; error: { code: OriginErrorCode; detail: string; fix: string } };

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function checkOrigin(url: PublicUrl, method: string, headers: HeaderList): OriginCheck {
  if (SAFE_METHODS.has(method.toUpperCase())) return { ok: true, via: 'safe-method' };
  const site = single(headers, 'sec-fetch-site')?.toLowerCase();
  if (site === 'cross-site' || site === 'same-site') {
    return fail('cross-site-request', `the browser says this ${method} came from a page on another site (Sec-Fetch-Site: ${site}), so it was refused as a possible cross-site request forgery`,
      `submit the form from the console itself, at ${url.href}`);
  }
  const origins = headerValues(headers, 'origin');
  if (origins.length > 1) return fail('origin-mismatch', `the request carries ${origins.length} Origin headers`, 'find the proxy or client that adds a second Origin header');
  const origin = origins[0]?.trim();
  if (origin !== undefined) {
    if (origin === 'null') {
      return fail('origin-null', 'the browser sent Origin: null (a sandboxed frame, a file: page, or a redirect from another origin), so the request was refused',
        `open the console at ${url.href} and submit the form from there; if a proxy redirects form posts across origins, let it redirect to ${url.origin} directly`);
    }
    return sameOrigin(url, origin) ? { ok: true, via: 'origin' } : mismatch(url, 'origin-mismatch', 'Origin', origin);
  }
  if (site === 'same-origin' || site === 'none') return { ok: true, via: 'sec-fetch-site' };
  const referers = headerValues(headers, 'referer');
  if (referers.length > 1) return fail('referer-mismatch', `the request carries ${referers.length} Referer headers`, 'find the proxy or client that adds a second Referer header');
  const referer = referers[0]?.trim();
  if (referer !== undefined) return sameOrigin(url, referer) ? { ok: true, via: 'referer' } : mismatch(url, 'referer-mismatch', 'Referer', referer);
  return { ok: true, via: 'no-browser-headers' };
}

/** Says which part differs, since each has its own fix. */
function mismatch(url: PublicUrl, code: OriginErrorCode, header: string, value: string): OriginCheck {
  const seen = originOf(value);
  const refused = `so this request was refused as a possible cross-site request forgery`;
  if (seen === null) return fail(code, `the ${header} header ${JSON.stringify(shown(value))} is not a URL, ${refused}`, 'check what rewrites that header on the way');
  if (seen.host === url.host && seen.scheme !== url.scheme) {
    return fail(code, `the page was loaded over ${seen.scheme}:// (${header}: ${seen.origin}) but the public URL is ${url.href}, ${refused}`,
      url.scheme === 'https' ? `redirect http to https in front of Postern (${PROXY_HINT.httpsRedirect})` : `set ${SETTING.publicUrl} = "${seen.origin}${url.prefix}"`);
  }
  return fail(code, `the browser is at ${seen.origin} (${header}) but the public URL is ${url.href}, ${refused}`,
    `open the console at ${url.href}; if ${seen.origin} is the right address, set ${SETTING.publicUrl} = "${seen.origin}${url.prefix}"`);
}

function sameOrigin(url: PublicUrl, value: string): boolean {
  return originOf(value)?.origin === url.origin;
}

function originOf(value: string): { origin: string; scheme: string; host: string } | null {
  try {
    const u = new URL(value);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    return { origin: u.origin, scheme: u.protocol.slice(0, -1), host: u.host };
  } catch {
    return null;
  }
}

function single(headers: HeaderList, name: string): string | undefined {
  const v = headerValues(headers, name);
  return v.length === 1 ? (v[0] as string).trim() : undefined;
}

function fail(code: OriginErrorCode, detail: string, fix: string): OriginCheck {
  return { ok: false, error: { code, detail, fix } };
}
