/**
 * The login recorder: the auth_http listener hands it every decision, and it writes them to the
 * login history in batches, off the auth path. Recording is O(1) (two array pushes and, when
 * the buffer was empty, one timer); the buffer is written in one transaction at most once per
 * `intervalMs`, at once when it holds `batchSize` events, and at close. A failed write never
 * reaches an auth answer: its events go back to the buffer and are tried again a second later,
 * the failure is logged once per streak, and beyond `maxBuffered` the oldest events are
 * dropped (a tenth at a time, so recording stays O(1)) and counted in the log.
 */
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

export function createLoginRecorder(opts: RecorderOptions): LoginRecorder {
  const now = opts.now ?? Date.now;
  const timers = opts.timers ?? NODE_TIMERS;
  const intervalMs = opts.intervalMs ?? 1000;
  const batchSize = opts.batchSize ?? 5000;
  const maxBuffered = Math.max(batchSize, opts.maxBuffered ?? 50_000);
  const { log } = opts;

  let attempts: LoginAttempt[] = [];
  let stamps: number[] = [];
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
    const n = attempts.length - maxBuffered + Math.ceil(maxBuffered / 10);
    attempts.splice(0, n);
    stamps.splice(0, n);
    dropped += n;
    unreported += n;
  }

  function take(max: number): LoginEvent[] {
    const n = Math.min(max, attempts.length);
    const a = attempts.slice(0, n);
    const t = stamps.slice(0, n);
    attempts = attempts.slice(n);
    stamps = stamps.slice(n);
    return a.map((x, i) => ({ ...x, at: new Date(t[i] as number).toISOString() }));
  }

  /** Puts events that could not be written back in front of newer ones. */
  function putBack(events: LoginEvent[]): void {
    attempts = [...events.map(({ at: _a, ...rest }) => rest), ...attempts];
    stamps = [...events.map((e) => Date.parse(e.at)), ...stamps];
    if (attempts.length > maxBuffered) dropOldest();
  }

  function reportDrops(): void {
    if (unreported === 0) return;
    log.warn({ event: 'history-dropped', dropped: unreported, dropped_total: dropped }, 'the login history buffer was full: the oldest events were not recorded');
    unreported = 0;
  }

  async function writeOnce(events: LoginEvent[]): Promise<boolean> {
    try {
      await opts.write(events);
      if (failures > 0) log.info({ event: 'history-write-recovered', failed_writes: failures }, 'the login history is being written again');
      failures = 0;
      reportDrops();
      return true;
    } catch (err) {
      if (failures === 0) {
        log.warn(
          { event: 'history-write-failed', err: { message: (err as Error).message }, buffered: events.length + attempts.length },
          'the login history could not be written; retrying every second (logins are not affected)',
        );
      }
      failures++;
      return false;
    }
  }

  async function run(): Promise<void> {
    if (running) return running;
    if (attempts.length === 0) return;
    lastStart = now();
    const events = take(batchSize);
    running = writeOnce(events).then((ok) => {
      if (!ok) putBack(events);
      running = null;
      if (attempts.length === 0) return;
      // After a failure, wait a whole interval: a broken database is not asked in a loop.
      schedule(!ok ? intervalMs : attempts.length >= batchSize ? 0 : Math.max(0, lastStart + intervalMs - now()));
    });
    return running;
  }

  return {
    record(attempt) {
      if (closed || !isLogin(attempt.method)) return;
      attempts.push(attempt);
      stamps.push(now());
      if (attempts.length > maxBuffered) dropOldest();
      if (running) return; // its completion schedules the next write
      if (attempts.length >= batchSize) {
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
      while (attempts.length > 0) {
        const before = failures;
        await run();
        if (failures > before) break; // keep them for the next try
      }
      if (attempts.length > 0) schedule(intervalMs);
    },

    async close() {
      if (closed) return;
      // Closed first: no timer starts another write while the one in flight finishes.
      closed = true;
      if (timer !== null) timers.clearTimeout(timer);
      timer = null;
      if (running) await running;
      while (attempts.length > 0) {
        const events = take(batchSize);
        if (!(await writeOnce(events))) {
          const lost = events.length + attempts.length;
          attempts = [];
          stamps = [];
          log.warn({ event: 'history-lost', lost }, 'stopping: the last login history events could not be written');
          break;
        }
      }
      reportDrops();
    },

    stats: () => ({ buffered: attempts.length, dropped }),
  };
}
