/**
 * Benchmark 3: the decision engine with 1,000 and with 1,000,000 mailboxes in the directory.
 * Two SQLite directories (10 domains, 3 backends, default and domain routes, `{PLAIN}` hashes so
 * hashing does not hide the lookups) are built once through the store's `importMailboxes` and
 * kept under bench/.cache/ (git-ignored), keyed by the schema version and DATA_VERSION. Each
 * measurement runs in a fresh process (`node dist/bench/decisions.js DB N COUNT SEED`):
 * createDecider over the real directory, requests for uniformly random existing mailboxes
 * parsed beforehand, one decision at a time, each timed. The files are read once first (warm
 * in the OS page cache, as a busy server's would be); 1k and 1M then alternate, ROUNDS times,
 * each in a fresh process, and the lowest p50 of each counts (runs on this VM are bimodal). Target: p50 at 1M ≤ 1.2 × p50 at 1k.
 */
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAuthRequest, parseHead, type AuthRequest } from '../src/authhttp/index.js';
import { createDecider } from '../src/decision/decide.js';
import type { NewMailbox } from '../src/directory/types.js';
import { createResolver } from '../src/dns/resolver.js';
import { verifyPassword } from '../src/passwords/index.js';
import { DEFAULT_LOOKUP_MEMORY, knownSchema, openDirectory } from '../src/store/index.js';
import { projectRoot } from '../test/harness/clients.js';
import { dur, fmt, nginxAuthRequest, runNodeJson, type BenchOptions, type BenchResult } from './lib.js';

/** Bump when the generated directory changes shape. */
const DATA_VERSION = 1;
const SIZES = [1_000, 1_000_000];
/** cache.directory_entries: off (the directory itself, which the target is about), and the default. */
const MEMORY = [0, DEFAULT_LOOKUP_MEMORY];
const DOMAINS = 10;
const BATCH = 50_000;
const ROUNDS = 5;
const CACHE_DIR = join(projectRoot, 'bench', '.cache');

const address = (i: number): string => `user${i}@d${i % DOMAINS}.example`;

interface Timing {
  n: number;
  /** Directory answers kept in memory (cache.directory_entries); 0: every lookup asks SQLite. */
  memory: number;
  count: number;
  failed: number;
  p50: number;
  p90: number;
  p99: number;
  mean: number;
}

/** The cached directory with `n` mailboxes, built now if missing. */
async function directoryFile(n: number, log: (s: string) => void): Promise<string> {
  const file = join(CACHE_DIR, `directory-s${knownSchema().version}-d${DATA_VERSION}-${n}.db`);
  if (existsSync(file)) return file;
  mkdirSync(CACHE_DIR, { recursive: true });
  // Directories of older schema or data versions are of no further use.
  for (const f of readdirSync(CACHE_DIR)) if (f.startsWith('directory-') && f.includes(`-${n}.db`)) rmSync(join(CACHE_DIR, f), { force: true });
  const building = `${file}.building`;
  for (const f of [building, `${building}-wal`, `${building}-shm`]) rmSync(f, { force: true });
  const started = performance.now();
  const d = await openDirectory({ kind: 'sqlite', path: building });
  try {
    for (let i = 0; i < DOMAINS; i++) await d.addDomain(`d${i}.example`);
    for (let b = 1; b <= 3; b++) await d.addBackend({ name: `imap${b}`, host: `192.0.2.${b}`, ports: { imap: 143, pop3: 110, smtp: 587 } });
    await d.setRoute('default', null, 'imap1');
    await d.setRoute('domain', 'd1.example', 'imap2');
    await d.setRoute('domain', 'd2.example', 'imap3');
    for (let from = 0; from < n; from += BATCH) {
      const rows: NewMailbox[] = [];
      for (let i = from; i < Math.min(n, from + BATCH); i++) rows.push({ address: address(i), passwordHash: `{PLAIN}pw${i}` });
      await d.importMailboxes(rows);
      if (n >= 100_000) log(`  building the ${fmt(n)}-mailbox directory: ${fmt(Math.min(n, from + BATCH))}`);
    }
  } finally {
    await d.close();
  }
  renameSync(building, file);
  log(`  built ${file} in ${fmt((performance.now() - started) / 1000, 1)} s`);
  return file;
}

/** Reads a file through once, so its pages sit in the OS page cache. */
function warmFile(file: string): void {
  const fd = openSync(file, 'r');
  const buf = Buffer.alloc(1 << 20);
  try {
    while (readSync(fd, buf, 0, buf.length, null) > 0);
  } finally {
    closeSync(fd);
  }
}

