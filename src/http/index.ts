/**
 * HTTP behind reverse proxies, for the admin console and API: who the client is (trusted-proxy
 * walk of X-Forwarded-For / RFC 7239 Forwarded), the configured public URL and everything derived
 * from it (cookie scope, links, redirects, prefix mapping, the CSRF origin check), and the
 * diagnostics that say what is misconfigured and how to fix it. Pure: no sockets, no clock, no
 * configuration loading. Other folders import from here only.
 */
export { headerPairs, headerValues, type HeaderList } from './headers.js';
export {
  parseTrustedProxies,
  matchTrusted,
  trustsEverything,
  trustEverythingWarning,
  DEFAULT_TRUSTED_PROXIES,
  NAMED_RANGES,
  type TrustedProxies,
  type TrustedEntry,
} from './trusted-proxies.js';
export {
  resolveForwarded,
  FORWARDING_HEADERS,
  type ClientIpHeader,
  type ForwardingPolicy,
  type IncomingRequest,
  type Forwarding,
  type Hop,
  type ValueSource,
  type ForwardedWarning,
  type ForwardedWarningCode,
} from './forwarded.js';
export {
  parsePublicUrl,
  linkTo,
  resolveRedirect,
  cookiePath,
  inCookieScope,
  cookieScope,
  cookieAttributes,
  mapRequestPath,
  type PublicUrl,
  type PublicUrlErrorCode,
  type CookieScope,
  type PrefixMode,
  type PathMapping,
} from './public-url.js';
export { checkOrigin, type OriginCheck, type OriginErrorCode } from './origin-check.js';
export { diagnose, FINDING_CODES, type Finding, type FindingCode, type Severity, type DiagnoseInput } from './diagnose.js';
export { SETTING } from './proxy-hints.js';
export { normalisePrefix } from './path-prefix.js';
export { sameHost } from './host.js';
