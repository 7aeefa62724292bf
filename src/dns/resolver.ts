/**
 * Backend host names → IP literals. nginx accepts only an IP in `Auth-Server` and does no DNS
 * (nginx-auth-http.md §2.2), so Postern resolves, and caches for `ttlSeconds` so a login does
 * not wait on DNS. Lookups of one name in flight at once are shared. Failures are not cached
 * for long: the next login tries again after a few seconds.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

export interface Resolver {
  /** An IP literal for `host` (IPv6 without brackets); rejects when the name does not resolve. */
  resolve(host: string): Promise<string>;
}

export type LookupFn = (host: string) => Promise<string>;

const FAILURE_TTL_MS = 5000;

export function createResolver(opts: { ttlSeconds: number; lookup?: LookupFn; now?: () => number }): Resolver {
  const doLookup: LookupFn = opts.lookup ?? (async (host) => (await lookup(host)).address);
  const now = opts.now ?? Date.now;
  const cache = new Map<string, { expires: number; value: Promise<string> }>();
  return {
    resolve(host: string): Promise<string> {
      const literal = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
      if (isIP(literal)) return Promise.resolve(literal);
      const hit = cache.get(host);
      if (hit && hit.expires > now()) return hit.value;
      const value = doLookup(host).then((address) => {
        if (!isIP(address)) throw new Error(`lookup of ${host} gave no IP address`);
        return address;
      });
      const entry = { expires: now() + opts.ttlSeconds * 1000, value };
      cache.set(host, entry);
      value.catch(() => {
        entry.expires = Math.min(entry.expires, now() + FAILURE_TTL_MS);
      });
      return value;
    },
  };
}
