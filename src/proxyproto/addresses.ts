/**
 * IP addresses between their PROXY protocol forms (text in v1, network-order bytes in v2) and the
 * one text form the decoder reports, so that a header decodes to the same strings whichever
 * version carried it.
 */
import { isIPv4, isIPv6 } from 'node:net';
import ipaddr from 'ipaddr.js';

/** 4 or 16 network-order bytes as text: dotted-decimal, or compressed lower-case IPv6 (`::ffff:a.b.c.d` when IPv4-mapped). */
export function ipFromBytes(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  const v6 = new ipaddr.IPv6(Array.from(bytes));
  return v6.isIPv4MappedAddress() ? `::ffff:${v6.toIPv4Address().toString()}` : v6.toRFC5952String();
}

/** §2.1 wants IPv6 as hexadecimal groups only, so the encoder writes `::ffff:102:304`, not the dotted form. */
export function v1Text(bytes: Uint8Array): string {
  return bytes.length === 4 ? Array.from(bytes).join('.') : new ipaddr.IPv6(Array.from(bytes)).toRFC5952String();
}

/**
 * v1 address text (spec §2.1), strictly: IPv4 as four decimal numbers without leading zeros
 * (node:net's isIPv4 refuses `010.0.0.1`, which some parsers read as octal); IPv6 in any
 * RFC 4291 form but without a zone id. Returned in ipFromBytes's form, or null.
 */
export function canonicalIp(text: string, family: 'ipv4' | 'ipv6'): string | null {
  if (family === 'ipv4') return isIPv4(text) ? text : null;
  if (text.includes('%') || !isIPv6(text)) return null;
  return ipFromBytes(Uint8Array.from(ipaddr.IPv6.parse(text).toByteArray()));
}

/**
 * Bytes for the encoder. An IPv4-mapped IPv6 address (as Node reports IPv4 peers on dual-stack
 * sockets) is accepted for `ipv4`, and a plain IPv4 address for `ipv6` (written IPv4-mapped).
 */
export function ipToBytes(text: string, family: 'ipv4' | 'ipv6'): Buffer | null {
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  if (isIPv4(text)) addr = ipaddr.IPv4.parse(text);
  else if (isIPv6(text) && !text.includes('%')) addr = ipaddr.IPv6.parse(text);
  else return null;
  if (family === 'ipv4') {
    if (addr.kind() === 'ipv6') {
      if (!(addr as ipaddr.IPv6).isIPv4MappedAddress()) return null;
      addr = (addr as ipaddr.IPv6).toIPv4Address();
    }
  } else if (addr.kind() === 'ipv4') {
    addr = (addr as ipaddr.IPv4).toIPv4MappedAddress();
  }
  return Buffer.from(addr.toByteArray());
}

export function validPort(port: number): boolean {
  return Number.isInteger(port) && port >= 0 && port <= 65535;
}
