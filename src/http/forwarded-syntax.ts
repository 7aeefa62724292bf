/**
 * The syntax of forwarding headers, without deciding whom to believe (that is forwarded.ts):
 * one X-Forwarded-For entry, one RFC 7239 node identifier, one RFC 7239 forwarded-element.
 * Nothing here throws on peer input.
 */
import { isIPv4, isIPv6 } from 'node:net';
import ipaddr from 'ipaddr.js';
import type { ParseResult } from '../authhttp/index.js';
import { shown } from './headers.js';

/** What one hop entry names. `address` is normalised: IPv4-mapped IPv6 as IPv4, IPv6 compressed lower-case. */
export type NodeName =
  | { kind: 'ip'; address: string }
  | { kind: 'unknown' }
  | { kind: 'obfuscated'; id: string }
  | { kind: 'invalid'; text: string; reason: string };

/**
 * One X-Forwarded-For entry. Accepted: `192.0.2.1`, `192.0.2.1:4711` (Azure Application Gateway
 * adds ports), `2001:db8::1`, `[2001:db8::1]`, `[2001:db8::1]:4711`, `::ffff:192.0.2.1`, and
 * `unknown` (Squid's `forwarded_for off`). Everything else is invalid, deliberately including
 * quotes (XFF has no quoting), zone ids and legacy IPv4 forms such as `010.1` (octal or decimal?).
 */
export function parseXffEntry(text: string): NodeName {
  const t = text.trim();
  if (t.toLowerCase() === 'unknown') return { kind: 'unknown' };
  if (t.startsWith('[')) {
    const m = /^\[([^\]]*)\](?::(\d{1,5}))?$/.exec(t);
    if (!m || (m[2] !== undefined && !validPort(m[2]))) return invalid(t, 'a bracketed IPv6 address may only be followed by :port');
    return ipv6Node(m[1] as string, t);
  }
  const v4 = /^([0-9.]+)(?::(\d{1,5}))?$/.exec(t);
  if (v4) {
    if (v4[2] !== undefined && !validPort(v4[2])) return invalid(t, 'the port is not a number from 0 to 65535');
    return isIPv4(v4[1] as string) ? ip(v4[1] as string) : invalid(t, 'not a dotted-decimal IPv4 address');
  }
  if (t.includes(':')) return ipv6Node(t, t);
  return invalid(t, t === '' ? 'empty entry' : 'not an IP address');
}

/**
 * An RFC 7239 §6 node (`for=`/`by=` value, quotes already removed): `192.0.2.1`,
 * `192.0.2.1:4711`, `[2001:db8::1]`, `[2001:db8::1]:4711`, `unknown`, `_hidden`, `_hidden:_port`.
 * IPv6 must be bracketed (§6: the colon would be ambiguous with a port), so a bare
 * `2001:db8::1` is invalid.
 */
export function parseForwardedNode(value: string): NodeName {
  if (value.startsWith('[')) {
    const m = /^\[([^\]]*)\](?::(.*))?$/.exec(value);
    if (!m || (m[2] !== undefined && !validNodePort(m[2]))) return invalid(value, 'a bracketed IPv6 address may only be followed by :port (RFC 7239 §6)');
    return ipv6Node(m[1] as string, value);
  }
  if (isIPv6(value)) return invalid(value, 'IPv6 must be in brackets and quoted: for="[2001:db8::1]" (RFC 7239 §6)');
  const colon = value.indexOf(':');
  const name = colon === -1 ? value : value.slice(0, colon);
  if (colon !== -1 && !validNodePort(value.slice(colon + 1))) return invalid(value, 'bad node-port (RFC 7239 §6)');
  if (name.toLowerCase() === 'unknown') return { kind: 'unknown' };
  if (OBF.test(name)) return { kind: 'obfuscated', id: name };
  return isIPv4(name) ? ip(name) : invalid(value, 'not an IPv4 address, [IPv6] address, "unknown" or _obfuscated name');
}

function validNodePort(text: string): boolean {
  return validPort(text) || OBF.test(text);
}

/** RFC 7239 §6.3 obfnode / obfport. */
const OBF = /^_[A-Za-z0-9._-]+$/;

export type ForwardedParams = ReadonlyMap<string, string>;

/**
 * One forwarded-element (RFC 7239 §4): `pair *( ";" pair )`, pair = `token "=" ( token / quoted-string )`.
 * Parameter names are lower-cased; a repeated parameter makes the element invalid (§4:
 * "MUST NOT occur more than once"). OWS around `;` is tolerated, as many proxies write it.
 */
export function parseForwardedElement(element: string): ParseResult<ForwardedParams, 'bad-element'> {
  const params = new Map<string, string>();
  const s = element;
  let i = 0;
  const fail = (why: string): ParseResult<ForwardedParams, 'bad-element'> => ({
    ok: false,
    error: { code: 'bad-element', detail: why },
  });
  while (i < s.length) {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === ';')) i++;
    if (i >= s.length) break;
    const nameStart = i;
    while (i < s.length && TCHAR.test(s[i] as string)) i++;
    const name = s.slice(nameStart, i).toLowerCase();
    if (name === '' || s[i] !== '=') return fail('expected name=value');
    i++;
    let value: string;
    if (s[i] === '"') {
      const q = readQuoted(s, i);
      if (!q) return fail('unterminated or invalid quoted string');
      value = q.value;
      i = q.end;
    } else {
      const valueStart = i;
      while (i < s.length && TCHAR.test(s[i] as string)) i++;
      value = s.slice(valueStart, i);
      if (value === '') return fail(`empty value for ${name}=${s[i] === '[' ? ': a value with : or [ must be quoted (RFC 7239 §4)' : ''}`);
    }
    if (params.has(name)) return fail(`${name}= given twice`);
    params.set(name, value);
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
    if (i < s.length && s[i] !== ';') {
      const hint = s[i] === ':' || s[i] === '[' ? ': a value with : or [ must be quoted (RFC 7239 §4)' : '';
      return fail(`unexpected ${JSON.stringify(s[i])} after ${name}=${hint}`);
    }
  }
  return { ok: true, value: params };
}

/** RFC 9110 §5.6.2 tchar. */
const TCHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]$/;

/** RFC 9110 §5.6.4 quoted-string starting at `s[start] === '"'`: its unescaped value and the index after it. */
function readQuoted(s: string, start: number): { value: string; end: number } | null {
  let value = '';
  for (let i = start + 1; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '"') return { value, end: i + 1 };
    if (c === '\\') {
      const next = s[++i];
      if (next === undefined || !QDTEXT_OR_PAIR.test(next)) return null;
      value += next;
    } else if (QDTEXT_OR_PAIR.test(c) && c !== '"') value += c;
    else return null;
  }
  return null;
}

const QDTEXT_OR_PAIR = /^[\t\x20-\x7e\x80-\xff]$/;

function ipv6Node(inner: string, text: string): NodeName {
  // Zone ids name an interface of the proxy's own host: meaningless as a client address here.
  if (inner.includes('%') || !isIPv6(inner)) return invalid(text, 'not an IPv6 address');
  return ip(inner);
}

function ip(text: string): NodeName {
  const addr = ipaddr.parse(text);
  const normal = addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() ? (addr as ipaddr.IPv6).toIPv4Address() : addr;
  return { kind: 'ip', address: normal.toString() };
}

function validPort(text: string): boolean {
  return /^\d{1,5}$/.test(text) && Number(text) <= 65535;
}

function invalid(text: string, reason: string): NodeName {
  return { kind: 'invalid', text: shown(text), reason };
}
