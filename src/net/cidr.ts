/**
 * IP networks: parsing operator-supplied CIDR lists once and matching client addresses
 * against them. IPv4-mapped IPv6 addresses (::ffff:1.2.3.4, as Node reports IPv4 peers on
 * dual-stack sockets) are matched as IPv4.
 */
import { isIPv4, isIPv6 } from 'node:net';
import ipaddr from 'ipaddr.js';

export type Network = [ipaddr.IPv4 | ipaddr.IPv6, number];

export function isValidNetwork(text: string): boolean {
  return parseNetwork(text) !== null;
}

/** `10.0.0.0/8`, `2001:db8::/32`, or a single address (a /32 or /128). */
export function parseNetwork(text: string): Network | null {
  const t = text.trim();
  try {
    if (t.includes('/')) {
      const [addr, bits] = ipaddr.parseCIDR(t);
      return [normalise(addr), addr.kind() === 'ipv6' && normalise(addr).kind() === 'ipv4' ? Math.max(0, bits - 96) : bits];
    }
    if (!ipaddr.isValid(t)) return null;
    const addr = normalise(ipaddr.parse(t));
    return [addr, addr.kind() === 'ipv4' ? 32 : 128];
  } catch {
    return null;
  }
}

export function parseNetworks(list: readonly string[]): Network[] {
  return list.map((text) => {
    const net = parseNetwork(text);
    if (!net) throw new Error(`invalid network "${text}": use an address or CIDR such as 192.0.2.0/24`);
    return net;
  });
}

/**
 * parseNetworks for lists that do not change once made (a mailbox's or app password's networks,
 * frozen in the directory's lookup memory): parsed once per list, not once per login.
 */
const parsedLists = new WeakMap<readonly string[], Network[]>();
export function networksOf(list: readonly string[]): Network[] {
  let nets = parsedLists.get(list);
  if (!nets) parsedLists.set(list, (nets = parseNetworks(list)));
  return nets;
}

export function parseAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  const t = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  // node:net decides the family cheaply and strictly (no legacy "10" or "0x0a.1" forms);
  // ipaddr.parse tries IPv6 first, which dominated the auth path's profile.
  try {
    if (isIPv4(t)) return ipaddr.IPv4.parse(t);
    if (isIPv6(t)) return normalise(ipaddr.IPv6.parse(t));
  } catch {
    /* fall through */
  }
  return null;
}

export function inNetworks(address: string, networks: readonly Network[]): boolean {
  const addr = parseAddress(address);
  if (!addr) return false;
  return networks.some(([net, bits]) => net.kind() === addr.kind() && addr.match(net as never, bits));
}

function normalise(addr: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | ipaddr.IPv6 {
  return addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() ? (addr as ipaddr.IPv6).toIPv4Address() : addr;
}
