/**
 * A key-value store whose entries expire: the interface the auth cache (and, later, the
 * defence counters) keep their state behind. In memory now, bounded and least-recently-used
 * first out; a Redis implementation joins when several Postern instances share the load,
 * which is why the interface is asynchronous.
 */

export interface ExpiringStore<T> {
  get(key: string): Promise<T | undefined>;
  set(key: string, value: T, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
}

export interface MemoryStore<T> extends ExpiringStore<T> {
  size(): number;
}

export function createMemoryStore<T>(opts: { maxEntries: number; now?: () => number }): MemoryStore<T> {
  const now = opts.now ?? Date.now;
  // Map keeps insertion order: re-inserting on use makes the first key the least recently used.
  const entries = new Map<string, { value: T; expires: number }>();
  return {
    async get(key) {
      const e = entries.get(key);
      if (!e) return undefined;
      entries.delete(key);
      if (e.expires <= now()) return undefined;
      entries.set(key, e);
      return e.value;
    },
    async set(key, value, ttlMs) {
      entries.delete(key);
      if (ttlMs <= 0) return;
      entries.set(key, { value, expires: now() + ttlMs });
      while (entries.size > opts.maxEntries) {
        const oldest = entries.keys().next();
        if (oldest.done) break;
        entries.delete(oldest.value);
      }
    },
    async delete(key) {
      entries.delete(key);
    },
    size: () => entries.size,
  };
}
