/**
 * Benchmark 5 (issue 6): Postern's own mail proxy beside nginx's, in one run, with the same auth
 * server (Postern's auth_http endpoint) and the same backend (one Dovecot). Postern's proxy runs
 * in the same `postern serve` as the auth server, with two IMAP listeners: one asking the auth
 * server over HTTP as nginx does (the like-for-like figure, judged against the targets), one
 * using the in-process path (what a one-process deployment gets). Measured:
 *   - IMAP logins per second (load.ts: connect, greeting, LOGIN, LOGOUT; alternating rounds);
 *   - throughput of a large message fetched whole through each proxy, with Dovecot direct as
 *     the ceiling;
 *   - memory per idle connection: RSS growth of the proxy's processes with N connections open
 *     and greeted (before login: after login each would hold a Dovecot process too);
 *   - latency added per command: NOOP round trips through each proxy minus Dovecot direct.
 * Targets: ≥ 0.7x nginx on logins and throughput, ≤ 4x nginx's memory per idle connection.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashPassword } from '../src/passwords/index.js';
import { startDovecot } from '../test/harness/dovecot.js';
import { startNginx } from '../test/harness/nginx.js';
import { freePorts } from '../test/harness/ports.js';
import { baseDirectory, dur, fmt, runNodeJson, sleep, startBenchPostern, type BenchOptions, type BenchResult, type Row } from './lib.js';
import { runLoad, type LoadResult } from './load.js';
import type { FetchResult, MailClientSpec, NoopResult } from './mail-client.js';

const here = dirname(fileURLToPath(import.meta.url));
const clientScript = join(here, 'mail-client.js');

const USERS = 16;
const CONCURRENCY = 16;
const ROUNDS = 3;
const BIG_USER = 'big@example.com';
const BIG_PASS = 'big-secret';
const BIG_MESSAGE_MB = 16;
const FETCH_CONNECTIONS = 2;
const IDLE_CONNECTIONS = 10_000;
const NOOPS = 2_000;
const pass = (i: number): string => `secret-${i}`;
const user = (i: number): string => `u${i}@example.com`;

interface Arm {
  name: string;
  port: number;
  /** The processes whose memory the idle test adds up. */
  pids: () => number[];
}

/** A message of about `mb` MiB: 76-character lines, as a mail client would send a large attachment. */
function bigMessage(mb: number): Buffer {
  const line = `${'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0'.slice(0, 76)}\r\n`;
  const head = 'From: a@example.com\r\nTo: big@example.com\r\nSubject: big\r\nMIME-Version: 1.0\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n';
  return Buffer.concat([Buffer.from(head), Buffer.alloc(Math.ceil((mb * 1024 * 1024) / line.length) * line.length, line)]);
}

function rssKiB(pids: number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      total += Number(m?.[1] ?? 0);
    } catch {
      // gone
    }
  }
  return total;
}

const client = <T>(spec: MailClientSpec, timeoutMs = 300_000): Promise<T> => runNodeJson<T>([clientScript], timeoutMs, `${JSON.stringify(spec)}\n`);

