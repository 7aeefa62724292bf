/**
 * The subnet a client address belongs to, for counting and banning in aggregate: attackers
 * rotate addresses within their network (Mailu and Dovecot group IPv4 by /24 and IPv6 by /48).
 */
import ipaddr from 'ipaddr.js';
import { parseAddress } from '../net/cidr.js';

export function subnetOf(ip: string, v4Prefix: number, v6Prefix: number): string | undefined {
  const addr = parseAddress(ip);
  if (!addr) return undefined;
  const bits = addr.kind() === 'ipv4' ? v4Prefix : v6Prefix;
  return `${networkAddress(addr, bits)}/${bits}`;
}

function networkAddress(addr: ipaddr.IPv4 | ipaddr.IPv6, bits: number): string {
  const bytes = addr.toByteArray();
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    bytes[i] = bytes[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  return ipaddr.fromByteArray(bytes).toString();
}
