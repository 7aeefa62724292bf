/**
 * Retention of the login history: rows older than `history.retention_days` are deleted when
 * Postern starts and every hour after. Pruning runs whether or not recording is enabled, so
 * turning the history off lets what was kept age out. A failed prune is logged once per streak
 * and tried again at the next hour.
 */
import type { Logger } from '../log/logger.js';
import { NODE_TIMERS, type Timers } from './recorder.js';

export const PRUNE_EVERY_MS = 3_600_000;

export interface RetentionOptions {
  prune(before: string): Promise<number>;
  retentionDays: number;
  log: Pick<Logger, 'info' | 'warn'>;
  now?: () => number;
  timers?: Timers;
}

export interface Retention {
  /** Deletes what is older than the retention now; resolves with how many rows (0 after a failure). */
  pruneNow(): Promise<number>;
  stop(): Promise<void>;
}

/** The oldest instant kept: `retentionDays` before `now`. */
export function retentionCutoff(now: number, retentionDays: number): string {
  return new Date(now - retentionDays * 86_400_000).toISOString();
}

export function startRetention(opts: RetentionOptions): Retention {
  const now = opts.now ?? Date.now;
  const timers = opts.timers ?? NODE_TIMERS;
  let failing = false;
  let stopped = false;
  let timer: unknown = null;
  let running: Promise<number> | null = null;

  async function prune(): Promise<number> {
    const before = retentionCutoff(now(), opts.retentionDays);
    try {
      const deleted = await opts.prune(before);
      if (deleted > 0) opts.log.info({ event: 'history-pruned', deleted, before }, `login history: deleted ${deleted} entries older than ${opts.retentionDays} days`);
      failing = false;
      return deleted;
    } catch (err) {
      if (!failing) opts.log.warn({ event: 'history-prune-failed', err: { message: (err as Error).message } }, 'the login history could not be pruned; trying again in an hour');
      failing = true;
      return 0;
    }
  }

  function pruneNow(): Promise<number> {
    running ??= prune().finally(() => (running = null));
    return running;
  }

  function tick(): void {
    timer = timers.setTimeout(() => {
      if (stopped) return;
      void pruneNow().finally(() => {
        if (!stopped) tick();
      });
    }, PRUNE_EVERY_MS);
  }

  void pruneNow();
  tick();
  return {
    pruneNow,
    async stop() {
      stopped = true;
      if (timer !== null) timers.clearTimeout(timer);
      if (running) await running;
    },
  };
}
