/**
 * What is wrong between the browser, the proxies and Postern, and how to fix it: a pure
 * function of what Postern resolved for one request, the public URL and whether the expected
 * cookie came back. The login page shows the findings when a login fails for a proxy reason,
 * and the diagnostics page shows them all (anchors-admin-secrets.md §4.1.8). Each finding has a
 * stable code for logs and tests, a message saying what is wrong, and a fix naming the setting
 * or the proxy directive to change.
 */
import { FINDING_CODES, type FindingCode } from './finding-codes.js';
import type { Forwarding, ForwardedWarningCode } from './forwarded.js';
import { sameHost } from './host.js';
import type { OriginCheck } from './origin-check.js';
import { PROXY_HINT, SETTING, bare } from './proxy-hints.js';
import { cookiePath, mapRequestPath, type PrefixMode, type PublicUrl } from './public-url.js';
import { trustEverythingWarning, type TrustedProxies } from './trusted-proxies.js';

export { FINDING_CODES, type FindingCode };

export type Severity = 'error' | 'warning' | 'info';

export interface Finding {
  code: FindingCode;
  severity: Severity;
  message: string;
  fix: string;
}

export interface DiagnoseInput {
  publicUrl: PublicUrl;
  forwarding: Forwarding;
  trusted: TrustedProxies;
  /** The cookie the console expects and whether this request carried it; leave out when none was set yet. */
  cookie?: { name: string; returned: boolean };
  /** The request target as received and the prefix mode, to tell whether the browser is inside the cookie scope. */
  request?: { target: string; mode: PrefixMode };
  /** The CSRF check of this request, when it was a form post. */
  origin?: OriginCheck;
}

const WARNING_SEVERITY: Record<ForwardedWarningCode, Severity> = {
  'forwarded-untrusted': 'warning',
  'unusable-peer': 'warning',
  'malformed-hop': 'warning',
  'hidden-hop': 'info',
  'max-hops-reached': 'warning',
  'conflicting-values': 'warning',
  'malformed-value': 'warning',
  'header-scheme-mismatch': 'warning',
  'duplicate-host': 'warning',
};

const RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Findings, errors first; empty when everything agrees. */
export function diagnose(input: DiagnoseInput): Finding[] {
  const { publicUrl: url, forwarding: fwd } = input;
  const findings: Finding[] = [];
  const add = (code: FindingCode, severity: Severity, message: string, fix: string): void => {
    findings.push({ code, severity, message, fix });
  };
  const peer = fwd.hops[0]?.address ?? 'the proxy';

  const everything = trustEverythingWarning(input.trusted);
  if (everything) add('trust-everything', 'warning', everything, `set ${SETTING.trustedProxies} to your proxies' addresses only, such as ["${peer}"]`);
  for (const w of fwd.warnings) add(w.code, WARNING_SEVERITY[w.code], w.message, w.fix);

  if (input.origin && !input.origin.ok) add(input.origin.error.code, 'error', input.origin.error.detail, input.origin.error.fix);

  const scheme = schemeFinding(url, fwd);
  if (scheme) add('scheme-mismatch', 'warning', scheme.message, scheme.fix);
  const hostDiffers = fwd.host !== null && !sameHost(fwd.host, url.host, url.scheme);
  if (hostDiffers) add('host-mismatch', 'warning', ...hostFinding(url, fwd));
  const prefixDiffers = fwd.prefix !== null && fwd.prefix !== url.prefix;
  if (prefixDiffers) {
    add('prefix-mismatch', 'warning', `the trusted proxy says it removed the prefix ${fwd.prefix} (X-Forwarded-Prefix) but the public URL's prefix is ${url.prefix}`,
      `if browsers use ${url.origin}${fwd.prefix}, set ${SETTING.publicUrl} = "${url.origin}${fwd.prefix}"; otherwise route ${url.prefix} to Postern and send that prefix (${PROXY_HINT.prefix(url.prefix)})`);
  }
  const mapping = input.request ? mapRequestPath(url, input.request.target, { mode: input.request.mode, forwardedPrefix: fwd.prefix }) : null;
  if (mapping?.kind === 'redirect' && mapping.reason === 'outside-cookie-scope') {
    add('outside-cookie-scope', 'info', `this request was outside the console's cookie Path ${cookiePath(url)}, so Postern redirected it to ${mapping.location}`,
      `nothing to do if the redirect works; if it loops, the proxy strips the prefix: set ${SETTING.prefixMode} = "auto" or send X-Forwarded-Prefix (${PROXY_HINT.prefix(url.prefix)})`);
  }

  if (input.cookie && !input.cookie.returned) {
    const causes: string[] = [];
    const fixes: string[] = [];
    if (url.scheme === 'https' && fwd.proto === 'http' && fwd.from.proto !== 'socket') {
      causes.push(`the cookie is Secure and the proxy says the browser used http`);
      fixes.push(`use ${url.href} (https), and redirect http to https (${PROXY_HINT.httpsRedirect})`);
    }
    if (hostDiffers) {
      causes.push(fwd.from.host === 'host'
        ? `if the browser is at ${fwd.host} (this request's Host), the cookie for ${url.host} is not sent there`
        : `the cookie belongs to ${url.host} but the proxy says the browser asked for ${fwd.host}`);
      fixes.push(`open the console at ${url.href}, or set ${SETTING.publicUrl} to the address browsers use`);
    }
    if (prefixDiffers || (mapping?.kind === 'app' && mapping.via === 'assumed-stripped')) {
      const where = prefixDiffers ? `under ${fwd.prefix}` : `at a path without ${bare(url.prefix)}`;
      causes.push(`the browser may be ${where}, outside the cookie Path ${cookiePath(url)}`);
      fixes.push(`make the proxy keep the prefix (${PROXY_HINT.keepPath(url.prefix)}) and set ${SETTING.prefixMode} = "require", or have it say what it strips (${PROXY_HINT.prefix(url.prefix)}), or set ${SETTING.publicUrl} to the URL browsers really use`);
    }
    if (causes.length === 0) {
      causes.push('nothing Postern can see explains it');
      fixes.push('check that the proxy does not rewrite Set-Cookie (nginx `proxy_cookie_path`, `proxy_cookie_domain`) or drop the Cookie header, and that the browser accepts cookies for this site');
    }
    add('cookie-not-returned', 'error',
      `the browser did not send the ${input.cookie.name} cookie back (Postern sets it with Path=${cookiePath(url)}${url.scheme === 'https' ? ', Secure' : ''}, SameSite=Strict): ${causes.join('; ')}`,
      fixes.join('; '));
  }

  if (fwd.trustedPeer && fwd.hops.length === 1 && !fwd.ignoredHeaders.includes('x-forwarded-for') && !fwd.ignoredHeaders.includes('forwarded')) {
    add('client-ip-is-proxy', 'info', `no client address came with this request, so the client IP is the trusted peer's own (${peer}); if a proxy sits in front, every client shares that address in logs and rate limits`,
      PROXY_HINT.clientIp);
  }
  if (url.scheme === 'http' && !isLoopbackHost(url.host)) {
    add('public-url-not-https', 'warning', `the public URL ${url.href} is plain http, so the session cookie travels unencrypted and cannot be Secure`,
      `serve the console over https and set ${SETTING.publicUrl} = "https://${url.host}${url.prefix}"`);
  }
  return findings.sort((a, b) => RANK[a.severity] - RANK[b.severity]);
}

