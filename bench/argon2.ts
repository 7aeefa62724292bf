/**
 * Benchmark 2: uncached argon2id logins, beside the hashing library alone.
 *   - the library: @node-rs/argon2 `verify` of one hash (Postern's default cost), CONCURRENCY
 *     calls in flight, in a process of its own (`node dist/bench/argon2.js HASH PASS N MS`);
 *   - Postern: the same hash on 5,000 mailboxes, every request a different mailbox and the auth
 *     cache off (POSTERN_CACHE_TTL_SECONDS=0), CONCURRENCY requests in flight.
 * Interleaved, ROUNDS times; the best rate of each counts. Postern's event-loop delay comes from
 * the probe preloaded into it (eld-probe.ts), over each measured phase; the median round counts.
 * Targets: Postern ≥ 90% of the library's rate; event-loop delay p99 < 20 ms.
 */
import { verify } from '@node-rs/argon2';
import { fileURLToPath } from 'node:url';
import { hashPassword } from '../src/passwords/index.js';
import { baseDirectory, dur, fmt, nginxAuthRequest, runNodeJson, sleep, startBenchPostern, type BenchOptions, type BenchResult } from './lib.js';
import { runLoad, type LoadResult } from './load.js';

const CONCURRENCY = 8;
const MAILBOXES = 5000;
const ROUNDS = 3;
const WARM_SECONDS = 8;
const PASS = 'correct horse battery staple';

interface AloneResult {
  rate: number;
  verified: number;
  failed: number;
}

/** The library alone, in this process: `n` verifications in flight for `ms` after `warmMs`. */
async function verifyLoop(phc: string, pass: string, n: number, ms: number, warmMs: number): Promise<AloneResult> {
  const pw = Buffer.from(pass, 'utf8');
  const start = performance.now();
  const from = start + warmMs;
  const end = from + ms;
  let verified = 0;
  let failed = 0;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      const ok = await verify(phc, pw);
      const now = performance.now();
      if (now < from || now > end) continue;
      if (ok) verified++;
      else failed++;
    }
  };
  await Promise.all(Array.from({ length: n }, worker));
  return { rate: verified / (ms / 1000), verified, failed };
}

/** Runs `verifyLoop` in a child process of its own (a clean heap and event loop, like Postern's). */
function libraryAlone(phc: string, ms: number, warmMs: number): Promise<AloneResult> {
  const args = [fileURLToPath(import.meta.url), phc, PASS, String(CONCURRENCY), String(ms), String(warmMs)];
  return runNodeJson<AloneResult>(args, ms + warmMs + 30_000);
}

export async function benchArgon2(o: BenchOptions): Promise<BenchResult> {
  const stored = await hashPassword(PASS);
  const phc = stored.slice('{ARGON2ID}'.length);
  const postern = await startBenchPostern({
    env: { POSTERN_CACHE_TTL_SECONDS: '0' },
    setup: async (d) => {
      await baseDirectory(d);
      const rows = Array.from({ length: MAILBOXES }, (_, i) => ({ address: `u${i}@example.com`, passwordHash: stored }));
      await d.importMailboxes(rows);
    },
  });
  try {
    const hdr = postern.config.auth.secret_header;
    const requests = Array.from({ length: MAILBOXES }, (_, i) => nginxAuthRequest(`u${i}@example.com`, PASS, hdr, postern.secret).toString('base64'));
    const ms = dur(o, 4);
    const warmMs = dur(o, 1);
    // A server runs for days: measure it warm. At ~100 logins/s, V8 needs several seconds of
    // traffic before the login path leaves its baseline tiers (cold, the event loop's work per
    // login is about three times its steady state, and it comes out of the hashing threads' CPU).
    await runLoad({ kind: 'http', port: postern.port, requests, expect: 'Auth-Status: OK', concurrency: CONCURRENCY, durationMs: dur(o, WARM_SECONDS), timeoutMs: 10_000 });
    const alone: AloneResult[] = [];
    const viaPostern: LoadResult[] = [];
    const eld: Array<{ p50_ms: number; p99_ms: number; max_ms: number; samples: number }> = [];
    for (let round = 0; round < ROUNDS; round++) {
      alone.push(await libraryAlone(phc, ms, warmMs));
      // Start past every mailbox used so far, so no request repeats a login.
      const offset = postern.decisions().total % MAILBOXES;
      const slice = requests.slice(offset).concat(requests.slice(0, offset));
      const run = runLoad({ kind: 'http', port: postern.port, requests: slice, expect: 'Auth-Status: OK', concurrency: CONCURRENCY, durationMs: ms, warmupMs: warmMs, timeoutMs: 10_000 });
      await sleep(warmMs);
      await postern.eventLoopDelay(); // drops what came before the measured phase
      const r = await run;
      const d = await postern.eventLoopDelay();
      if (d) eld.push(d);
      viaPostern.push(r);
    }
    const lib = Math.max(...alone.map((a) => a.rate));
    const pst = Math.max(...viaPostern.map((r) => r.rate));
    const mid = [...eld].sort((a, b) => a.p99_ms - b.p99_ms)[Math.floor(eld.length / 2)];
    const maxMs = Math.max(...eld.map((d) => d.max_ms));
    const seen = postern.decisions();
    const hits = seen.cacheHits;
    const errors = viaPostern.reduce((n, r) => n + r.errors, 0);
    const notes = [
      `Postern was warmed up with ${WARM_SECONDS * o.scale} s of the same logins before the measured rounds (each round also has its own warm-up).`,
      `${CONCURRENCY} verifications in flight on both sides; Postern's hash pool runs passwords.hash_concurrency (default 4) at once, libuv's thread pool has 4 threads.`,
      `Postern: ${MAILBOXES} mailboxes sharing one argon2id hash, every request a different mailbox, POSTERN_CACHE_TTL_SECONDS=0; auth-cache hits seen in its log: ${hits}.`,
    ];
    if (errors > 0) notes.push(`Postern: ${errors} requests failed (${JSON.stringify(viaPostern.map((r) => r.errorKinds))}).`);
    if (seen.total > MAILBOXES) notes.push('More requests than mailboxes: some logins repeated (harmless with the cache off).');
    return {
      name: 'argon2',
      title: 'uncached argon2id logins vs the hashing library alone',
      notes,
      data: { alone, postern: viaPostern, eventLoopDelay: eld, concurrency: CONCURRENCY, decisions: seen },
      rows: [
        { metric: '@node-rs/argon2 verify alone', value: lib, unit: 'verify/s', versus: `${CONCURRENCY} in flight` },
        { metric: 'Postern, uncached logins', value: pst, unit: 'logins/s', versus: `library ${fmt(lib, 1)}/s`, ratio: pst / lib, target: '≥ 90%', pass: pst >= 0.9 * lib },
        mid
          ? { metric: 'Postern event-loop delay p99', value: mid.p99_ms, unit: 'ms', versus: `p50 ${fmt(mid.p50_ms, 1)} ms; max of all rounds ${fmt(maxMs, 1)} ms`, target: '< 20 ms', pass: mid.p99_ms < 20 }
          : { metric: 'Postern event-loop delay p99 (no probe line)', value: NaN, unit: 'ms', target: '< 20 ms', pass: false },
      ],
    };
  } finally {
    await postern.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [phc, pass, n, ms, warmMs] = process.argv.slice(2);
  const r = await verifyLoop(phc as string, pass as string, Number(n), Number(ms), Number(warmMs));
  process.stdout.write(JSON.stringify(r) + '\n');
}
