/**
 * Benchmark 1: auth_http throughput and latency for cached plain logins, one new HTTP/1.0
 * connection per request as nginx sends them, side by side with the two ceilings:
 *   - a bare `node:http` server sending a fixed reply (what any Node server can do at best);
 *   - nginx answering a static auth reply (`return 204` + `add_header Auth-*`, one worker).
 * All three run at once (idle when not asked); the same load generator process shape drives
 * each in turn, interleaved and repeated, so noise from elsewhere on the machine hits all alike.
 *   1. maximum throughput: closed-loop sweep over the in-flight counts, best of every run;
 *   2. latency: open-loop at half of Postern's maximum, the same rate for all three, the run
 *      with the lower p99 of ROUNDS;
 *   3. CPU per request during those latency runs, for the two Node servers (user + system time
 *      of the process from /proc, all its threads): a steadier figure than the maximum, which
 *      also moves with the load generator sharing the cores.
 * Targets: Postern ≥ 85% of node:http's throughput; Postern's p99 < 5 ms at that rate.
 */
import { readFileSync } from 'node:fs';
import { hashPassword } from '../src/passwords/index.js';
import { startNginx } from '../test/harness/nginx.js';
import { baseDirectory, dur, fmt, hasAuthCache, nginxAuthRequest, startBenchPostern, startHttpBaseline, type BenchOptions, type BenchResult } from './lib.js';
import { runLoad, type LoadResult } from './load.js';

const CONCURRENCY = [1, 4, 16, 64];
const ROUNDS = 2;
const USER = 'alice@example.com';
const PASS = 'correct horse battery staple';

interface Target {
  name: string;
  port: number;
  /** The Node servers' process, for their CPU time; nginx's is not measured (master and worker). */
  pid?: number;
}

/** CPU time (user + system, every thread) the process has used, in µs; Linux's 100 ticks a second. */
function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

