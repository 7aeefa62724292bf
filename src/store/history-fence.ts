/**
 * Telling the history worker's commits apart from real directory changes.
 *
 * The lookups kept in memory (memo-reader.ts, the bans snapshot) are dropped when SQLite's
 * `PRAGMA data_version`, read on the main connection, changes: that is how a commit by another
 * process (the CLI, another instance) reaches them within RECHECK_MS. The login history is
 * written by a worker thread over its own connection (history-writer.ts), so its commits move
 * data_version too, and a flush every second would empty the lookup memory every second.
 *
 * Subtracting the worker's commit count is not sound: data_version is not a counter of commits,
 * it moves once per read that finds *any* change since the previous read, so one step can hide
 * a worker commit and a CLI commit together. What is sound is reasoning about *when* the worker
 * can commit, and asking the worker itself about everybody else:
 *
 * 1. The worker commits only while a job (rows, prune) is outstanding: from the moment the main
 *    thread posts it until the main thread has handled its answer. A data_version change read
 *    outside every such window is therefore someone else's commit: the epoch moves at once,
 *    exactly as before.
 * 2. A change read inside a window is ambiguous and does not move the epoch by itself. When a
 *    job's answer is handled, data_version is read once more (the worker's commits are then
 *    all visible to the main connection) and a probe is posted.
 * 3. The worker's own connection sees every commit except its own in *its* data_version. At
 *    each probe it reports whether that value moved since its previous report: a continuous
 *    chain of observations from its start (the main thread posts nothing before the worker says
 *    it is ready, so the chain starts before any window opens). The probe is read after the
 *    ambiguous reads it answers for (it is posted after them), so if nobody but the worker
 *    committed, the answer says so, and otherwise the epoch moves.
 * 4. An ambiguous change not cleared within `maxAmbiguousMs` (a worker stuck behind another
 *    process's write lock, say) moves the epoch anyway: a directory change made elsewhere while
 *    the history is being written shows within that bound instead of within RECHECK_MS.
 *
 * Errors are all on the safe side: the main connection's own commits also look foreign to the
 * worker, so the first probe after one drops the memory a second time (its own write already
 * dropped it through localChanges); a worker that dies moves the epoch. Never the reverse: no
 * commit by anyone but the worker is ever taken for the worker's.
 */
import { performance } from 'node:perf_hooks';

/** How long a change read while the worker writes may wait for the worker's answer. */
export const MAX_AMBIGUOUS_MS = 250;

export class WorkerCommitFence {
  readonly #read: () => string;
  readonly #now: () => number;
  readonly #maxAmbiguousMs: number;
  /** Write jobs posted to the worker whose answers have not been handled yet. */
  #outstanding = 0;
  /** A job was posted since data_version was last read (the next change may be the worker's). */
  #postedSinceRead = false;
  #seen: string | null = null;
  #epoch = 0;
  /** An ambiguous change: since when, and the first probe posted after it (which clears it). */
  #pending: { since: number; probe: number } | null = null;
  #nextProbe = 0;

  /** `read`: data_version on the main connection (Engine.changeVersion). */
  constructor(read: () => string, opts: { now?: () => number; maxAmbiguousMs?: number } = {}) {
    this.#read = read;
    this.#now = opts.now ?? (() => performance.now());
    this.#maxAmbiguousMs = opts.maxAmbiguousMs ?? MAX_AMBIGUOUS_MS;
  }

  /** The change version without the worker's commits: what lookupVersion compares. */
  version(): string {
    const dv = this.#read();
    const t = this.#now();
    if (this.#seen === null) {
      this.#seen = dv;
    } else if (dv !== this.#seen) {
      this.#seen = dv;
      if (this.#outstanding > 0 || this.#postedSinceRead) this.#pending = { since: this.#pending?.since ?? t, probe: this.#nextProbe };
      else this.#epoch++;
    }
    this.#postedSinceRead = false;
    if (this.#pending && t - this.#pending.since > this.#maxAmbiguousMs) {
      this.#pending = null;
      this.#epoch++;
    }
    return String(this.#epoch);
  }

  /** Before a write job's first message is posted. */
  jobPosted(): void {
    this.#outstanding++;
    this.#postedSinceRead = true;
  }

  /**
   * A write job's answer arrived (committed or failed): its commits are visible now. Returns
   * the number of the probe to post next (post it right away).
   */
  jobAnswered(): number {
    try {
      this.version(); // still inside the window: a change seen here is (at least partly) the worker's
    } catch {
      this.#epoch++; // the main connection cannot say (closed): assume a change
    }
    this.#outstanding = Math.max(0, this.#outstanding - 1);
    return this.#nextProbe++;
  }

  /** The worker's answer to probe `seq`: whether anybody else committed since its last answer. */
  probeAnswered(seq: number, foreign: boolean): void {
    if (foreign) {
      this.#epoch++;
      this.#pending = null; // everything up to now is reloaded
    } else if (this.#pending && seq >= this.#pending.probe) {
      this.#pending = null;
    }
  }

  /** The worker is gone (crashed, or closed with jobs in flight): assume the worst. */
  lost(): void {
    this.#outstanding = 0;
    this.#postedSinceRead = false;
    this.#pending = null;
    this.#epoch++;
  }
}
