/**
 * A Host-header value (RFC 9110 §7.2: uri-host [":" port]) checked and lower-cased, and the
 * comparison of two of them under a scheme, where `example.com:443` and `example.com` are one
 * host for https.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** Lower-cased `host[:port]`, or null when it is not one. Names allow `_` (container names). */
export function validHost(text: string): string | null {
  const m = /^(\[([0-9A-Fa-f:.]+)\]|[A-Za-z0-9._~-]+)(?::(\d{1,5}))?$/.exec(text);
  if (!m) return null;
  if (m[2] !== undefined && !isIPv6(m[2])) return null;
  if (m[3] !== undefined && Number(m[3]) > 65535) return null;
  const name = m[1] as string;
  // A name whose last label is a number is an IPv4 address to browsers (WHATWG URL "ends in a
  // number"); unless it is plain dotted-quad (`127.1`, `0x7f.0.0.1`), parsers disagree on which.
  const last = name.split('.').filter((l) => l !== '').pop() ?? '';
  if (m[2] === undefined && /^(\d+|0x[0-9a-f]*)$/i.test(last) && !isIPv4(name)) return null;
  return text.toLowerCase();
}

/** Whether two valid hosts name the same origin host under `scheme` (the default port may be written or not). */
export function sameHost(a: string, b: string, scheme: 'http' | 'https'): boolean {
  return withoutDefaultPort(a.toLowerCase(), scheme) === withoutDefaultPort(b.toLowerCase(), scheme);
}

function withoutDefaultPort(host: string, scheme: 'http' | 'https'): string {
  const port = scheme === 'https' ? ':443' : ':80';
  return host.endsWith(port) ? host.slice(0, -port.length) : host;
}