/** In the child: `count` timed decisions (after a warm-up) for random mailboxes of `n`. */
async function timeDecisions(file: string, n: number, count: number, seed: number, memory: number): Promise<Timing> {
  const directory = await openDirectory({ kind: 'sqlite', path: file }, { lookupMemory: memory });
  const decide = createDecider({
    directory,
    resolver: createResolver({ ttlSeconds: 60 }),
    passwords: { verify: verifyPassword, dummyVerify: async () => false },
    settings: { failureWaitSeconds: 2, maxAttempts: 10, defaultDomain: '', recipientDelimiter: '+' },
  });
  // A small deterministic PRNG (mulberry32): the same users for the same seed.
  let s = seed >>> 0;
  const rand = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const warmup = Math.min(2000, count);
  const requests: AuthRequest[] = [];
  for (let k = 0; k < warmup + count; k++) {
    const i = Math.floor(rand() * n);
    const head = parseHead(nginxAuthRequest(address(i), `pw${i}`, 'X-Postern-Secret', 'x'.repeat(32)));
    if (!head.ok) throw new Error('bad request head');
    const req = parseAuthRequest(head.value);
    if (!req.ok) throw new Error('bad auth request');
    requests.push(req.value);
  }
  const times = new Float64Array(count);
  let failed = 0;
  for (let k = 0; k < requests.length; k++) {
    const t0 = performance.now();
    const out = await decide(requests[k] as AuthRequest);
    const t = performance.now() - t0;
    if (out.decision.kind !== 'ok') failed++;
    if (k >= warmup) times[k - warmup] = t;
  }
  await directory.close();
  times.sort();
  const q = (p: number): number => (times[Math.min(count - 1, Math.floor(p * count))] as number) * 1000;
  return { n, memory, count, failed, p50: q(0.5), p90: q(0.9), p99: q(0.99), mean: (times.reduce((a, b) => a + b, 0) / count) * 1000 };
}

export async function benchDecisions(o: BenchOptions, log: (s: string) => void = () => undefined): Promise<BenchResult> {
  const files = new Map<number, string>();
  for (const n of SIZES) files.set(n, await directoryFile(n, log));
  for (const f of files.values()) warmFile(f);
  const count = Math.max(2000, Math.round(10_000 * o.scale));
  const runs: Timing[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const memory of MEMORY) {
      for (const n of SIZES) {
        const args = [fileURLToPath(import.meta.url), files.get(n) as string, String(n), String(count), String(round + 1), String(memory)];
        runs.push(await runNodeJson<Timing>(args, dur(o, 60) + 60_000));
      }
    }
  }
  const best = (n: number, memory: number): Timing => runs.filter((r) => r.n === n && r.memory === memory).reduce((a, b) => (b.p50 < a.p50 ? b : a));
  const [small, large] = SIZES.map((n) => best(n, 0)) as [Timing, Timing];
  const [smallMem, largeMem] = SIZES.map((n) => best(n, DEFAULT_LOOKUP_MEMORY)) as [Timing, Timing];
  const failed = runs.reduce((a, r) => a + r.failed, 0);
  const notes = [
    `${fmt(count)} decisions per run (after 2,000 warm-up), ${ROUNDS} runs per size, one at a time, users drawn uniformly at random; plain logins with {PLAIN} hashes, no auth cache: findLogin + verify + routeFor.`,
    `The target compares the directory itself (cache.directory_entries = 0: every lookup is a SQLite query). With the default lookup memory (${fmt(DEFAULT_LOOKUP_MEMORY)} answers kept until the next write), 1,000 mailboxes all fit and are answered from memory, while a uniformly random user among 1,000,000 is nearly always a miss: a query plus the bookkeeping; real traffic repeats its active users.`,
  ];
  if (failed > 0) notes.push(`${failed} decisions were not OK: check the generated directory.`);
  const row = (t: Timing): BenchResult['rows'][number] => ({
    metric: `decision, ${fmt(t.n)} mailboxes, ${t.memory ? 'lookup memory on' : 'directory only'}`,
    value: t.p50,
    unit: 'µs p50',
    versus: `p99 ${fmt(t.p99)} µs, mean ${fmt(t.mean)} µs`,
  });
  return {
    name: 'decisions',
    title: 'decision engine with 1,000 vs 1,000,000 mailboxes',
    notes,
    data: { runs, files: Object.fromEntries(files) },
    rows: [
      row(small),
      row(large),
      row(smallMem),
      row(largeMem),
      { metric: 'p50 at 1M vs 1k, directory only', value: large.p50, unit: 'µs', versus: `1k ${fmt(small.p50)} µs`, ratio: large.p50 / small.p50, target: '≤ 120%', pass: large.p50 <= 1.2 * small.p50 },
    ],
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, n, count, seed, memory] = process.argv.slice(2);
  const r = await timeDecisions(file as string, Number(n), Number(count), Number(seed), Number(memory));
  process.stdout.write(JSON.stringify(r) + '\n');
}
