/**
 * The login history's writer thread (started by history-writer.ts). It owns its own connection
 * to the directory's database file, opened exactly like the main one (sqlite.ts: WAL,
 * busy_timeout, synchronous NORMAL, BEGIN IMMEDIATE), starts each transaction only when the
 * main connection does not want to write (write-gate.ts), and does one thing at a time, in the
 * order the messages came:
 *
 * - `rows`: writes a slice of a batch in transactions of WRITE_SLICE rows (rows and hourly
 *   counts together), says how many rows of the job are committed so far, and at the job's
 *   last slice answers `recorded`. After a failure the job's later slices are not written (so the main
 *   thread can put back exactly the rows that were not).
 * - `prune`: deletes rows older than a cutoff, PRUNE_SLICE rows per transaction.
 * - `probe`: says whether anybody but this thread committed since the previous probe (its
 *   connection's data_version moved): see history-fence.ts for why.
 * - `close`: closes the connection and ends the thread.
 *
 * It never logs: every outcome, errors included, goes back to the main thread as a message.
 */
import { Kysely } from 'kysely';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { Engine } from './engine.js';
import type { FromWorker, ToWorker, WorkerError } from './history-writer.js';
import { loginRowsInsert, pruneLoginRows, writeLoginRows } from './login-history.js';
import type { DB } from './schema.js';
import { openSqliteEngine } from './sqlite.js';
import { WriteGate } from './write-gate.js';

/**
 * Rows written, and deleted, per transaction. While this thread holds the database's write
 * lock, a write on the main connection (a ban, an app password's last use, a console edit)
 * waits for it, and it waits synchronously, in SQLite's busy handler (sleeps of 1, 2, 5 ms...),
 * on the thread that answers nginx: so a transaction here must last about a millisecond, not
 * tens. A commit in WAL mode with synchronous=NORMAL costs little, so small ones are cheap.
 */
const WRITE_SLICE = 100;
const PRUNE_SLICE = 500;

if (!parentPort) throw new Error('history-worker.js runs as a worker thread');
const port: MessagePort = parentPort;
const { file, gate } = workerData as { file: string; gate: SharedArrayBuffer | null };

function describe(err: unknown): WorkerError {
  const e = err as { message?: unknown; code?: unknown } | null;
  return { message: typeof e?.message === 'string' ? e.message : String(err), ...(typeof e?.code === 'string' ? { code: e.code } : {}) };
}

const post = (m: FromWorker): void => port.postMessage(m);

let engine: Engine;
let db: Kysely<DB>;
try {
  engine = openSqliteEngine(file, gate ? { turn: new WriteGate(gate).worker() } : {});
  db = new Kysely<DB>({ dialect: engine.dialect });
} catch (err) {
  post({ type: 'failed', error: describe(err) });
  port.close();
  throw err;
}

const changeVersion = engine.changeVersion ?? (() => '');
/** data_version at the last probe: read before `ready`, so the chain starts before any job. */
let reported = changeVersion();

/** The record job being received: rows committed so far, or the error that stopped it. */
const jobs = new Map<number, { written: number; error: WorkerError | null }>();
const transact = <T>(write: (trx: Kysely<DB>) => Promise<T>): Promise<T> => db.transaction().execute(write);
const insert = loginRowsInsert();

async function handle(m: ToWorker): Promise<void> {
  switch (m.type) {
    case 'rows': {
      const job = jobs.get(m.job) ?? { written: 0, error: null };
      jobs.set(m.job, job);
      if (!job.error) {
        try {
          for (let i = 0; i < m.events.length; i += WRITE_SLICE) {
            const slice = m.events.slice(i, i + WRITE_SLICE);
            await transact((trx) => writeLoginRows(trx, slice, insert));
            job.written += slice.length;
          }
        } catch (err) {
          job.error = describe(err);
        }
        if (!m.last) post({ type: 'progress', job: m.job, written: job.written });
      }
      if (m.last) {
        jobs.delete(m.job);
        post({ type: 'recorded', job: m.job, written: job.written, ...(job.error ? { error: job.error } : {}) });
      }
      return;
    }
    case 'prune': {
      try {
        post({ type: 'pruned', job: m.job, deleted: await pruneLoginRows(transact, m.before, PRUNE_SLICE) });
      } catch (err) {
        post({ type: 'pruned', job: m.job, deleted: 0, error: describe(err) });
      }
      return;
    }
    case 'probe': {
      const now = changeVersion();
      post({ type: 'probe', seq: m.seq, foreign: now !== reported });
      reported = now;
      return;
    }
    case 'close': {
      await db.destroy();
      port.close();
      return;
    }
  }
}

// One message at a time, in order: a probe is answered after the jobs posted before it.
let queue: Promise<void> = Promise.resolve();
port.on('message', (m: ToWorker) => {
  queue = queue.then(() => handle(m));
});
post({ type: 'ready' });