/** Opens `count` idle connections from a client process, measures the RSS growth of `pids`, closes them. */
async function idleMemory(arm: Arm, count: number): Promise<{ perConnKiB: number; beforeKiB: number; afterKiB: number; opened: number }> {
  await sleep(500);
  const beforeKiB = rssKiB(arm.pids());
  const child = spawn(process.execPath, [clientScript], { stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin.write(`${JSON.stringify({ job: 'idle', port: arm.port, count } satisfies MailClientSpec)}\n`);
  const opened = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${arm.name}: idle connections not open after 120 s`)), 120_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /\{"ready":(\d+)\}/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`${arm.name}: idle client exited (${code}) before its connections were open`)));
  });
  await sleep(1000);
  const afterKiB = rssKiB(arm.pids());
  child.stdin.end();
  await new Promise((r) => child.once('exit', r));
  await sleep(500);
  return { perConnKiB: (afterKiB - beforeKiB) / opened, beforeKiB, afterKiB, opened };
}

export async function benchMailProxy(o: BenchOptions): Promise<BenchResult> {
  const dovecot = await startDovecot({
    label: 'bench-dovecot-proxy',
    protocols: ['imap'],
    users: [...Array.from({ length: USERS }, (_, i) => ({ user: user(i), hash: `{PLAIN}${pass(i)}` })), { user: BIG_USER, hash: `{PLAIN}${BIG_PASS}` }],
    extra: ['service imap-login {', '  service_count = 0', '  process_min_avail = 2', '}'],
  });
  const stops: Array<() => Promise<void>> = [() => dovecot.stop()];
  try {
    dovecot.deliver(BIG_USER, bigMessage(BIG_MESSAGE_MB));
    const [httpPort, inProcessPort] = (await freePorts(2)) as [number, number];
    const postern = await startBenchPostern({
      env: { POSTERN_PASSWORDS_UPGRADE_ON_LOGIN: 'false' },
      extraToml: (auth) => mailProxyToml(auth, httpPort, inProcessPort),
      setup: async (d) => {
        await baseDirectory(d, dovecot.ports.imap);
        for (let i = 0; i < USERS; i++) await d.addMailbox({ address: user(i), passwordHash: await hashPassword(pass(i)) });
        await d.addMailbox({ address: BIG_USER, passwordHash: await hashPassword(BIG_PASS) });
      },
    });
    stops.push(() => postern.stop());
    const nginx = await startNginx({
      label: 'bench-nginx-proxy',
      errorLogLevel: 'error',
      authHttpHeaders: { [postern.config.auth.secret_header]: postern.secret },
      mainExtra: ['worker_rlimit_nofile 20000'],
      workerConnections: IDLE_CONNECTIONS + 2_000,
      listeners: [{ protocol: 'imap', name: 'nginx', authHttp: postern.authUrl, auth: ['plain', 'login'] }],
    });
    stops.push(() => nginx.stop());

    const arms: Arm[] = [
      { name: 'nginx', port: nginx.ports.nginx as number, pids: () => nginx.pids() },
      { name: 'Postern (auth over HTTP)', port: httpPort, pids: () => [postern.pid] },
      { name: 'Postern (in-process auth)', port: inProcessPort, pids: () => [postern.pid] },
    ];
    const direct = dovecot.ports.imap;

    // Logins per second.
    const logins = Array.from({ length: USERS }, (_, i): [string, string] => [user(i), pass(i)]);
    const load = (a: Arm, seconds: number): Promise<LoadResult> =>
      runLoad({ kind: 'imap', port: a.port, logins, concurrency: CONCURRENCY, durationMs: dur(o, seconds), warmupMs: dur(o, 0.5), timeoutMs: 10_000 });
    for (const a of arms) await load(a, 1);
    const runs: Record<string, LoadResult[]> = {};
    for (let round = 0; round < ROUNDS; round++) for (const a of arms) (runs[a.name] ??= []).push(await load(a, 2.5));
    const rate = (a: Arm): number => {
      const rs = runs[a.name] ?? [];
      return rs.reduce((n, r) => n + r.ok, 0) / rs.reduce((n, r) => n + r.seconds, 0);
    };

    // Large-message throughput, Dovecot direct as the ceiling.
    const rounds = Math.max(2, Math.round(6 * o.scale));
    const fetchMiBs = async (port: number): Promise<number> => {
      const r = await client<FetchResult>({ job: 'fetch', port, user: BIG_USER, pass: BIG_PASS, rounds, connections: FETCH_CONNECTIONS });
      return r.bytes / 1024 / 1024 / r.seconds;
    };
    await fetchMiBs(direct);
    const fetchDirect = await fetchMiBs(direct);
    const fetched: Record<string, number> = {};
    for (const a of arms) fetched[a.name] = await fetchMiBs(a.port);

    // Latency added per command.
    const noop = (port: number): Promise<NoopResult> => client<NoopResult>({ job: 'noop', port, user: BIG_USER, pass: BIG_PASS, count: Math.round(NOOPS * Math.max(o.scale, 0.25)) });
    const noopDirect = await noop(direct);
    const noops: Record<string, NoopResult> = {};
    for (const a of arms) noops[a.name] = await noop(a.port);

    // Memory per idle connection (the in-process listener shares the process with the HTTP one).
    const idleCount = o.scale < 1 ? 1_000 : IDLE_CONNECTIONS;
    const idle: Record<string, Awaited<ReturnType<typeof idleMemory>>> = {};
    for (const a of arms.slice(0, 2)) idle[a.name] = await idleMemory(a, idleCount);

    const [ng, ph, pi] = arms as [Arm, Arm, Arm];
    const ngRate = rate(ng);
    const ngFetch = fetched[ng.name] ?? NaN;
    const ngIdle = idle[ng.name]?.perConnKiB ?? NaN;
    const added = (a: Arm): number => (noops[a.name]?.p50 ?? NaN) - noopDirect.p50;
    const rows: Row[] = [
      { metric: 'nginx: IMAP logins', value: ngRate, unit: 'logins/s' },
      ...[ph, pi].map((a): Row => ({ metric: `${a.name}: IMAP logins`, value: rate(a), unit: 'logins/s', versus: `nginx ${fmt(ngRate)}/s`, ratio: rate(a) / ngRate, target: '≥ 70%', pass: rate(a) >= 0.7 * ngRate })),
      { metric: 'Dovecot direct: large fetch', value: fetchDirect, unit: 'MiB/s' },
      { metric: 'nginx: large fetch', value: ngFetch, unit: 'MiB/s', versus: `direct ${fmt(fetchDirect)} MiB/s`, ratio: ngFetch / fetchDirect },
      ...[ph, pi].map((a): Row => {
        const v = fetched[a.name] ?? NaN;
        return { metric: `${a.name}: large fetch`, value: v, unit: 'MiB/s', versus: `nginx ${fmt(ngFetch)} MiB/s`, ratio: v / ngFetch, target: '≥ 70%', pass: v >= 0.7 * ngFetch };
      }),
      { metric: 'nginx: memory per idle connection', value: ngIdle, unit: 'KiB' },
      {
        metric: 'Postern: memory per idle connection',
        value: idle[ph.name]?.perConnKiB ?? NaN,
        unit: 'KiB',
        versus: `nginx ${fmt(ngIdle, 1)} KiB`,
        ratio: (idle[ph.name]?.perConnKiB ?? NaN) / ngIdle,
        target: '≤ 400%',
        pass: (idle[ph.name]?.perConnKiB ?? Infinity) <= 4 * ngIdle,
      },
      ...arms.map((a): Row => ({ metric: `${a.name}: latency added per command (p50)`, value: added(a), unit: 'ms', versus: `direct NOOP p50 ${fmt(noopDirect.p50, 3)} ms` })),
    ];
    const notes = [
      `Logins: ${CONCURRENCY} sessions in flight (connect, greeting, LOGIN, LOGOUT), ${USERS} users, ${ROUNDS} alternating rounds of ${fmt(dur(o, 2.5) / 1000, 1)} s; the auth server answers from its cache after each user's first login.`,
      `Fetch: a ${BIG_MESSAGE_MB} MiB message fetched whole ${rounds} times on each of ${FETCH_CONNECTIONS} sessions at once.`,
      `Idle: ${fmt(idleCount)} connections opened and greeted, not logged in; RSS of nginx's master and worker, or of the postern process, before and after.`,
      `NOOP round trips, one session, ${noopDirect.count} in a row: p99 direct ${fmt(noopDirect.p99, 3)} ms, ${arms.map((a) => `${a.name} ${fmt(noops[a.name]?.p99 ?? NaN, 3)} ms`).join(', ')}.`,
    ];
    for (const a of arms) {
      const failed = (runs[a.name] ?? []).filter((r) => r.errors > 0);
      if (failed.length > 0) notes.push(`${a.name}: login sessions failed: ${JSON.stringify(failed.map((r) => r.errorKinds))}.`);
    }
    return { name: 'mail-proxy', title: "Postern's mail proxy beside nginx's", rows, notes, data: { runs, fetched, fetchDirect, noops, noopDirect, idle } };
  } finally {
    await Promise.allSettled(stops.reverse().map((s) => s()));
  }
}

/** Postern's proxy: two IMAP listeners in front of whatever the directory routes to. */
function mailProxyToml(auth: { port: number; secretHeader: string; secret: string }, httpPort: number, inProcessPort: number): string {
  return [
    '[mail_proxy]',
    'enabled = true',
    `max_connections = ${IDLE_CONNECTIONS + 2_000}`,
    `auth_http_headers = { ${JSON.stringify(auth.secretHeader)} = ${JSON.stringify(auth.secret)} }`,
    '',
    '[[mail_proxy.listeners]]',
    'protocol = "imap"',
    `port = ${httpPort}`,
    `auth_http = "http://127.0.0.1:${auth.port}/auth"`,
    '',
    '[[mail_proxy.listeners]]',
    'protocol = "imap"',
    `port = ${inProcessPort}`,
    'auth_http = "in-process"',
  ].join('\n');
}
