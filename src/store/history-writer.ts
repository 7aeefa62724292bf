/**
 * The login history's writes, off the thread that answers nginx: a worker thread
 * (history-worker.ts) with its own SQLite connection to the same file writes the batches and
 * prunes; this side only posts the events and waits for the answers.
 *
 * Why a worker and not slices on the main connection: better-sqlite3 (and node:sqlite) run
 * every statement synchronously on the calling thread, so even in 100-row slices each slice
 * stops every login being answered; and one connection shared by everything means a history
 * transaction makes every directory query wait for it. In the worker the inserts, the index
 * updates and the WAL checkpoints they trigger all run beside the event loop. What remains here
 * is the structured clone of the events, posted in slices of POST_SLICE rows with a turn of the
 * event loop between them, so no single step holds the loop for long.
 *
 * The worker's commits are another connection's: history-fence.ts keeps them from dropping the
 * directory lookups kept in memory, and explains why that is sound. Its writes and the main
 * connection's take turns through write-gate.ts, so the main thread never sleeps in SQLite's
 * busy handler waiting for the worker.
 *
 * The worker is started on first use (and again after it died), keeps the process alive only
 * while a job is in flight, and is ended by close() after the jobs in flight are answered.
 */
import { Worker } from 'node:worker_threads';
import type { WorkerCommitFence } from './history-fence.js';
import type { LoginEvent } from './login-history.js';
import type { WriteGate } from './write-gate.js';

/** Rows per message (its structured clone is a fraction of a millisecond on this thread). */
export const POST_SLICE = 250;
/** How long close() waits for the worker's last answers before ending it anyway. */
const CLOSE_TIMEOUT_MS = 10_000;

export interface WorkerError {
  message: string;
  code?: string;
}

export type ToWorker =
  | { type: 'rows'; job: number; events: LoginEvent[]; last: boolean }
  | { type: 'prune'; job: number; before: string }
  | { type: 'probe'; seq: number }
  | { type: 'close' };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'failed'; error: WorkerError }
  | { type: 'progress'; job: number; written: number }
  | { type: 'recorded'; job: number; written: number; error?: WorkerError }
  | { type: 'pruned'; job: number; deleted: number; error?: WorkerError }
  | { type: 'probe'; seq: number; foreign: boolean };

/** A failed write: how many of the batch's rows were committed before it stopped (in order). */
export class HistoryWriteError extends Error {
  readonly written: number;
  readonly code: string | undefined;
  constructor(message: string, written: number, code?: string) {
    super(message);
    this.name = 'HistoryWriteError';
    this.written = written;
    this.code = code;
  }
}

export interface HistoryWriter {
  /**
   * Writes the events, in small transactions of their own (rows and hourly counts together);
   * resolves once all are committed. Rejects with a HistoryWriteError whose `written` says how
   * many of the first events were committed (the rest were not).
   */
  recordLogins(events: readonly LoginEvent[]): Promise<void>;
  /** Deletes the rows older than `before`; returns how many. */
  pruneLogins(before: string): Promise<number>;
  /** Waits for the jobs in flight, then ends the worker. Later calls reject. */
  close(): Promise<void>;
}

export interface HistoryWriterOptions {
  /** Shared with the main connection of the same database (write-gate.ts); without it the two meet only in SQLite's locking. */
  gate?: WriteGate;
  /** Where the worker's module is (tests); default: history-worker.js beside this file. */
  workerUrl?: URL;
  closeTimeoutMs?: number;
}

interface Job {
  kind: 'record' | 'prune';
  written: number;
  resolve(value: number): void;
  reject(err: Error): void;
}

interface Running {
  worker: Worker;
  ready: Promise<void>;
  /** A write job was posted to it (so it may have committed). */
  used: boolean;
}

const yieldToIo = (): Promise<void> => new Promise((r) => setImmediate(r));

