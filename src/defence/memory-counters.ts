/**
 * Counters in this process's memory: for each key, its members with the time each was last
 * seen. Bounded: the least recently touched keys go first, and each key keeps at most
 * `maxMembers` members (the newest). A Redis implementation (sorted sets scored by time)
 * replaces this when several Postern instances must share what they count.
 */
import type { Counters } from './types.js';

export function createMemoryCounters(opts: { maxKeys: number; maxMembers: number; now?: () => number }): Counters & { size(): number } {
  const now = opts.now ?? Date.now;
  const keys = new Map<string, Map<string, number>>();

  function touch(key: string, windowMs: number): Map<string, number> {
    let members = keys.get(key);
    if (members) {
      keys.delete(key);
      const oldest = now() - windowMs;
      // Members are kept in the order they were last seen, so expired ones are at the front.
      for (const [m, at] of members) {
        if (at > oldest) break;
        members.delete(m);
      }
    } else {
      members = new Map();
    }
    keys.set(key, members);
    while (keys.size > opts.maxKeys) keys.delete(keys.keys().next().value as string);
    return members;
  }

  return {
    async addDistinct(key, member, windowMs) {
      const members = touch(key, windowMs);
      members.delete(member);
      members.set(member, now());
      while (members.size > opts.maxMembers) members.delete(members.keys().next().value as string);
      return members.size;
    },
    async countDistinct(key, windowMs) {
      const members = keys.get(key);
      if (!members) return 0;
      const oldest = now() - windowMs;
      let n = 0;
      for (const at of members.values()) if (at > oldest) n++;
      return n;
    },
    async hasMember(key, member, windowMs) {
      const at = keys.get(key)?.get(member);
      return at !== undefined && at > now() - windowMs;
    },
    async reset(key) {
      keys.delete(key);
    },
    size: () => keys.size,
  };
}