export async function benchAuthHttp(o: BenchOptions): Promise<BenchResult> {
  const notes: string[] = [];
  const stops: Array<() => Promise<void>> = [];
  try {
    const baseline = await startHttpBaseline();
    stops.push(() => baseline.stop());
    const nginx = await startNginx({
      label: 'bench-nginx',
      listeners: [{ protocol: 'imap', auth: ['plain', 'login'], authHttp: '/auth' }],
      staticAuth: { routes: [{ path: '/auth', port: 143 }] },
    });
    stops.push(() => nginx.stop());
    // With the auth cache, an argon2id hash (the realistic case) costs one hash, then cache hits.
    // Without it, a {PLAIN} hash (and no upgrade on login) keeps verification cheap.
    let cached = true;
    const postern = await startBenchPostern({
      env: { POSTERN_PASSWORDS_UPGRADE_ON_LOGIN: 'false' },
      setup: async (d, config) => {
        await baseDirectory(d);
        for (let i = 0; i < 4; i++) await d.addMailbox({ address: `user${i}@example.com`, passwordHash: `{PLAIN}pw${i}` });
        cached = hasAuthCache(config);
        await d.addMailbox({ address: USER, passwordHash: cached ? await hashPassword(PASS) : `{PLAIN}${PASS}` });
      },
    });
    stops.push(() => postern.stop());
    if (!cached) notes.push('This build has no auth cache: the mailbox uses a {PLAIN} hash so verification stays cheap.');
    else notes.push('The mailbox has an argon2id hash (default cost); after the first login every request is an auth-cache hit.');
    notes.push('Postern logs one JSON line per decision (log.level info) to a file; nginx writes its access log; node:http logs nothing.');
    // The same bytes for all three (the secret header is ignored by the two ceilings).
    const request = nginxAuthRequest(USER, PASS, postern.config.auth.secret_header, postern.secret).toString('base64');
    const targets: Target[] = [
      { name: 'node:http', port: baseline.port, pid: baseline.pid },
      { name: 'nginx static', port: nginx.staticAuthPort as number },
      { name: 'Postern', port: postern.port, pid: postern.pid },
    ];
    const load = (t: Target, shape: { concurrency?: number; rate?: number }, seconds: number): Promise<LoadResult> =>
      runLoad({ kind: 'http', port: t.port, requests: [request], expect: 'Auth-Status: OK', durationMs: dur(o, seconds), warmupMs: dur(o, 0.3), ...shape });

    for (const t of targets) await load(t, { concurrency: 8 }, 1); // warm-up: JIT, first hash, caches

    const sweep: Record<string, Record<number, number[]>> = {};
    const errors: Record<string, number> = {};
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of CONCURRENCY) {
        for (const t of targets) {
          const r = await load(t, { concurrency: c }, 1.5);
          ((sweep[t.name] ??= {})[c] ??= []).push(Math.round(r.rate));
          errors[t.name] = (errors[t.name] ?? 0) + r.errors;
        }
      }
    }
    const best = (name: string): { rate: number; concurrency: number } => {
      let out = { rate: 0, concurrency: 0 };
      for (const [c, rates] of Object.entries(sweep[name] ?? {})) for (const r of rates) if (r > out.rate) out = { rate: r, concurrency: Number(c) };
      return out;
    };
    const [node, ngx, pst] = targets.map((t) => best(t.name)) as [ReturnType<typeof best>, ReturnType<typeof best>, ReturnType<typeof best>];

    // Latency at half of Postern's maximum, the same arrival rate for every target.
    const rate = Math.max(1, Math.round(pst.rate / 2));
    const latency: Record<string, LoadResult[]> = {};
    const cpu: Record<string, { micros: number; requests: number }> = {};
    for (let round = 0; round < ROUNDS; round++) {
      for (const t of targets) {
        const before = t.pid === undefined ? 0 : cpuMicros(t.pid);
        const r = await load(t, { rate }, 4);
        (latency[t.name] ??= []).push(r);
        if (t.pid === undefined) continue;
        const c = (cpu[t.name] ??= { micros: 0, requests: 0 });
        c.micros += cpuMicros(t.pid) - before;
        // Every request the run started cost CPU, the warm-up's (on the same schedule) too.
        c.requests += r.ok + r.errors + Math.round((rate * dur(o, 0.3)) / 1000);
      }
    }
    const perRequest = (name: string): number => (cpu[name] ? cpu[name].micros / cpu[name].requests : NaN);
    const lat = (name: string): LoadResult =>
      (latency[name] ?? []).reduce((a, b) => (b.p99 < a.p99 ? b : a));
    const pl = lat('Postern');
    for (const [name, n] of Object.entries(errors)) if (n > 0) notes.push(`${name}: ${n} failed requests during the sweep.`);
    const seen = postern.decisions();
    notes.push(`Postern's decisions: ${fmt(seen.total)}, ${fmt(seen.cacheHits)} auth-cache hits; by reason ${JSON.stringify(seen.reasons)}.`);
    if (ngx.rate < node.rate * 1.15) {
      notes.push(
        `nginx's static reply is not much faster than node:http: the load generator (one Node process on the same 2 cores, about one core for ~10k connections/s) is close to the ceiling, so these rates are a floor for the fast targets.`,
      );
    }
    const conc = (b: { concurrency: number }): string => `best at ${b.concurrency} in flight`;
    return {
      name: 'auth-http',
      title: 'auth_http, cached plain logins, one connection per request',
      notes,
      data: { sweep, best: { node, nginx: ngx, postern: pst }, latencyRate: rate, latency, cpu, rounds: ROUNDS, concurrency: CONCURRENCY, cached, decisions: seen },
      rows: [
        { metric: 'node:http fixed reply, max', value: node.rate, unit: 'req/s', versus: conc(node) },
        { metric: 'nginx static reply, max', value: ngx.rate, unit: 'req/s', versus: conc(ngx) },
        { metric: 'Postern, max', value: pst.rate, unit: 'req/s', versus: `node:http ${fmt(node.rate)}/s`, ratio: pst.rate / node.rate, target: '≥ 85%', pass: pst.rate >= 0.85 * node.rate },
        { metric: 'Postern vs nginx static', value: pst.rate, unit: 'req/s', versus: `nginx ${fmt(ngx.rate)}/s`, ratio: pst.rate / ngx.rate },
        ...targets.map((t) => {
          const l = lat(t.name);
          return { metric: `${t.name} p50 / p99 at ${fmt(rate)}/s`, value: l.p99, unit: 'ms p99', versus: `p50 ${fmt(l.p50, 2)} ms, ${fmt(l.rate)}/s done` };
        }),
        { metric: `Postern p99 at half its max (${fmt(rate)}/s)`, value: pl.p99, unit: 'ms', target: '< 5 ms', pass: pl.p99 < 5 },
        { metric: 'node:http CPU per request', value: perRequest('node:http'), unit: 'µs' },
        { metric: 'Postern CPU per request', value: perRequest('Postern'), unit: 'µs', versus: `node:http ${fmt(perRequest('node:http'))} µs`, ratio: perRequest('Postern') / perRequest('node:http') },
      ],
    };
  } finally {
    await Promise.allSettled(stops.reverse().map((stop) => stop()));
  }
}