function schemeFinding(url: PublicUrl, fwd: Forwarding): { message: string; fix: string } | null {
  if (fwd.proto === url.scheme) return null;
  if (url.scheme === 'http') {
    return {
      message: `the browser used https but the public URL is ${url.href}, so cookies are set without Secure and links point to http`,
      fix: `set ${SETTING.publicUrl} = "https://${url.host}${url.prefix}"`,
    };
  }
  const said = fwd.from.proto === 'x-forwarded-proto' ? 'X-Forwarded-Proto' : 'Forwarded proto=';
  if (fwd.from.proto !== 'socket') {
    return {
      message: `the trusted proxy says the browser used http (${said}) but the public URL is https: either the browser is at an http:// address, where the Secure cookie is never sent back, or a proxy in the chain reports its own plain connection`,
      fix: `browse to ${url.href}; ${PROXY_HINT.proto}`,
    };
  }
  if (!fwd.trustedPeer && fwd.ignoredHeaders.some((h) => h === 'x-forwarded-proto' || h === 'forwarded')) {
    return {
      message: `Postern sees plain http from ${fwd.hops[0]?.address}, whose scheme header was ignored because it is not a trusted proxy`,
      fix: `add "${fwd.hops[0]?.address}" to ${SETTING.trustedProxies}`,
    };
  }
  return {
    message: `Postern sees plain http and no trusted proxy says the browser used https; if the browser is at an http:// address the Secure cookie is never sent back`,
    fix: fwd.trustedPeer ? `let the proxy say the scheme: ${PROXY_HINT.proto}` : `browse to ${url.href}; if a proxy terminates TLS, add its address to ${SETTING.trustedProxies} and ${PROXY_HINT.proto}`,
  };
}

function hostFinding(url: PublicUrl, fwd: Forwarding): [string, string] {
  if (fwd.from.host === 'host') {
    return [
      `the request was for host ${fwd.host} (Host header) but the public URL's host is ${url.host}: either the browser is at another address, or the proxy sends its upstream's address as Host`,
      `browse to ${url.href}; ${PROXY_HINT.host}`,
    ];
  }
  const said = fwd.from.host === 'x-forwarded-host' ? 'X-Forwarded-Host' : 'Forwarded host=';
  return [
    `the trusted proxy says the browser asked for ${fwd.host} (${said}) but the public URL's host is ${url.host}`,
    `if browsers use ${fwd.host}, set ${SETTING.publicUrl} = "${url.scheme}://${fwd.host}${url.prefix}"; otherwise browse to ${url.href}`,
  ];
}

function isLoopbackHost(host: string): boolean {
  const name = host.replace(/:\d+$/, '');
  return name === 'localhost' || name.endsWith('.localhost') || /^127\./.test(name) || name === '[::1]';
}
