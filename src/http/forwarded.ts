/**
 * Who is the client, and what URL did it use? Resolved from the socket peer and the forwarding
 * headers, believing only trusted proxies (anchors-admin-secrets.md §4.3):
 *
 * - The client IP comes from a right-to-left walk of X-Forwarded-For or RFC 7239 Forwarded
 *   (Express/Fastify proxy-addr, nginx `real_ip_recursive`): start at the socket peer, and while
 *   the current hop is a trusted proxy, step to the address it reports. The first untrusted
 *   address is the client. Entries further left were written by the client or by proxies nobody
 *   vouches for, so they are never read (mox takes the leftmost entry, which any client can forge).
 * - An entry that names no usable address (garbage, `unknown`, an obfuscated `_hidden`, an
 *   element without `for=`) stops the walk too. The client IP is then the last address that
 *   was known: the trusted proxy that wrote the entry. Its clients share one address in rate
 *   limits, which errs on the safe side; a warning says so.
 * - Scheme, host and prefix are honoured only when the socket peer is trusted. With Forwarded,
 *   each element was written by the hop to its right, so the elements the walk visited were all
 *   written by trusted proxies; `proto=` and `host=` come from the leftmost of those, the proxy
 *   that faced the client, which is what the browser used. X-Forwarded-Proto/Host/Prefix are
 *   not chains in practice (nginx overwrites them; Caddy and Traefik pass on values only from
 *   proxies they trust), so the value that counts is the one our trusted peer sent: the last,
 *   when several arrive (Fastify's rule), with a warning.
 * - Nothing from an untrusted peer is used; the headers it sent are listed so the diagnostics
 *   can say "add this proxy" (SFTPGo deletes them silently).
 *
 * The configured public URL, not these values, drives cookies and links; these are what the
 * diagnostics compare it with.
 */
import { parseAddress } from '../net/cidr.js';
import { headerValues, listItems, shown, type HeaderList } from './headers.js';
import { parseForwardedElement, parseForwardedNode, parseXffEntry, type ForwardedParams, type NodeName } from './forwarded-syntax.js';
import { normalisePrefix } from './path-prefix.js';
import { PROXY_HINT, SETTING } from './proxy-hints.js';
import { matchTrusted, type TrustedProxies } from './trusted-proxies.js';
import { validHost } from './host.js';

export type ClientIpHeader = 'x-forwarded-for' | 'forwarded' | 'none';

export interface ForwardingPolicy {
  trusted: TrustedProxies;
  /** Which header carries the client chain; `none` ignores every forwarding header. */
  header: ClientIpHeader;
  /** At most this many proxies (the socket peer counts) are stepped over; the next hop is the client whatever its address. */
  maxHops?: number;
}

export interface IncomingRequest {
  /**
   * The address the connection came from: `socket.remoteAddress`, or the PROXY protocol source
   * once the caller has accepted that header from a trusted load balancer. Undefined for a
   * closed or Unix socket.
   */
  peer: string | undefined;
  /** Whether the connection to Postern is itself TLS (the scheme when no trusted proxy says otherwise). */
  tls: boolean;
  headers: HeaderList;
}

export interface Hop {
  /** Normalised IP, or the entry as written (printable, shortened) when it names none. */
  address: string;
  source: 'socket' | 'x-forwarded-for' | 'forwarded';
  trusted: boolean;
  why: string;
}

export type ValueSource = 'socket' | 'host' | 'x-forwarded-proto' | 'x-forwarded-host' | 'x-forwarded-prefix' | 'forwarded' | 'none';

export type ForwardedWarningCode =
  | 'forwarded-untrusted'
  | 'unusable-peer'
  | 'malformed-hop'
  | 'hidden-hop'
  | 'max-hops-reached'
  | 'conflicting-values'
  | 'malformed-value'
  | 'header-scheme-mismatch'
  | 'duplicate-host';

export interface ForwardedWarning {
  code: ForwardedWarningCode;
  message: string;
  fix: string;
}

export interface Forwarding {
  /** Normalised (IPv4-mapped IPv6 as IPv4); null only when the peer address is unknown. */
  clientIp: string | null;
  proto: 'http' | 'https';
  /** Lower-case host[:port], or null when nobody said (no Host header, HTTP/1.0). */
  host: string | null;
  /** `/gw/` form; null unless a trusted proxy sent X-Forwarded-Prefix. */
  prefix: string | null;
  from: { proto: ValueSource; host: ValueSource; prefix: ValueSource };
  /** The socket peer first, then each entry the walk read, right to left; the last is the client's. */
  hops: Hop[];
  trustedPeer: boolean;
  /** Forwarding headers present in the request but not used (untrusted peer, or another header chosen). */
  ignoredHeaders: string[];
  warnings: ForwardedWarning[];
}

