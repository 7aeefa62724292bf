/**
 * IP literals exactly as nginx reads them (`ngx_parse_addr` = `ngx_inet_addr`, then
 * `ngx_inet6_addr`, src/core/ngx_inet.c). Used for `Auth-Server` (nginx-auth-http.md §2.2: an
 * IP literal, no DNS, IPv6 without brackets) and for the `auth_http` URL's host. nginx is
 * both more lenient and stricter than Node's `net.isIP`, so this is a port, not a wrapper:
 * `01.2.3.4` and `1..2.3` are accepted, `255.255.255.255` is refused (it equals INADDR_NONE),
 * `:1:2:3:4:5:6:7:8` is accepted (one leading colon is skipped).
 */
import ipaddr from 'ipaddr.js';

export interface IpLiteral {
  family: 4 | 6;
  /** Canonical text for connecting and logging: dotted quad, or RFC 5952 IPv6. */
  address: string;
}

/** `ngx_parse_addr`: IPv4 first, then IPv6; `undefined` where nginx says NGX_DECLINED. */
export function parseNginxAddr(text: Uint8Array): IpLiteral | undefined {
  const v4 = ngxInetAddr(text);
  if (v4 !== undefined) return { family: 4, address: formatIpv4(v4) };
  const v6 = ngxInet6Addr(text);
  if (v6 !== undefined) return { family: 6, address: formatIpv6(v6) };
  return undefined;
}

const INADDR_NONE = 0xffffffff;

/** `ngx_inet_addr`: digits and exactly three dots, each octet ≤ 255 (empty octets count as 0). Host order. */
export function ngxInetAddr(text: Uint8Array): number | undefined {
  let addr = 0;
  let octet = 0;
  let dots = 0;
  for (const c of text) {
    if (c >= 0x30 && c <= 0x39) {
      octet = octet * 10 + (c - 0x30);
      if (octet > 255) return undefined;
      continue;
    }
    if (c === 0x2e) {
      addr = (addr * 256 + octet) >>> 0;
      octet = 0;
      dots++;
      continue;
    }
    return undefined;
  }
  if (dots !== 3) return undefined;
  addr = (addr * 256 + octet) >>> 0;
  // nginx returns INADDR_NONE as the error value, so the broadcast address reads as an error.
  return addr === INADDR_NONE ? undefined : addr;
}

/** `ngx_inet6_addr`, transcribed state for state; 16 bytes, or `undefined` for NGX_ERROR. */
export function ngxInet6Addr(text: Uint8Array): Uint8Array | undefined {
  let len = text.length;
  if (len === 0) return undefined;
  const out = new Uint8Array(16);
  let a = 0; // write position (nginx's addr)
  let zero = -1; // where "::" was seen
  let digit = -1; // start of the last group, for a dotted IPv4 tail
  let len4 = 0;
  let nibbles = 0;
  let word = 0;
  let n = 8;
  let p = 0;
  if (text[0] === 0x3a) {
    p++;
    len--;
  }
  for (; len; len--) {
    const c = text[p++] as number;
    if (c === 0x3a) {
      if (nibbles) {
        digit = p;
        len4 = len;
        out[a++] = word >> 8;
        out[a++] = word & 0xff;
        if (--n) {
          nibbles = 0;
          word = 0;
          continue;
        }
      } else if (zero === -1) {
        digit = p;
        len4 = len;
        zero = a;
        continue;
      }
      return undefined;
    }
    if (c === 0x2e && nibbles) {
      if (n < 2 || digit === -1) return undefined;
      const v4 = ngxInetAddr(text.subarray(digit, digit + len4 - 1));
      if (v4 === undefined) return undefined;
      word = v4;
      out[a++] = (word >>> 24) & 0xff;
      out[a++] = (word >>> 16) & 0xff;
      n--;
      break;
    }
    if (++nibbles > 4) return undefined;
    if (c >= 0x30 && c <= 0x39) {
      word = word * 16 + (c - 0x30);
      continue;
    }
    const lower = c | 0x20;
    if (lower >= 0x61 && lower <= 0x66) {
      word = word * 16 + (lower - 0x61) + 10;
      continue;
    }
    return undefined;
  }
  if (nibbles === 0 && zero === -1) return undefined;
  out[a++] = (word >>> 8) & 0xff;
  out[a++] = word & 0xff;
  if (--n) {
    if (zero === -1) return undefined;
    // Move what followed "::" to the end and zero the gap.
    const gap = n * 2;
    out.copyWithin(zero + gap, zero, a);
    out.fill(0, zero, zero + gap);
    return out;
  }
  return zero === -1 ? out : undefined;
}

export function formatIpv4(addr: number): string {
  return [addr >>> 24, (addr >>> 16) & 0xff, (addr >>> 8) & 0xff, addr & 0xff].join('.');
}

/** RFC 5952 §4: lower case, no leading zeros, the longest run (≥ 2) of zero groups as `::`. */
export function formatIpv6(bytes: Uint8Array): string {
  return new ipaddr.IPv6(Array.from(bytes)).toRFC5952String();
}
