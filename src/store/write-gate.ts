/**
 * Who writes next, between the main connection and the login history worker's connection in
 * the same process (history-writer.ts), decided before SQLite is asked.
 *
 * SQLite lets one connection write at a time. A connection that finds the write lock taken
 * waits in its busy handler, which sleeps (1, 2, 5, 10 ms...) and retries, and it sleeps on the
 * calling thread: on the main connection that is the thread that answers nginx. Against a
 * worker writing transaction after transaction, those retries keep missing the short gaps
 * between them, and a ban written meanwhile held every login up for the whole batch (300 ms,
 * bench/history-flush.ts --ban-every).
 *
 * So the two agree first, through two integers in shared memory: before writing, the main
 * connection announces itself and waits, without blocking (Atomics.waitAsync), for the
 * worker's transaction in progress to end (about a millisecond: history-worker.ts keeps them
 * small); the worker starts a transaction only while the main connection neither holds nor
 * wants the lock. The main connection never waits for the worker inside SQLite, and the worker
 * never starves it. Other processes (the CLI) are not in the agreement: against them SQLite's
 * own locking and busy_timeout apply as before, and both waits here are bounded so that a
 * stuck party only falls back to that.
 */
import { performance } from 'node:perf_hooks';

const WORKER = 0; // 1 while the worker is inside a write transaction
const MAIN = 1; // how many writes on the main connection hold or wait for the lock

type WaitResult = { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, index: number, value: number, timeoutMs?: number): WaitResult }).waitAsync;

/**
 * Waits until a[index] is no longer `value` (or `ms` passed), without blocking the thread. A
 * pending Atomics.waitAsync does not keep Node's event loop alive; a timer does meanwhile, so
 * the wait counts like any other pending work.
 */
async function changed(a: Int32Array, index: number, value: number, ms: number): Promise<void> {
  const r = waitAsync(a, index, value, Math.max(0, ms));
  if (!r.async) return;
  const keepAlive = setTimeout(() => undefined, Math.max(0, ms) + 1000);
  try {
    await r.value;
  } finally {
    clearTimeout(keepAlive);
  }
}

/** One party's side: enter before a write (transaction, or single statement), leave after. */
export interface WriteTurn {
  enter(): Promise<void>;
  leave(): void;
}

export class WriteGate {
  readonly buffer: SharedArrayBuffer;
  readonly #a: Int32Array;

  /** A new gate, or (in the worker) the one whose buffer was handed over. */
  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT)) {
    this.buffer = buffer;
    this.#a = new Int32Array(buffer);
  }

  /** The main connection's side: it goes first, after at most the worker's transaction in progress. */
  main(maxWaitMs = 5000): WriteTurn {
    const a = this.#a;
    return {
      async enter() {
        Atomics.add(a, MAIN, 1);
        const deadline = performance.now() + maxWaitMs;
        while (Atomics.load(a, WORKER) === 1) {
          const left = deadline - performance.now();
          if (left <= 0) return; // a worker stuck inside: SQLite's own locking decides
          await changed(a, WORKER, 1, left);
        }
      },
      leave() {
        Atomics.sub(a, MAIN, 1);
        Atomics.notify(a, MAIN);
      },
    };
  }

  /** The worker's side: it starts only when the main connection neither holds nor wants the lock. */
  worker(maxWaitMs = 5000): WriteTurn {
    const a = this.#a;
    return {
      async enter() {
        const deadline = performance.now() + maxWaitMs;
        for (;;) {
          const wanted = Atomics.load(a, MAIN);
          const left = deadline - performance.now();
          if (wanted > 0 && left > 0) {
            await changed(a, MAIN, wanted, left);
            continue;
          }
          Atomics.store(a, WORKER, 1);
          // Both flags are set before either is read (sequentially consistent): if the main
          // connection announced itself meanwhile, at least one of us sees the other, and the
          // worker is the one that steps back.
          if (Atomics.load(a, MAIN) === 0 || left <= 0) return;
          Atomics.store(a, WORKER, 0);
          Atomics.notify(a, WORKER);
        }
      },
      leave() {
        Atomics.store(a, WORKER, 0);
        Atomics.notify(a, WORKER);
      },
    };
  }

  /** The worker is gone: what it held is free. */
  reset(): void {
    Atomics.store(this.#a, WORKER, 0);
    Atomics.notify(this.#a, WORKER);
  }
}
