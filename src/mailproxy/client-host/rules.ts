/**
 * SMTP's `Client-Host` (nginx-auth-http.md §1.3 row 9 and its notes), as nginx 1.22 with
 * Debian's backport of the host validation decides it (`ngx_mail_smtp_init_session`,
 * `_resolve_addr_handler`, `_validate_host`, `_resolve_name_handler` in
 * src/mail/ngx_mail_smtp_handler.c): without a resolver `[UNAVAILABLE]`; else the client
 * address's PTR name, kept only when that name's addresses include the client's. The DNS
 * answers come in; the name or the placeholder goes out. No sockets here.
 */
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

export const UNAVAILABLE = '[UNAVAILABLE]';
export const TEMPUNAVAIL = '[TEMPUNAVAIL]';

/**
 * How one DNS query ended. nginx's resolver turns an answer without records into NXDOMAIN
 * (`code == 0 && nan == 0` in src/core/ngx_resolver.c), so `records: []` counts as one.
 */
export type Lookup = { kind: 'records'; records: string[] } | { kind: 'nxdomain' } | { kind: 'failed'; code: string };

/** A Node DNS error (node:dns error codes) as a Lookup: ENODATA is an empty answer, ENOTFOUND is NXDOMAIN, the rest failures. */
export function lookupFailure(code: string): Lookup {
  if (code === 'ENODATA') return { kind: 'records', records: [] };
  if (code === 'ENOTFOUND') return { kind: 'nxdomain' };
  return { kind: 'failed', code };
}

export type ReverseStep = { kind: 'done'; host: string } | { kind: 'forward'; name: string };

/**
 * After the PTR query: NXDOMAIN (or no PTR) gives `[UNAVAILABLE]`, any other failure (time-out,
 * SERVFAIL, refused) `[TEMPUNAVAIL]`; a name that is not RFC 1034 letters, digits, `-` and `.`
 * gives `[TEMPUNAVAIL]` too (the CVE-2026-28753 fix: the name goes raw into the auth request
 * and XCLIENT). nginx takes the first PTR of the answer; so does this.
 */
export function afterReverse(ptr: Lookup): ReverseStep {
  if (ptr.kind === 'failed') return { kind: 'done', host: TEMPUNAVAIL };
  const name = ptr.kind === 'records' ? ptr.records[0] : undefined;
  if (name === undefined) return { kind: 'done', host: UNAVAILABLE };
  return validHostName(name) ? { kind: 'forward', name } : { kind: 'done', host: TEMPUNAVAIL };
}

/** `ngx_mail_smtp_validate_host`: non-empty, letters, digits, `-` and `.` only. */
export function validHostName(name: string): boolean {
  return /^[A-Za-z0-9.-]+$/.test(name);
}

/**
 * After the forward queries of the PTR name (nginx asks A and AAAA, its resolver's `ipv6=on`
 * default): the name when one address is the client's, else `[UNAVAILABLE]`. A failed query
 * spoils the other's addresses, as in nginx's resolver (the first error code it keeps for the
 * name wins over a later answer); a temporary failure gives `[TEMPUNAVAIL]`, NXDOMAIN
 * `[UNAVAILABLE]`.
 */
export function afterForward(name: string, clientIp: string, a: Lookup, aaaa: Lookup): string {
  const results = [a, aaaa];
  if (results.some((r) => r.kind === 'failed')) return TEMPUNAVAIL;
  if (results.some((r) => r.kind === 'nxdomain')) return UNAVAILABLE;
  const addresses = results.flatMap((r) => (r.kind === 'records' ? r.records : []));
  return addresses.some((address) => sameAddress(address, clientIp)) ? name : UNAVAILABLE;
}

/** `ngx_cmp_sockaddr` without the port: same family, same bytes (an IPv4-mapped IPv6 address is not the IPv4 one). */
function sameAddress(a: string, b: string): boolean {
  // node:net first: ipaddr.js also takes legacy forms such as `10` or `0x0a.1`.
  if (isIP(a) === 0 || isIP(b) === 0) return false;
  const x = ipaddr.parse(a);
  const y = ipaddr.parse(b);
  return x.kind() === y.kind() && x.toByteArray().join() === y.toByteArray().join();
}
