/**
 * The `auth_http` URL as nginx parses it (`ngx_mail_auth_http` + `ngx_parse_url`, nginx-auth-http.md
 * §1.1-§1.2): a leading `http://` is dropped (there is no HTTPS), the default port is 80, the
 * path and query are the request-target byte for byte (`/` if none), and `Host` is the host
 * without the port, or `localhost` for a unix socket. Host names are resolved once by the
 * caller, first address only, as nginx does at configuration load.
 */
import type { ParseResult } from '../authhttp/index.js';
import { formatIpv6, ngxInet6Addr, ngxInetAddr, formatIpv4 } from './address.js';

export type AuthHttpPeer =
  | { kind: 'ip'; family: 4 | 6; address: string; port: number }
  /** Not an IP literal: resolve once at startup and use the first address (§1.1). */
  | { kind: 'name'; name: string; port: number }
  | { kind: 'unix'; path: string };

export interface AuthHttpUrl {
  peer: AuthHttpPeer;
  /** The `Host` header value (§1.2). */
  host: string;
  /** The request-target (§1.2). */
  uri: string;
}

/** The URL errors nginx reports at configuration load, in its words. */
export type UrlErrorCode = 'bad-url';

/** sockaddr_un.sun_path is 108 bytes with the terminating NUL on Linux. */
const SUN_PATH_MAX = 107;

export function parseAuthHttpUrl(url: string): ParseResult<AuthHttpUrl, UrlErrorCode> {
  // Case-sensitive, as ngx_strncmp: `HTTP://x` is a host named "HTTP" with a bad port.
  const rest = url.startsWith('http://') ? url.slice(7) : url;
  if (rest.slice(0, 5).toLowerCase() === 'unix:') return parseUnix(rest.slice(5));
  if (rest.startsWith('[')) return parseInet6(rest);
  return parseInet(rest);
}

function parseUnix(rest: string): ParseResult<AuthHttpUrl, UrlErrorCode> {
  // The first colon after `unix:` starts the uri: `unix:/run/a.sock:/auth`.
  const colon = rest.indexOf(':');
  const path = colon === -1 ? rest : rest.slice(0, colon);
  const uri = colon === -1 ? '' : rest.slice(colon + 1);
  if (path.length === 0) return fail('no path in the unix domain socket');
  if (Buffer.byteLength(path) > SUN_PATH_MAX) return fail('too long path in the unix domain socket');
  return ok({ kind: 'unix', path }, 'localhost', uri);
}

function parseInet6(rest: string): ParseResult<AuthHttpUrl, UrlErrorCode> {
  const close = rest.indexOf(']');
  if (close === -1) return fail('invalid host');
  // Only `/` starts the uri here; ngx_parse_inet6_url does not look for `?`.
  const slash = rest.indexOf('/', close + 1);
  const uri = slash === -1 ? '' : rest.slice(slash);
  const portPart = rest.slice(close + 1, slash === -1 ? undefined : slash);
  let port = 80;
  if (portPart.length > 0) {
    if (!portPart.startsWith(':')) return fail('invalid host');
    const p = atoiPort(portPart.slice(1));
    if (p === undefined) return fail('invalid port');
    port = p;
  }
  const inner = rest.slice(1, close);
  if (inner.length === 0) return fail('no host');
  const v6 = ngxInet6Addr(Buffer.from(inner, 'latin1'));
  if (v6 === undefined) return fail('invalid IPv6 address');
  // Host keeps the brackets (u->host spans them).
  return ok({ kind: 'ip', family: 6, address: formatIpv6(v6), port }, `[${inner}]`, uri);
}

function parseInet(rest: string): ParseResult<AuthHttpUrl, UrlErrorCode> {
  let colon = rest.indexOf(':');
  let uriAt = rest.indexOf('/');
  const query = rest.indexOf('?');
  // A `?` before any `/` starts the uri too: `host:9000?x=1` asks for `?x=1`.
  if (query !== -1 && (uriAt === -1 || query < uriAt)) uriAt = query;
  let end = rest.length;
  let uri = '';
  if (uriAt !== -1) {
    uri = rest.slice(uriAt);
    end = uriAt;
    if (uriAt < colon) colon = -1;
  }
  let port = 80;
  if (colon !== -1) {
    const p = atoiPort(rest.slice(colon + 1, end));
    if (p === undefined) return fail('invalid port');
    port = p;
    end = colon;
  }
  const host = rest.slice(0, end);
  if (host.length === 0) return fail('no host');
  // ngx_parse_inet_url tries IPv4 only; anything else is a name for the resolver.
  const v4 = ngxInetAddr(Buffer.from(host, 'latin1'));
  const peer: AuthHttpPeer = v4 === undefined ? { kind: 'name', name: host, port } : { kind: 'ip', family: 4, address: formatIpv4(v4), port };
  return ok(peer, host, uri);
}

/** `ngx_atoi` then 1..65535: digits only, no sign, no spaces. */
function atoiPort(s: string): number | undefined {
  if (!/^[0-9]+$/.test(s)) return undefined;
  const n = Number(s);
  return n >= 1 && n <= 65535 ? n : undefined;
}

function ok(peer: AuthHttpPeer, host: string, uri: string): ParseResult<AuthHttpUrl, UrlErrorCode> {
  return { ok: true, value: { peer, host, uri: uri.length === 0 ? '/' : uri } };
}

function fail(detail: string): ParseResult<AuthHttpUrl, UrlErrorCode> {
  return { ok: false, error: { code: 'bad-url', detail } };
}
