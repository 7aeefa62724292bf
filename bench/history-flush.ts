/**
 * The login history's flushes as the thread that answers nginx sees them. Records ROWS login
 * decisions at a steady RATE per second through the real recorder (openHistory: flush at most
 * once a second or at 5,000 rows), into a real SQLite directory in a temporary folder, and
 * measures meanwhile, on the main thread:
 *
 * - the event-loop delay (perf_hooks.monitorEventLoopDelay, 1 ms resolution, the resolution
 *   subtracted): how long anything waiting to run (an auth answer) can be held up;
 * - the main thread's event-loop utilisation ("main busy"): the share of the time it ran;
 * - the latency of a directory query that does not come from memory (getMailbox, every 10 ms):
 *   on a shared connection it also waits for a history transaction in progress;
 * - with `--ban-every MS`, the latency of a directory write on the main connection (a ban, the
 *   auth path's own write): against the worker it may wait for the write lock, synchronously.
 *
 * Modes, each in a fresh process (`node dist/bench/history-flush.js --child MODE ROWS RATE`):
 * - `off`: the recorder with a write that does nothing (the load's own cost, the floor);
 * - `main`: the history written on the main connection (LoginHistoryStore.recordLogins: one
 *   transaction per batch, 400-row statements with a turn of the loop between), as before the
 *   worker;
 * - `sliced`: the fallback design, 100-row transactions on the main connection with a turn of
 *   the loop between them;
 * - `worker`: the history worker thread (src/store/history-writer.ts), as the server runs now.
 *
 * Usage: node dist/bench/history-flush.js [--rows N] [--rate R] [--rounds K] [--ban-every MS] [MODE...]
 * It prints one table (the median of K rounds per mode, default 3, modes interleaved). Also
 * `benchHistoryFlush(o)` for bench/run.ts.
 */
import { rmSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { openHistory, type HistoryStore, type LoginAttempt } from '../src/history/index.js';
import type { Logger } from '../src/log/logger.js';
import { openDirectory, type LoginEvent } from '../src/store/index.js';
import { runNodeJson } from './child-json.js';
import type { BenchOptions, BenchResult, Row } from './lib.js';

const fmt = (v: number, digits = 0): string => v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

const MODES = ['off', 'main', 'sliced', 'worker'] as const;
type Mode = (typeof MODES)[number];

interface Outcome {
  mode: Mode;
  rows: number;
  rate: number;
  written: number;
  seconds: number;
  /** Event-loop delay over the run, ms (resolution subtracted). */
  eld: { p50: number; p99: number; max: number; mean: number };
  /** getMailbox latency, ms. */
  query: { p50: number; p99: number; max: number; count: number };
  /** addBan latency, ms (count 0: not measured). */
  write: { p50: number; p99: number; max: number; count: number };
  /** The main thread's event-loop utilisation over the run (share of wall time it was busy). */
  elu: number;
  /** How long the flush after the last record took, ms. */
  lastFlushMs: number;
  warnings: number;
}

const RESOLUTION_MS = 1;
const QUERY_EVERY_MS = 10;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

function attemptOf(i: number): LoginAttempt {
  const fail = i % 7 === 0;
  return {
    login: `user${i % 5000}@example.com`,
    mailbox: fail && i % 2 === 0 ? null : `user${i % 5000}@example.com`,
    clientIp: i % 5 === 0 ? `2001:db8::${(i % 997).toString(16)}` : `198.51.${(i >> 8) % 256}.${i % 256}`,
    protocol: i % 3 === 0 ? 'smtp' : 'imap',
    method: 'plain',
    result: fail ? 'fail' : 'ok',
    reason: fail ? 'bad-credentials' : 'ok',
    cache: i % 2 === 0 ? 'hit' : null,
    appPassword: null,
  };
}

async function child(mode: Mode, rows: number, rate: number, banEveryMs: number): Promise<Outcome> {
  const folder = mkdtempSync(join(os.tmpdir(), 'postern-history-bench-'));
  const dir = await openDirectory({ kind: 'sqlite', path: join(folder, 'directory.db') });
  let warnings = 0;
  const log = { info: () => undefined, warn: () => void warnings++ } as unknown as Pick<Logger, 'info' | 'warn'>;
  try {
    await dir.addDomain('example.com');
    await dir.addMailbox({ address: 'alice@example.com', passwordHash: '{PLAIN}pw' });
    const sliced = async (events: readonly LoginEvent[]): Promise<void> => {
      for (let i = 0; i < events.length; i += 100) {
        if (i > 0) await new Promise((r) => setImmediate(r));
        await dir.recordLogins(events.slice(i, i + 100));
      }
    };
    const stores: Record<Mode, HistoryStore> = {
      off: { recordLogins: async () => undefined, pruneLogins: async () => 0 },
      main: dir,
      sliced: { recordLogins: sliced, pruneLogins: (b) => dir.pruneLogins(b) },
      worker: dir,
    };
    const history = openHistory({ enabled: true, retentionDays: 30 }, stores[mode], log, { inline: mode !== 'worker' });
    // The worker (and the first prune) start before the measurement.
    await history.flush();
    await new Promise((r) => setTimeout(r, 300));

    const queries: number[] = [];
    let querying = true;
    const queryLoop = (async () => {
      while (querying) {
        const t0 = performance.now();
        await dir.getMailbox('alice@example.com');
        queries.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, QUERY_EVERY_MS));
      }
    })();

    const writes: number[] = [];
    let banning = banEveryMs > 0;
    const banLoop = (async () => {
      for (let n = 0; banning; n++) {
        const t0 = performance.now();
        await dir.addBan({ kind: 'ip', subject: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`, reason: 'bench', seconds: 3600 });
        writes.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, banEveryMs));
      }
    })();

    const h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    h.enable();
    const elu0 = performance.eventLoopUtilization();
    const start = performance.now();
    let recorded = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const due = Math.min(rows, Math.floor(((performance.now() - start) / 1000) * rate));
        while (recorded < due) history.record(attemptOf(recorded++));
        if (recorded >= rows) {
          clearInterval(timer);
          resolve();
        }
      }, 2);
    });
    const flushStart = performance.now();
    await history.flush();
    const lastFlushMs = performance.now() - flushStart;
    const seconds = (performance.now() - start) / 1000;
    const elu = performance.eventLoopUtilization(elu0).utilization;
    h.disable();
    querying = false;
    banning = false;
    await queryLoop;
    await banLoop;
    await history.close();
    const written = mode === 'off' ? rows : (await dir.countLoginsPerHour('2000-01-01T00:00:00.000Z', '2100-01-01T00:00:00.000Z')).reduce((s, c) => s + c.count, 0);
    const ms = (ns: number): number => Math.max(0, ns / 1e6 - RESOLUTION_MS);
    queries.sort((a, b) => a - b);
    writes.sort((a, b) => a - b);
    return {
      mode,
      rows,
      rate,
      written,
      seconds,
      eld: { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max), mean: ms(h.mean) },
      query: { p50: percentile(queries, 50), p99: percentile(queries, 99), max: queries[queries.length - 1] ?? 0, count: queries.length },
      write: { p50: percentile(writes, 50), p99: percentile(writes, 99), max: writes[writes.length - 1] ?? 0, count: writes.length },
      elu,
      lastFlushMs,
      warnings,
    };
  } finally {
    await dir.close();
    rmSync(folder, { recursive: true, force: true });
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : (s[Math.floor((s.length - 1) / 2)] as number);
};

export async function measureHistoryFlush(opts: { rows: number; rate: number; rounds: number; modes: readonly Mode[]; banEveryMs?: number }, log: (s: string) => void = () => undefined): Promise<Record<Mode, Outcome[]>> {
  const script = fileURLToPath(import.meta.url);
  const out = Object.fromEntries(opts.modes.map((m) => [m, [] as Outcome[]])) as Record<Mode, Outcome[]>;
  for (let r = 0; r < opts.rounds; r++) {
    for (const mode of opts.modes) {
      const o = await runNodeJson<Outcome>([script, '--child', mode, String(opts.rows), String(opts.rate), String(opts.banEveryMs ?? 0)], 120_000 + (opts.rows / opts.rate) * 4000);
      log(`  round ${r + 1} ${mode.padEnd(6)} loop delay p99 ${fmt(o.eld.p99, 2)} ms, max ${fmt(o.eld.max, 2)} ms; query p99 ${fmt(o.query.p99, 2)} ms, max ${fmt(o.query.max, 2)} ms;${o.write.count > 0 ? ` ban p99 ${fmt(o.write.p99, 2)} ms, max ${fmt(o.write.max, 2)} ms;` : ''} written ${o.written}/${o.rows}`);
      out[mode].push(o);
    }
  }
  return out;
}

/** For bench/run.ts: 50,000 rows at 10,000/s, off / main / worker, 3 rounds. */
export async function benchHistoryFlush(o: BenchOptions, log: (s: string) => void = () => undefined): Promise<BenchResult> {
  const rows = Math.max(5000, Math.round(50_000 * o.scale));
  const rate = 10_000;
  const modes = ['off', 'main', 'worker'] as const;
  const runs = await measureHistoryFlush({ rows, rate, rounds: 3, modes }, log);
  const row = (m: Mode, metric: string, pick: (x: Outcome) => number): Row => ({ metric: `${m}: ${metric}`, value: median(runs[m].map(pick)), unit: 'ms' });
  const rowsOut: Row[] = [];
  for (const m of modes) rowsOut.push(row(m, 'event-loop delay p99', (x) => x.eld.p99), row(m, 'event-loop delay max', (x) => x.eld.max), row(m, 'directory query p99', (x) => x.query.p99));
  return {
    name: 'history-flush',
    title: `login history flushes: ${rows} rows at ${rate}/s, main-thread delay`,
    rows: rowsOut,
    notes: ['Median of 3 rounds per mode, each a fresh process. `main`: the history written on the main connection; `worker`: the history worker thread; `off`: nothing written.'],
    data: runs as unknown as Record<string, unknown>,
  };
}

function table(runs: Record<string, Outcome[]>): string {
  const banned = Object.values(runs).some((os) => os.some((x) => x.write.count > 0));
  const lines = [['mode', 'written', 'ELD p50', 'ELD p99', 'ELD max', 'query p50', 'query p99', 'query max', 'main busy', ...(banned ? ['ban p50', 'ban p99', 'ban max'] : []), 'last flush'].join('\t')];
  for (const [mode, os] of Object.entries(runs)) {
    if (os.length === 0) continue;
    const m = (f: (x: Outcome) => number, d = 2) => fmt(median(os.map(f)), d);
    lines.push([mode, `${Math.min(...os.map((x) => x.written))}/${os[0]!.rows}`, m((x) => x.eld.p50), m((x) => x.eld.p99), m((x) => x.eld.max), m((x) => x.query.p50), m((x) => x.query.p99), m((x) => x.query.max), `${m((x) => x.elu * 100, 1)}%`, ...(banned ? [m((x) => x.write.p50), m((x) => x.write.p99), m((x) => x.write.max)] : []), m((x) => x.lastFlushMs, 1)].join('\t'));
  }
  return lines.join('\n');
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === '--child') {
    const [, mode, rows, rate, banEvery] = argv;
    const o = await child(mode as Mode, Number(rows), Number(rate), Number(banEvery ?? 0));
    console.log(JSON.stringify(o));
    return;
  }
  const flag = (name: string, dflt: number): number => {
    const i = argv.indexOf(name);
    return i >= 0 ? Number(argv[i + 1]) : dflt;
  };
  const rows = flag('--rows', 50_000);
  const rate = flag('--rate', 10_000);
  const rounds = flag('--rounds', 3);
  const banEveryMs = flag('--ban-every', 0);
  const named = argv.filter((a, i) => !a.startsWith('--') && !argv[i - 1]?.startsWith('--')) as Mode[];
  const modes = named.length > 0 ? named.filter((m) => (MODES as readonly string[]).includes(m)) : [...MODES];
  console.log(`login history flushes: ${rows} rows at ${rate}/s, ${rounds} round(s) of ${modes.join(', ')}; times in ms, medians over rounds`);
  const runs = await measureHistoryFlush({ rows, rate, rounds, modes, banEveryMs }, (s) => console.log(s));
  console.log(`\n${table(runs)}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main(process.argv.slice(2));
