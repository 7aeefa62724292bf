/**
 * Records when an app password was last used, after the reply has gone to nginx and at most
 * once per `intervalMs` per app password: every write to the directory drops the auth path's
 * lookup memory (src/store/memo-reader.ts), so a busy phone checking mail every few seconds must
 * not turn into a write, and a forgotten cache, per check. "Last used" is therefore accurate
 * to the interval, which is what a person revoking an old device needs to know.
 */
import type { Logger } from '../log/logger.js';

export interface LastUsedOptions {
  write(id: number, at: string): Promise<void>;
  log: Pick<Logger, 'warn'>;
  /** Default one minute. */
  intervalMs?: number;
  now?: () => number;
  /** Bound on the app passwords remembered (older entries are forgotten first). */
  maxEntries?: number;
}

/** Returns `used(id)`, which writes now or not at all; it never throws and never waits. */
export function createLastUsedRecorder(opts: LastUsedOptions): (id: number) => void {
  const interval = opts.intervalMs ?? 60_000;
  const now = opts.now ?? Date.now;
  const max = opts.maxEntries ?? 10_000;
  // Insertion order is write order: the oldest writes are at the front.
  const written = new Map<number, number>();

  return (id) => {
    const t = now();
    const last = written.get(id);
    if (last !== undefined && t - last < interval) return;
    written.delete(id);
    written.set(id, t);
    for (const [k, at] of written) {
      if (written.size <= max && t - at < interval) break;
      written.delete(k);
    }
    opts.write(id, new Date(t).toISOString()).catch((err: unknown) => {
      // Only a timestamp is lost; the login itself has been answered.
      opts.log.warn({ event: 'app-password-last-used-failed', app_password_id: id, err: (err as Error).message }, 'could not record when an app password was last used');
    });
  };
}
