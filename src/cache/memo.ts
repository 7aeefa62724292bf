/**
 * A pure function of a string, remembered for the most recent arguments (bounded, oldest out).
 * For the per-login work on client addresses and names (canonical forms, subnets, trusted or
 * not) that costs more than a map lookup and is asked again for every login from a client.
 */
export function memoise<T>(fn: (key: string) => T, maxEntries = 10_000): (key: string) => T {
  const seen = new Map<string, T>();
  return (key) => {
    if (seen.has(key)) return seen.get(key) as T;
    const value = fn(key);
    if (seen.size >= maxEntries) seen.delete(seen.keys().next().value as string);
    seen.set(key, value);
    return value;
  };
}
