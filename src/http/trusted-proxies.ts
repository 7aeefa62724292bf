/**
 * The trusted-proxy list: the peers whose forwarding headers (X-Forwarded-*, RFC 7239
 * Forwarded) Postern believes. Parsed once from configuration; matching says which entry
 * matched, so the diagnostics page can show why a hop was trusted. Addresses and networks go
 * through src/net/cidr.ts (ipaddr.js), so IPv4-mapped IPv6 peers match IPv4 entries.
 */
import type { ParseResult } from '../authhttp/index.js';
import { parseAddress, parseNetwork, type Network } from '../net/cidr.js';

/** Named ranges, as Express's `trust proxy` names them (`uniquelocal` is accepted for `private`). */
export const NAMED_RANGES: Readonly<Record<string, readonly string[]>> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  private: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

/** Gitea's default and the anchors' recommendation (anchors-admin-secrets.md §4.3.1). */
export const DEFAULT_TRUSTED_PROXIES: readonly string[] = ['loopback'];

export interface TrustedEntry {
  network: Network;
  /** How the operator wrote it, with the range for names: `10.0.0.0/8`, `loopback (127.0.0.0/8)`. */
  label: string;
}

export interface TrustedProxies {
  readonly entries: readonly TrustedEntry[];
}

/** Every bad entry is named at once, so one `config check` shows them all. */
export function parseTrustedProxies(list: readonly string[]): ParseResult<TrustedProxies, 'invalid-network'> {
  const entries: TrustedEntry[] = [];
  const bad: string[] = [];
  for (const raw of list) {
    const text = raw.trim();
    const named = NAMED_RANGES[text.toLowerCase()];
    if (named) {
      for (const cidr of named) entries.push({ network: parseNetwork(cidr) as Network, label: `${text.toLowerCase()} (${cidr})` });
      continue;
    }
    const network = parseNetwork(text);
    if (network) entries.push({ network, label: text });
    else bad.push(JSON.stringify(raw));
  }
  if (bad.length > 0) {
    const names = Object.keys(NAMED_RANGES).join(', ');
    return { ok: false, error: { code: 'invalid-network', detail: `not an address, CIDR network or range name (${names}): ${bad.join(', ')}` } };
  }
  return { ok: true, value: { entries } };
}

/** The entry that trusts `address`, or undefined; an unparseable address is never trusted. */
export function matchTrusted(address: string, trusted: TrustedProxies): TrustedEntry | undefined {
  const addr = parseAddress(address);
  if (!addr) return undefined;
  return trusted.entries.find(({ network: [net, bits] }) => net.kind() === addr.kind() && addr.match(net as never, bits));
}

/**
 * Whether the list trusts every IPv4 or every IPv6 address: `0.0.0.0/0`, `::/0`, or networks
 * that add up to them (`0.0.0.0/1` + `128.0.0.0/1`). Then any client can set its own address,
 * scheme and host (SFTPGo #1410's workaround), so the caller warns at start-up and in the console.
 */
export function trustsEverything(trusted: TrustedProxies): boolean {
  return coveredFamilies(trusted).length > 0;
}

/** The warning to show when trustsEverything, or null. */
export function trustEverythingWarning(trusted: TrustedProxies): string | null {
  const families = coveredFamilies(trusted);
  if (families.length === 0) return null;
  return (
    `the trusted proxies cover every ${families.join(' and every ')} address, so any client can claim any ` +
    'address, scheme and host through X-Forwarded-* or Forwarded; list only your proxies\' own addresses'
  );
}

function coveredFamilies(trusted: TrustedProxies): ('IPv4' | 'IPv6')[] {
  const out: ('IPv4' | 'IPv6')[] = [];
  if (covers(trusted, 'ipv4', 32)) out.push('IPv4');
  if (covers(trusted, 'ipv6', 128)) out.push('IPv6');
  return out;
}

/** Merges the family's networks as integer ranges and checks that they span the whole space. */
function covers(trusted: TrustedProxies, kind: 'ipv4' | 'ipv6', width: number): boolean {
  const ranges = trusted.entries
    .filter(({ network: [net] }) => net.kind() === kind)
    .map(({ network: [net, bits] }) => {
      const size = 1n << BigInt(width - bits);
      const start = (toBigInt(net.toByteArray()) / size) * size;
      return [start, start + size] as const;
    })
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let reached = 0n;
  for (const [start, end] of ranges) {
    if (start > reached) return false;
    if (end > reached) reached = end;
  }
  return reached === 1n << BigInt(width);
}

function toBigInt(bytes: number[]): bigint {
  return bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
}