/** Headers this module reads or recognises; X-Real-IP only to say it is not read. */
export const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-prefix', 'x-real-ip'] as const;

interface ChainEntry {
  node: NodeName;
  params: ForwardedParams | null;
  missingFor: boolean;
}

export function resolveForwarded(req: IncomingRequest, policy: ForwardingPolicy): Forwarding {
  const warnings: ForwardedWarning[] = [];
  const present = FORWARDING_HEADERS.filter((h) => headerValues(req.headers, h).length > 0);
  const host = hostHeader(req.headers, warnings);
  const result: Forwarding = {
    clientIp: null,
    proto: req.tls ? 'https' : 'http',
    host,
    prefix: null,
    from: { proto: 'socket', host: host === null ? 'none' : 'host', prefix: 'none' },
    hops: [],
    trustedPeer: false,
    ignoredHeaders: [],
    warnings,
  };

  const peerAddr = req.peer === undefined ? null : parseAddress(req.peer);
  if (!peerAddr) {
    result.hops.push({ address: shown(req.peer ?? '(none)'), source: 'socket', trusted: false, why: 'the connection has no IP address (closed, or a Unix socket)' });
    result.ignoredHeaders = [...present];
    warn(warnings, 'unusable-peer', 'the connection\'s peer address is unknown, so the client IP is unknown', 'listen on a TCP address, not a Unix socket, for the console');
    return result;
  }
  const peer = peerAddr.toString();
  result.clientIp = peer;
  const peerEntry = matchTrusted(peer, policy.trusted);
  if (!peerEntry) {
    result.hops.push({ address: peer, source: 'socket', trusted: false, why: `socket peer, not in ${SETTING.trustedProxies}: it is the client` });
    result.ignoredHeaders = [...present];
    if (present.length > 0) {
      warn(
        warnings,
        'forwarded-untrusted',
        `${peer} sent ${present.map(headerName).join(', ')} but is not a trusted proxy, so ${present.length === 1 ? 'it was' : 'they were'} ignored and ${peer} counts as the client`,
        `if ${peer} is your reverse proxy, add "${peer}" (or its network) to ${SETTING.trustedProxies}; if it is not, nothing is wrong: a client tried to choose its own address`,
      );
    }
    return result;
  }
  result.trustedPeer = true;
  result.hops.push({ address: peer, source: 'socket', trusted: true, why: `socket peer, in trusted network ${peerEntry.label}` });

  if (policy.header === 'none') {
    result.ignoredHeaders = [...present];
    if (present.includes('x-forwarded-for') || present.includes('forwarded')) {
      warn(warnings, 'header-scheme-mismatch', `the trusted proxy ${peer} sent ${present.map(headerName).join(', ')}, which ${SETTING.clientIpHeader} = "none" ignores`, `set ${SETTING.clientIpHeader} to "x-forwarded-for" or "forwarded" to use them`);
    }
    return result;
  }

  const source = policy.header;
  const chain = source === 'forwarded' ? forwardedChain(req.headers) : xffChain(req.headers);
  const visited = walk(chain, source, policy, result);
  result.ignoredHeaders = present.filter((h) => ignoredBy(h, source));
  schemeMismatch(present, source, peer, warnings);

  if (source === 'forwarded') fromForwardedElements(chain.slice(0, visited), result);
  else fromXForwarded(req.headers, result);
  prefixFromHeader(req.headers, result);
  return result;
}

