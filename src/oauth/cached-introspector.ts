/**
 * Introspection answers remembered in memory, so a client that logs in again (or a proxy that
 * asks again after WAIT) does not cost a round trip to the authorization server. Keyed by an
 * HMAC of the token under a key made at start-up: the cache never holds a token, and a dump of
 * it cannot be matched against guessed ones. An active answer is kept for cache_seconds but
 * never past the token's `exp`; an inactive one for at most NEGATIVE_SECONDS (a client retrying
 * a revoked token is answered from memory, and a token becoming valid later is not refused long).
 * Failures (IntrospectionUnavailable) are not remembered. Concurrent asks for one token share
 * one request.
 */
import { randomBytes } from 'node:crypto';
import { createMemoryStore } from '../cache/expiring-store.js';
import { hmacSha256 } from '../crypto/hmac.js';
import type { IntrospectionResponse, Introspector } from './introspection.js';

export const NEGATIVE_SECONDS = 30;

export interface CachedIntrospection {
  response: IntrospectionResponse;
  /** True when the answer came from memory (no request was made). */
  cached: boolean;
}

/** The introspection the decision uses: an answer, and whether it was remembered. */
export interface TokenIntrospection {
  introspect(token: string): Promise<CachedIntrospection>;
}

export interface IntrospectionCacheSettings {
  /** 0: every login asks the endpoint. */
  cacheSeconds: number;
  maxEntries?: number;
  now?: () => number;
}

export function cachedIntrospector(inner: Introspector, s: IntrospectionCacheSettings): TokenIntrospection {
  const now = s.now ?? Date.now;
  const store = createMemoryStore<IntrospectionResponse>({ maxEntries: s.maxEntries ?? 50_000, now });
  const mac = hmacSha256(randomBytes(32));
  const pending = new Map<string, Promise<IntrospectionResponse>>();

  function ttlMs(r: IntrospectionResponse): number {
    const limit = (r.active ? s.cacheSeconds : Math.min(s.cacheSeconds, NEGATIVE_SECONDS)) * 1000;
    return r.active && r.exp !== undefined ? Math.min(limit, r.exp * 1000 - now()) : limit;
  }

  return {
    async introspect(token) {
      if (s.cacheSeconds === 0) return { response: await inner.introspect(token), cached: false };
      const key = mac(token).toString('base64url');
      const known = await store.get(key);
      if (known) return { response: known, cached: true };
      let asking = pending.get(key);
      if (!asking) {
        asking = inner.introspect(token).then(async (response) => {
          await store.set(key, response, ttlMs(response));
          return response;
        });
        pending.set(key, asking);
        void asking.catch(() => undefined).finally(() => pending.delete(key));
      }
      return { response: await asking, cached: false };
    },
  };
}