export function openHistoryWriter(file: string, fence: WorkerCommitFence, opts: HistoryWriterOptions = {}): HistoryWriter {
  const workerUrl = opts.workerUrl ?? new URL('./history-worker.js', import.meta.url);
  const jobs = new Map<number, Job>();
  let nextJob = 1;
  let current: Running | null = null;
  let closed = false;
  /** Calls under way, which close() waits for. */
  const calls = new Set<Promise<unknown>>();

  function tracked<T>(p: Promise<T>): Promise<T> {
    calls.add(p);
    void p.then(
      () => calls.delete(p),
      () => calls.delete(p),
    );
    return p;
  }

  /** Keeps the process alive while a job waits for its answer, and only then. */
  function holdWhileBusy(w: Worker): void {
    if (jobs.size > 0) w.ref();
    else w.unref();
  }

  function settle(id: number, outcome: { value: number } | { error: Error }): void {
    const job = jobs.get(id);
    if (!job) return;
    jobs.delete(id);
    if ('value' in outcome) job.resolve(outcome.value);
    else job.reject(outcome.error);
  }

  /** The worker is gone: every job in flight fails with what it had committed. */
  function lose(r: Running, why: string): void {
    if (current !== r) return;
    current = null;
    opts.gate?.reset(); // it may have died inside a transaction
    if (r.used) fence.lost();
    for (const [id, job] of [...jobs]) settle(id, { error: new HistoryWriteError(why, job.written) });
  }

  function start(): Running {
    const worker = new Worker(workerUrl, { workerData: { file, gate: opts.gate?.buffer ?? null } });
    let markReady!: () => void;
    let markFailed!: (err: Error) => void;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      markFailed = reject;
    });
    ready.catch(() => undefined); // seen by the callers awaiting it; never unhandled
    const r: Running = { worker, ready, used: false };

    worker.on('message', (m: FromWorker) => {
      switch (m.type) {
        case 'ready':
          markReady();
          return;
        case 'failed':
          markFailed(new HistoryWriteError(`the login history writer could not open the database: ${m.error.message}`, 0, m.error.code));
          return;
        case 'progress': {
          const job = jobs.get(m.job);
          if (job) job.written = m.written;
          return;
        }
        case 'recorded':
        case 'pruned': {
          // Its commits are visible to this connection now; the probe clears what they moved.
          worker.postMessage({ type: 'probe', seq: fence.jobAnswered() } satisfies ToWorker);
          if (m.error) settle(m.job, { error: new HistoryWriteError(m.error.message, m.type === 'recorded' ? m.written : 0, m.error.code) });
          else settle(m.job, { value: m.type === 'recorded' ? m.written : m.deleted });
          holdWhileBusy(worker);
          return;
        }
        case 'probe':
          fence.probeAnswered(m.seq, m.foreign);
          return;
      }
    });
    worker.on('error', (err) => {
      markFailed(err);
      lose(r, `the login history writer failed: ${err.message}`);
    });
    worker.on('exit', (code) => {
      markFailed(new Error(`the login history writer stopped (exit code ${code})`));
      lose(r, `the login history writer stopped (exit code ${code})`);
    });
    worker.unref();
    return r;
  }

  /** Registers a job and makes sure a worker is running and ready for it. */
  async function begin(kind: Job['kind']): Promise<{ id: number; r: Running; done: Promise<number> }> {
    if (closed) throw new HistoryWriteError('the login history writer is closed', 0);
    current ??= start();
    const r = current;
    r.worker.ref();
    try {
      // Nothing is posted before the worker is ready: its change-detection chain must start first.
      await r.ready;
    } catch (err) {
      if (current === r) current = null;
      holdWhileBusy(r.worker);
      throw err;
    }
    if (current !== r) throw new HistoryWriteError('the login history writer stopped', 0);
    const id = nextJob++;
    const done = new Promise<number>((resolve, reject) => jobs.set(id, { kind, written: 0, resolve, reject }));
    r.used = true;
    fence.jobPosted();
    holdWhileBusy(r.worker);
    return { id, r, done };
  }

  async function record(events: readonly LoginEvent[]): Promise<void> {
    if (events.length === 0) return;
    const { id, r, done } = await begin('record');
    for (let i = 0; i < events.length; i += POST_SLICE) {
      if (i > 0) await yieldToIo();
      if (current !== r) break; // lost meanwhile: `done` is already rejected
      const last = i + POST_SLICE >= events.length;
      r.worker.postMessage({ type: 'rows', job: id, events: events.slice(i, i + POST_SLICE), last } satisfies ToWorker);
    }
    await done;
  }

  async function prune(before: string): Promise<number> {
    const { id, r, done } = await begin('prune');
    r.worker.postMessage({ type: 'prune', job: id, before } satisfies ToWorker);
    return done;
  }

  return {
    recordLogins: (events) => tracked(record(events)),
    pruneLogins: (before) => tracked(prune(before)),

    async close() {
      if (closed) return;
      closed = true;
      await Promise.allSettled([...calls]);
      const r = current;
      if (!r) return;
      current = null; // its exit is expected now
      r.worker.ref();
      const exited = new Promise<void>((resolve) => r.worker.once('exit', () => resolve()));
      r.worker.postMessage({ type: 'close' } satisfies ToWorker);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), opts.closeTimeoutMs ?? CLOSE_TIMEOUT_MS)));
      const how = await Promise.race([exited.then(() => 'exited' as const), timeout]);
      clearTimeout(timer);
      if (how === 'timeout') {
        await r.worker.terminate();
        opts.gate?.reset(); // ended wherever it was, perhaps inside a transaction
        fence.lost();
      }
    },
  };
}