/** Reads the chain right to left from the peer; returns how many entries it visited. */
function walk(chain: readonly ChainEntry[], source: 'x-forwarded-for' | 'forwarded', policy: ForwardingPolicy, result: Forwarding): number {
  if (policy.maxHops !== undefined && policy.maxHops < 1) return 0; // no proxy may speak for a client
  let stepped = 1; // proxies stepped over: the peer so far
  let visited = 0;
  for (const entry of chain) {
    visited++;
    const { node } = entry;
    const known = result.clientIp as string;
    if (node.kind !== 'ip') {
      const [text, why, code] = describeUnusable(node, entry.missingFor);
      result.hops.push({ address: text, source, trusted: false, why: `${why}; the client IP stays ${known}, the proxy that wrote it` });
      warn(result.warnings, code, `the trusted proxy ${known} reported ${why}, so its clients all appear as ${known}`, code === 'hidden-hop'
        ? `let that proxy send the real address (${PROXY_HINT.clientIp})`
        : `check what the proxy at ${known} writes into ${headerName(source)}`);
      return visited;
    }
    result.clientIp = node.address;
    if (policy.maxHops !== undefined && stepped >= policy.maxHops) {
      result.hops.push({ address: node.address, source, trusted: false, why: `taken as the client: ${SETTING.maxProxyHops} = ${policy.maxHops} proxies already stepped over` });
      if (matchTrusted(node.address, policy.trusted)) {
        warn(result.warnings, 'max-hops-reached', `the walk stopped at ${node.address}, a trusted proxy address, because ${SETTING.maxProxyHops} is ${policy.maxHops}`, `raise ${SETTING.maxProxyHops} to the number of proxies in front of Postern`);
      }
      return visited;
    }
    const entryTrust = matchTrusted(node.address, policy.trusted);
    if (!entryTrust) {
      result.hops.push({ address: node.address, source, trusted: false, why: `first address not in ${SETTING.trustedProxies}: the client` });
      return visited;
    }
    result.hops.push({ address: node.address, source, trusted: true, why: `in trusted network ${entryTrust.label}` });
    stepped++;
  }
  const last = result.hops[result.hops.length - 1] as Hop;
  if (chain.length > 0) last.why += '; the leftmost entry, so it is the client';
  return visited;
}

function describeUnusable(node: Exclude<NodeName, { kind: 'ip' }>, missingFor: boolean): [string, string, ForwardedWarningCode] {
  if (missingFor) return ['(no for=)', 'a Forwarded element without for=', 'hidden-hop'];
  if (node.kind === 'unknown') return ['unknown', '"unknown" (RFC 7239 §6.2: the proxy does not know the address)', 'hidden-hop'];
  if (node.kind === 'obfuscated') return [node.id, `the obfuscated identifier ${node.id} (RFC 7239 §6.3)`, 'hidden-hop'];
  return [node.text, `a malformed entry ${JSON.stringify(node.text)} (${node.reason})`, 'malformed-hop'];
}

/** X-Forwarded-For over all its lines, right to left. */
function xffChain(headers: HeaderList): ChainEntry[] {
  return listItems(headerValues(headers, 'x-forwarded-for'))
    .reverse()
    .map((item) => ({ node: parseXffEntry(item), params: null, missingFor: false }));
}

/**
 * Forwarded over all its lines, right to left. Each line is split on every comma, even inside
 * quotes: no value the walk reads (for, proto, host) can contain one, and a client's unbalanced
 * quote then cannot swallow the elements that trusted proxies appended after it (a quote-aware
 * split would make the whole rest of the line one malformed element).
 */
function forwardedChain(headers: HeaderList): ChainEntry[] {
  const out: ChainEntry[] = [];
  for (const item of listItems(headerValues(headers, 'forwarded'))) {
    const parsed = parseForwardedElement(item);
    if (!parsed.ok) {
      out.push({ node: { kind: 'invalid', text: shown(item), reason: parsed.error.detail }, params: null, missingFor: false });
      continue;
    }
    const forValue = parsed.value.get('for');
    if (forValue === undefined) out.push({ node: { kind: 'unknown' }, params: parsed.value, missingFor: true });
    else out.push({ node: parseForwardedNode(forValue), params: parsed.value, missingFor: false });
  }
  return out.reverse();
}

/** proto= and host= from the leftmost visited element that carries each (the proxy that faced the client). */
function fromForwardedElements(visited: readonly ChainEntry[], result: Forwarding): void {
  for (const key of ['proto', 'host'] as const) {
    const entry = [...visited].reverse().find((e) => e.params?.has(key));
    const value = entry?.params?.get(key);
    if (value === undefined) continue;
    if (key === 'proto') setProto(value, 'forwarded', 'Forwarded proto=', result);
    else setHost(value, 'forwarded', 'Forwarded host=', result);
  }
}

function fromXForwarded(headers: HeaderList, result: Forwarding): void {
  const proto = lastValue(headers, 'x-forwarded-proto', result.warnings);
  if (proto !== null) setProto(proto, 'x-forwarded-proto', 'X-Forwarded-Proto', result);
  const host = lastValue(headers, 'x-forwarded-host', result.warnings);
  if (host !== null) setHost(host, 'x-forwarded-host', 'X-Forwarded-Host', result);
}

