/**
 * The login recorder: the auth_http listener hands it every decision, and it writes them to the
 * login history in batches, off the auth path. Recording is O(1) (one stamped copy pushed and,
 * when the buffer was empty, one timer); the buffer is handed to `write` at most once per
 * `intervalMs`, at once when it holds `batchSize` events, and at close (the server's `write`
 * is the history worker, src/store/history-writer.ts). A failed write never reaches an auth
 * answer: its events go back to the buffer (all of them, or those after the `written` first
 * ones a HistoryWriteError says were committed) and are tried again a second later, the
 * failure is logged once per streak, and beyond `maxBuffered` the oldest events are dropped (a
 * tenth at a time, so recording stays O(1)) and counted in the log.
 */
import { isoTimes } from '../log/iso-time.js';
import type { Logger } from '../log/logger.js';
import type { LoginEvent } from '../store/index.js';

/** What the listener knows about one decision (no time: the recorder stamps it). */
export type LoginAttempt = Omit<LoginEvent, 'at'>;

/** setTimeout and clearTimeout, injectable so tests can move time by hand. */
export interface Timers {
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Node's timers, unref'd: a pending flush never keeps a stopping process alive (close flushes). */
export const NODE_TIMERS: Timers = {
  setTimeout: (run, ms) => setTimeout(run, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface RecorderOptions {
  /** Writes the events; on failure may reject with `{ written }`: that many of the first events were kept. */
  write(events: LoginEvent[]): Promise<void>;
  log: Pick<Logger, 'info' | 'warn'>;
  now?: () => number;
  timers?: Timers;
  intervalMs?: number;
  batchSize?: number;
  maxBuffered?: number;
}

export interface LoginRecorder {
  record(attempt: LoginAttempt): void;
  /** Writes what is buffered now (after a write in flight); for close and tests. */
  flush(): Promise<void>;
  /** Stops the timer and writes the rest; later records are ignored. */
  close(): Promise<void>;
  /** Events waiting, and events dropped so far. */
  stats(): { buffered: number; dropped: number };
}

/**
 * Inbound mail (`Auth-Method: none`, smtp_auth none) is routing, not a login: a busy MX would
 * fill the history with deliveries. Only logins are recorded.
 */
export function isLogin(method: string): boolean {
  return method !== 'none';
}

/** How many of the first events a failed write still kept (a HistoryWriteError's `written`). */
function keptBy(err: unknown, of: number): number {
  const n = Number((err as { written?: unknown } | null)?.written);
  return Number.isInteger(n) && n > 0 ? Math.min(n, of) : 0;
}

export function createLoginRecorder(opts: RecorderOptions): LoginRecorder {
  const now = opts.now ?? Date.now;
  const timers = opts.timers ?? NODE_TIMERS;
  const intervalMs = opts.intervalMs ?? 1000;
  const batchSize = opts.batchSize ?? 5000;
  const maxBuffered = Math.max(batchSize, opts.maxBuffered ?? 50_000);
  const { log } = opts;

  // Stamped as they come: a flush then only slices the buffer on the thread that answers nginx
  // (making 5,000 events at once there would hold it up for milliseconds).
  const iso = isoTimes();
  let buffer: LoginEvent[] = [];
  let timer: unknown = null;
  let running: Promise<void> | null = null;
  let lastStart = -Infinity;
  let failures = 0;
  let dropped = 0;
  let unreported = 0;
  let closed = false;

  function schedule(delay: number): void {
    if (timer !== null || closed) return;
    timer = timers.setTimeout(() => {
      timer = null;
      void run();
    }, delay);
  }

  function dropOldest(): void {
    const n = buffer.length - maxBuffered + Math.ceil(maxBuffered / 10);
    buffer.splice(0, n);
    dropped += n;
    unreported += n;
  }

  function take(max: number): LoginEvent[] {
    if (max >= buffer.length) {
      const all = buffer;
      buffer = [];
      return all;
    }
    const events = buffer.slice(0, max);
    buffer = buffer.slice(max);
    return events;
  }

  /** Puts events that could not be written back in front of newer ones. */
  function putBack(events: LoginEvent[]): void {
    buffer = events.length === 0 ? buffer : [...events, ...buffer];
    if (buffer.length > maxBuffered) dropOldest();
  }

  function reportDrops(): void {
    if (unreported === 0) return;
    log.warn({ event: 'history-dropped', dropped: unreported, dropped_total: dropped }, 'the login history buffer was full: the oldest events were not recorded');
    unreported = 0;
  }

  /** Writes the events; returns how many of the first ones are kept (all of them unless it failed). */
  async function writeOnce(events: LoginEvent[]): Promise<number> {
    try {
      await opts.write(events);
      if (failures > 0) log.info({ event: 'history-write-recovered', failed_writes: failures }, 'the login history is being written again');
      failures = 0;
      reportDrops();
      return events.length;
    } catch (err) {
      if (failures === 0) {
        log.warn(
          { event: 'history-write-failed', err: { message: (err as Error).message }, buffered: events.length + buffer.length },
          'the login history could not be written; retrying every second (logins are not affected)',
        );
      }
      failures++;
      return keptBy(err, events.length);
    }
  }

  async function run(): Promise<void> {
    if (running) return running;
    if (buffer.length === 0) return;
    lastStart = now();
    const events = take(batchSize);
    running = writeOnce(events).then((kept) => {
      const ok = kept === events.length;
      if (!ok) putBack(events.slice(kept));
      running = null;
      if (buffer.length === 0) return;
      // After a failure, wait a whole interval: a broken database is not asked in a loop.
      schedule(!ok ? intervalMs : buffer.length >= batchSize ? 0 : Math.max(0, lastStart + intervalMs - now()));
    });
    return running;
  }

  return {
    record(attempt) {
      if (closed || !isLogin(attempt.method)) return;
      buffer.push({ ...attempt, at: iso(now()) });
      if (buffer.length > maxBuffered) dropOldest();
      if (running) return; // its completion schedules the next write
      if (buffer.length >= batchSize) {
        if (timer !== null) timers.clearTimeout(timer);
        timer = null;
        schedule(0);
      } else {
        schedule(Math.max(0, lastStart + intervalMs - now()));
      }
    },

    async flush() {
      if (running) await running;
      if (timer !== null) timers.clearTimeout(timer);
      timer = null;
      while (buffer.length > 0) {
        const before = failures;
        await run();
        if (failures > before) break; // keep them for the next try
      }
      if (buffer.length > 0) schedule(intervalMs);
    },

    async close() {
      if (closed) return;
      // Closed first: no timer starts another write while the one in flight finishes.
      closed = true;
      if (timer !== null) timers.clearTimeout(timer);
      timer = null;
      if (running) await running;
      while (buffer.length > 0) {
        const events = take(batchSize);
        const kept = await writeOnce(events);
        if (kept < events.length) {
          const lost = events.length - kept + buffer.length;
          buffer = [];
          log.warn({ event: 'history-lost', lost }, 'stopping: the last login history events could not be written');
          break;
        }
      }
      reportDrops();
    },

    stats: () => ({ buffered: buffer.length, dropped }),
  };
}
