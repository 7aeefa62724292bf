/**
 * Every stable code the proxy diagnostics can report, with what it means in one line: the list
 * the docs and the console's help are written from. The tests check that each code the code can
 * produce is here, and that the union below and this table agree.
 */
import type { ForwardedWarningCode } from './forwarded.js';
import type { OriginErrorCode } from './origin-check.js';

export type FindingCode =
  | ForwardedWarningCode
  | OriginErrorCode
  | 'cookie-not-returned'
  | 'scheme-mismatch'
  | 'host-mismatch'
  | 'prefix-mismatch'
  | 'outside-cookie-scope'
  | 'trust-everything'
  | 'client-ip-is-proxy'
  | 'public-url-not-https';

export const FINDING_CODES: Readonly<Record<FindingCode, string>> = {
  'cookie-not-returned': 'the browser did not send the console cookie back',
  'origin-mismatch': 'a form post came from a page at another address than the public URL',
  'origin-null': 'a form post came with Origin: null',
  'cross-site-request': 'the browser marked a form post as coming from another site',
  'referer-mismatch': 'a form post without Origin had a Referer outside the public URL',
  'forwarded-untrusted': 'forwarding headers came from a peer that is not a trusted proxy and were ignored',
  'scheme-mismatch': 'the scheme the browser used differs from the public URL\'s',
  'host-mismatch': 'the host the browser asked for differs from the public URL\'s',
  'prefix-mismatch': 'the prefix a trusted proxy removed differs from the public URL\'s',
  'outside-cookie-scope': 'a request outside the cookie Path was redirected into it',
  'trust-everything': 'the trusted proxies include every IPv4 or IPv6 address',
  'client-ip-is-proxy': 'no client address came with a request from a trusted proxy',
  'public-url-not-https': 'the public URL is plain http on a non-loopback host',
  'unusable-peer': 'the connection has no IP address',
  'malformed-hop': 'a forwarding chain entry names no valid address',
  'hidden-hop': 'a trusted proxy reported an unknown or obfuscated client',
  'max-hops-reached': 'the walk stopped at a trusted address because of the hop limit',
  'conflicting-values': 'an X-Forwarded-* header arrived with several different values',
  'malformed-value': 'a Host, X-Forwarded-* or Forwarded value was not valid and was ignored',
  'header-scheme-mismatch': 'the proxy sends another client-address header than the one configured',
  'duplicate-host': 'the request had more than one Host header',
};