function prefixFromHeader(headers: HeaderList, result: Forwarding): void {
  const value = lastValue(headers, 'x-forwarded-prefix', result.warnings);
  if (value === null) return;
  const p = normalisePrefix(value);
  if (!p.ok) {
    warn(result.warnings, 'malformed-value', `X-Forwarded-Prefix was ignored: ${p.error.detail}`, 'send the prefix the proxy removed, such as /gw');
    return;
  }
  result.prefix = p.value;
  result.from.prefix = 'x-forwarded-prefix';
}

function setProto(value: string, from: ValueSource, label: string, result: Forwarding): void {
  const v = value.toLowerCase();
  if (v !== 'http' && v !== 'https') {
    warn(result.warnings, 'malformed-value', `${label} ${JSON.stringify(shown(value))} was ignored: only http and https mean anything here`, PROXY_HINT.proto);
    return;
  }
  result.proto = v;
  result.from.proto = from;
}

function setHost(value: string, from: ValueSource, label: string, result: Forwarding): void {
  const host = validHost(value);
  if (host === null) {
    warn(result.warnings, 'malformed-value', `${label} ${JSON.stringify(shown(value))} was ignored: not a host name or address with an optional port`, PROXY_HINT.host);
    return;
  }
  result.host = host;
  result.from.host = from;
}

/** The last item of a single-valued X-Forwarded-* header, with a warning when items disagree. */
function lastValue(headers: HeaderList, name: string, warnings: ForwardedWarning[]): string | null {
  const items = listItems(headerValues(headers, name));
  const last = items[items.length - 1];
  if (last === undefined) return null;
  const distinct = new Set(items.map((i) => i.toLowerCase()));
  if (distinct.size > 1) {
    warn(
      warnings,
      'conflicting-values',
      `${headerName(name)} has ${items.length} values (${items.map((i) => shown(i)).join(', ')}); Postern used the last, which the nearest proxy set`,
      'make each proxy replace the header rather than add to it (nginx `proxy_set_header` replaces), and let only the proxy that faces clients set it',
    );
  }
  return last;
}

function hostHeader(headers: HeaderList, warnings: ForwardedWarning[]): string | null {
  const values = headerValues(headers, 'host');
  if (values.length === 0) return null;
  if (values.length > 1) {
    warn(warnings, 'duplicate-host', `the request has ${values.length} Host headers (RFC 9112 §3.2 forbids it), so none was used`, 'find the proxy that adds a second Host header');
    return null;
  }
  const host = validHost((values[0] as string).trim());
  if (host === null) warn(warnings, 'malformed-value', `the Host header ${JSON.stringify(shown(values[0] as string))} was ignored: not a host name or address with an optional port`, PROXY_HINT.host);
  return host;
}

function ignoredBy(header: string, source: 'x-forwarded-for' | 'forwarded'): boolean {
  if (header === 'x-real-ip') return true;
  if (source === 'forwarded') return header === 'x-forwarded-for' || header === 'x-forwarded-proto' || header === 'x-forwarded-host';
  return header === 'forwarded';
}

function schemeMismatch(present: readonly string[], source: 'x-forwarded-for' | 'forwarded', peer: string, warnings: ForwardedWarning[]): void {
  const other = source === 'forwarded' ? 'x-forwarded-for' : 'forwarded';
  if (present.includes(source) || !present.includes(other)) return;
  warn(
    warnings,
    'header-scheme-mismatch',
    `the trusted proxy ${peer} sent ${headerName(other)} but no ${headerName(source)}, and ${SETTING.clientIpHeader} = "${source}"`,
    source === 'forwarded' ? `set ${SETTING.clientIpHeader} = "x-forwarded-for"` : `set ${SETTING.clientIpHeader} = "forwarded", or ${PROXY_HINT.clientIp}`,
  );
}

const HEADER_NAMES: Record<string, string> = {
  forwarded: 'Forwarded',
  'x-forwarded-for': 'X-Forwarded-For',
  'x-forwarded-proto': 'X-Forwarded-Proto',
  'x-forwarded-host': 'X-Forwarded-Host',
  'x-forwarded-prefix': 'X-Forwarded-Prefix',
  'x-real-ip': 'X-Real-IP',
};

function headerName(h: string): string {
  return HEADER_NAMES[h] ?? h;
}

function warn(warnings: ForwardedWarning[], code: ForwardedWarningCode, message: string, fix: string): void {
  warnings.push({ code, message, fix });
}
