/**
 * Benchmark 4: real IMAP logins per second through nginx's mail proxy to Dovecot, with Postern
 * as the auth server beside the same nginx answering its own static auth reply. One nginx,
 * three IMAP listeners that differ only in `auth_http`: nginx's static `return 204`, Postern,
 * and (for reference) the bare node:http fixed reply, which shows what any auth server in a
 * process of its own costs here. One Dovecot (high-performance login processes, `{PLAIN}`
 * passwd-file so the backend's own check is cheap). The client (load.ts, its own process) opens
 * a connection per session: greeting, LOGIN, LOGOUT, CONCURRENCY sessions in flight. The
 * listeners alternate, ROUNDS times (short rounds, so slow spells of this VM hit all alike);
 * each rate is the total over its rounds. Target: Postern ≥ 90% of the static reply's rate.
 */
import { hashPassword } from '../src/passwords/index.js';
import { startDovecot } from '../test/harness/dovecot.js';
import { startNginx } from '../test/harness/nginx.js';
import { baseDirectory, dur, fmt, hasAuthCache, startBenchPostern, startHttpBaseline, type BenchOptions, type BenchResult } from './lib.js';
import { runLoad, type LoadResult } from './load.js';

const USERS = 16;
const CONCURRENCY = 16;
const ROUNDS = 4;
const pass = (i: number): string => `secret-${i}`;
const user = (i: number): string => `u${i}@example.com`;

interface Arm {
  name: string;
  port: number;
}

export async function benchImap(o: BenchOptions): Promise<BenchResult> {
  const dovecot = await startDovecot({
    label: 'bench-dovecot',
    protocols: ['imap'],
    users: Array.from({ length: USERS }, (_, i) => ({ user: user(i), hash: `{PLAIN}${pass(i)}` })),
    // Dovecot's documented high-performance mode: login processes serve many connections.
    extra: ['service imap-login {', '  service_count = 0', '  process_min_avail = 2', '}'],
  });
  let cached = true;
  const stops: Array<() => Promise<void>> = [() => dovecot.stop()];
  try {
    const baseline = await startHttpBaseline(dovecot.ports.imap);
    stops.push(() => baseline.stop());
    const postern = await startBenchPostern({
      env: { POSTERN_PASSWORDS_UPGRADE_ON_LOGIN: 'false' },
      setup: async (d, config) => {
        cached = hasAuthCache(config);
        await baseDirectory(d, dovecot.ports.imap);
        for (let i = 0; i < USERS; i++) await d.addMailbox({ address: user(i), passwordHash: cached ? await hashPassword(pass(i)) : `{PLAIN}${pass(i)}` });
      },
    });
    stops.push(() => postern.stop());
    const imap = { protocol: 'imap' as const, auth: ['plain', 'login'] };
    const nginx = await startNginx({
      label: 'bench-nginx-imap',
      errorLogLevel: 'error',
      authHttpHeaders: { [postern.config.auth.secret_header]: postern.secret },
      listeners: [
        { ...imap, name: 'static', authHttp: '/auth' },
        { ...imap, name: 'postern', authHttp: postern.authUrl },
        { ...imap, name: 'nodehttp', authHttp: `127.0.0.1:${baseline.port}/auth` },
      ],
      staticAuth: { routes: [{ path: '/auth', port: dovecot.ports.imap }] },
    });
    stops.push(() => nginx.stop());

    const logins = Array.from({ length: USERS }, (_, i): [string, string] => [user(i), pass(i)]);
    const arms: Arm[] = [
      { name: 'static auth reply', port: nginx.ports.static as number },
      { name: 'Postern', port: nginx.ports.postern as number },
      { name: 'node:http fixed reply', port: nginx.ports.nodehttp as number },
    ];
    const load = (a: Arm, seconds: number): Promise<LoadResult> =>
      runLoad({ kind: 'imap', port: a.port, logins, concurrency: CONCURRENCY, durationMs: dur(o, seconds), warmupMs: dur(o, 0.5), timeoutMs: 10_000 });
    for (const a of arms) await load(a, 1); // warm-up: Dovecot's processes, Postern's cache
    const runs: Record<string, LoadResult[]> = {};
    for (let round = 0; round < ROUNDS; round++) for (const a of arms) (runs[a.name] ??= []).push(await load(a, 2.5));

    const total = (a: Arm): { rate: number; p50: number; p99: number } => {
      const rs = runs[a.name] ?? [];
      const seconds = rs.reduce((n, r) => n + r.seconds, 0);
      return { rate: rs.reduce((n, r) => n + r.ok, 0) / seconds, p50: Math.max(...rs.map((r) => r.p50)), p99: Math.max(...rs.map((r) => r.p99)) };
    };
    const [st, pt, nt] = arms.map(total) as [ReturnType<typeof total>, ReturnType<typeof total>, ReturnType<typeof total>];
    const seen = postern.decisions();
    const notes = [
      `${CONCURRENCY} sessions in flight (connect, greeting, LOGIN, LOGOUT), ${USERS} users round-robin, ${ROUNDS} alternating rounds of ${fmt(dur(o, 2.5) / 1000, 1)} s per listener; session latencies are the worst round's.`,
      cached ? 'Postern: argon2id hashes, answered from its auth cache after the first login of each user.' : 'Postern: {PLAIN} hashes (no auth cache in this build).',
      `Postern's decisions: ${fmt(seen.total)}, ${fmt(seen.cacheHits)} auth-cache hits; by reason ${JSON.stringify(seen.reasons)}.`,
    ];
    for (const a of arms) {
      const failed = (runs[a.name] ?? []).filter((r) => r.errors > 0);
      if (failed.length > 0) notes.push(`${a.name}: sessions failed: ${JSON.stringify(failed.map((r) => r.errorKinds))}.`);
    }
    const latency = (t: { p50: number; p99: number }): string => `session p50 ${fmt(t.p50, 1)} ms, p99 ${fmt(t.p99, 1)} ms`;
    return {
      name: 'imap',
      title: 'IMAP logins through nginx to Dovecot',
      notes,
      data: { runs, concurrency: CONCURRENCY, users: USERS, cached, decisions: seen },
      rows: [
        { metric: 'nginx static auth → Dovecot', value: st.rate, unit: 'logins/s', versus: latency(st) },
        { metric: 'nginx → node:http fixed reply → Dovecot', value: nt.rate, unit: 'logins/s', versus: `static ${fmt(st.rate)}/s; ${latency(nt)}`, ratio: nt.rate / st.rate },
        { metric: 'nginx → Postern → Dovecot', value: pt.rate, unit: 'logins/s', versus: `static ${fmt(st.rate)}/s; ${latency(pt)}`, ratio: pt.rate / st.rate, target: '≥ 90%', pass: pt.rate >= 0.9 * st.rate },
      ],
    };
  } finally {
    await Promise.allSettled(stops.reverse().map((s) => s()));
  }
}
