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
 *     and greeted (before login: after login each would hold a Dovecot process too), beside a
 *     bare `node:net` server measured the same way (net-baseline.ts: Node's own cost per socket,
 *     the floor for Postern);
 *   - latency added per command: NOOP round trips through each proxy minus Dovecot direct.
 * Targets: ≥ 0.7x nginx on logins and throughput, ≤ 4x nginx's memory per idle connection.
 *
 * The idle memory is measured first, then the rest; `BENCH_MAIL_PROXY=idle` runs it alone.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashPassword } from '../src/passwords/index.js';
import { startDovecot } from '../test/harness/dovecot.js';
import { startNginx } from '../test/harness/nginx.js';
import { freePorts } from '../test/harness/ports.js';
import { baseDirectory, dur, fmt, runNodeJson, sleep, startBenchPostern, startChild, type BenchOptions, type BenchResult, type Row } from './lib.js';
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

/** The soft limit on open files of this process, which every process it starts inherits (Node cannot raise it). */
function openFilesLimit(): number {
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  return m?.[1] === undefined || m[1] === 'unlimited' ? Infinity : Number(m[1]);
}

/** Open files one process needs besides the idle connections (listeners, logs, the database, Dovecot's pipes). */
const OPEN_FILES_SLACK = 1_000;

interface Settled {
  kib: number;
  /** False when RSS was still moving after SETTLE_MAX_MS (the last sample is used). */
  settled: boolean;
}

const SETTLE_SAMPLE_MS = 500;
const SETTLE_WINDOW = 7; // samples: 3 s
const SETTLE_MAX_MS = 30_000;

/**
 * RSS of `pids` once it has stopped moving: sampled every 0.5 s until the last 3 s stay within
 * 0.5 % (64 KiB at least). A garbage-collected process keeps allocating for a moment after its
 * last connection (lazy compilation, the collector's own work); reading at once would be noise.
 */
async function settledRssKiB(pids: () => number[]): Promise<Settled> {
  const samples: number[] = [];
  const started = Date.now();
  for (;;) {
    samples.push(rssKiB(pids()));
    const window = samples.slice(-SETTLE_WINDOW);
    const top = Math.max(...window);
    if (window.length === SETTLE_WINDOW && top - Math.min(...window) <= Math.max(64, 0.005 * top)) return { kib: samples.at(-1)!, settled: true };
    if (Date.now() - started >= SETTLE_MAX_MS) return { kib: samples.at(-1)!, settled: false };
    await sleep(SETTLE_SAMPLE_MS);
  }
}

/** `count` connections opened and greeted by a client process, held until `release`. */
async function holdIdle(arm: Arm, count: number): Promise<{ opened: number; release(): Promise<void> }> {
  const child = spawn(process.execPath, [clientScript], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise((r) => child.once('exit', r));
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
  return {
    opened,
    async release() {
      child.stdin.end();
      await exited;
    },
  };
}

interface IdleMemory {
  perConnKiB: number;
  beforeKiB: number;
  afterKiB: number;
  opened: number;
  settled: boolean;
}

/**
 * RSS growth of `arm`'s processes per connection with `count` connections greeted and idle.
 * A warm-up round (a twentieth of them, opened and closed) first, so what the first connections
 * compile or size once is not counted per connection; RSS is read once settled, before and after.
 */
async function idleMemory(arm: Arm, count: number): Promise<IdleMemory> {
  const warm = await holdIdle(arm, Math.max(100, Math.round(count / 20)));
  await warm.release();
  const before = await settledRssKiB(arm.pids);
  const held = await holdIdle(arm, count);
  const after = await settledRssKiB(arm.pids);
  await held.release();
  return { perConnKiB: (after.kib - before.kib) / held.opened, beforeKiB: before.kib, afterKiB: after.kib, opened: held.opened, settled: before.settled && after.settled };
}

/** The bare node:net server (net-baseline.ts) on a free port. */
async function startNetBaseline(): Promise<{ port: number; pid: number; stop(): Promise<void> }> {
  const [port] = (await freePorts(1)) as [number];
  return { port, ...(await startChild([join(here, 'net-baseline.js'), String(port)], 'listening', 'node:net baseline')) };
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
      mainExtra: [`worker_rlimit_nofile ${2 * IDLE_CONNECTIONS}`],
      workerConnections: IDLE_CONNECTIONS + 2_000,
      listeners: [{ protocol: 'imap', name: 'nginx', authHttp: postern.authUrl, auth: ['plain', 'login'] }],
    });
    stops.push(() => nginx.stop());
    const floor = await startNetBaseline();
    stops.push(() => floor.stop());

    const arms: Arm[] = [
      { name: 'nginx', port: nginx.ports.nginx as number, pids: () => nginx.pids() },
      { name: 'Postern (auth over HTTP)', port: httpPort, pids: () => [postern.pid] },
      { name: 'Postern (in-process auth)', port: inProcessPort, pids: () => [postern.pid] },
    ];
    // Idle memory first, on processes that have served nothing yet: after the fetches a process
    // has freed heap to reuse, and its growth would say more about the jobs before than about a connection.
    const idle: Measured = { rows: [], notes: [], data: {} };
    await measureIdle(arms, { name: 'bare node:net server', port: floor.port, pids: () => [floor.pid] }, idle);
    const out: Measured = { rows: [], notes: [], data: {} };
    if (process.env.BENCH_MAIL_PROXY !== 'idle') await measureSpeed(o, arms, dovecot.ports.imap, out);
    else out.notes.push('BENCH_MAIL_PROXY=idle: the idle-memory part alone.');
    return { name: 'mail-proxy', title: "Postern's mail proxy beside nginx's", rows: [...out.rows, ...idle.rows], notes: [...out.notes, ...idle.notes], data: { ...out.data, ...idle.data } };
  } finally {
    await Promise.allSettled(stops.reverse().map((s) => s()));
  }
}

interface Measured {
  rows: Row[];
  notes: string[];
  data: Record<string, unknown>;
}

/** Logins per second, large-message throughput and the latency added per command. */
async function measureSpeed(o: BenchOptions, arms: Arm[], direct: number, out: Measured): Promise<void> {
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

  const [ng, ph, pi] = arms as [Arm, Arm, Arm];
  const ngRate = rate(ng);
  const ngFetch = fetched[ng.name] ?? NaN;
  const added = (a: Arm): number => (noops[a.name]?.p50 ?? NaN) - noopDirect.p50;
  out.rows.push(
    { metric: 'nginx: IMAP logins', value: ngRate, unit: 'logins/s' },
    ...[ph, pi].map((a): Row => ({ metric: `${a.name}: IMAP logins`, value: rate(a), unit: 'logins/s', versus: `nginx ${fmt(ngRate)}/s`, ratio: rate(a) / ngRate, target: '≥ 70%', pass: rate(a) >= 0.7 * ngRate })),
    { metric: 'Dovecot direct: large fetch', value: fetchDirect, unit: 'MiB/s' },
    { metric: 'nginx: large fetch', value: ngFetch, unit: 'MiB/s', versus: `direct ${fmt(fetchDirect)} MiB/s`, ratio: ngFetch / fetchDirect },
    ...[ph, pi].map((a): Row => {
      const v = fetched[a.name] ?? NaN;
      return { metric: `${a.name}: large fetch`, value: v, unit: 'MiB/s', versus: `nginx ${fmt(ngFetch)} MiB/s`, ratio: v / ngFetch, target: '≥ 70%', pass: v >= 0.7 * ngFetch };
    }),
    ...arms.map((a): Row => ({ metric: `${a.name}: latency added per command (p50)`, value: added(a), unit: 'ms', versus: `direct NOOP p50 ${fmt(noopDirect.p50, 3)} ms` })),
  );
  out.notes.push(
    `Logins: ${CONCURRENCY} sessions in flight (connect, greeting, LOGIN, LOGOUT), ${USERS} users, ${ROUNDS} alternating rounds of ${fmt(dur(o, 2.5) / 1000, 1)} s; the auth server answers from its cache after each user's first login.`,
    `Fetch: a ${BIG_MESSAGE_MB} MiB message fetched whole ${rounds} times on each of ${FETCH_CONNECTIONS} sessions at once.`,
    `NOOP round trips, one session, ${noopDirect.count} in a row: p99 direct ${fmt(noopDirect.p99, 3)} ms, ${arms.map((a) => `${a.name} ${fmt(noops[a.name]?.p99 ?? NaN, 3)} ms`).join(', ')}.`,
  );
  for (const a of arms) {
    const failed = (runs[a.name] ?? []).filter((r) => r.errors > 0);
    if (failed.length > 0) out.notes.push(`${a.name}: login sessions failed: ${JSON.stringify(failed.map((r) => r.errorKinds))}.`);
  }
  Object.assign(out.data, { runs, fetched, fetchDirect, noops, noopDirect });
}

/** Memory per idle connection: nginx, Node's floor (the bare node:net server), then Postern. */
async function measureIdle(arms: Arm[], floorArm: Arm, out: Measured): Promise<void> {
  // The same count in a quick run: it takes seconds, and with fewer connections the one-off growth
  // of a Node process's heap (its young generation grows to tens of MiB) swamps the per-connection cost.
  const wanted = IDLE_CONNECTIONS;
  // Each process holds one end of every connection: the client, nginx's worker, Postern.
  const limit = openFilesLimit();
  const count = Math.min(wanted, limit - OPEN_FILES_SLACK);
  if (count < wanted) out.notes.push(`Idle: only ${fmt(count)} connections, not ${fmt(wanted)}: the open-files limit is ${fmt(limit)} (raise it with \`ulimit -n ${wanted + OPEN_FILES_SLACK}\`).`);
  const [ng, ph] = arms as [Arm, Arm];
  // The in-process listener shares the process with the HTTP one: one Postern figure. Postern
  // last: by then it has been idle for half a minute, and V8 has given back the young generation
  // its start-up grew, so it starts from the same state as the fresh bare server (see the note).
  const idle: Record<string, IdleMemory> = {};
  for (const a of [ng, floorArm, ph]) idle[a.name] = await idleMemory(a, count);
  const kib = (a: Arm): number => idle[a.name]?.perConnKiB ?? NaN;
  const [ngIdle, floorIdle, pIdle] = [kib(ng), kib(floorArm), kib(ph)];
  out.rows.push(
    { metric: 'nginx: memory per idle connection', value: ngIdle, unit: 'KiB' },
    { metric: 'bare node:net server, greeted idle connection (floor)', value: floorIdle, unit: 'KiB', versus: `nginx ${fmt(ngIdle, 1)} KiB`, ratio: floorIdle / ngIdle },
    { metric: 'Postern: memory per idle connection', value: pIdle, unit: 'KiB', versus: `nginx ${fmt(ngIdle, 1)} KiB`, ratio: pIdle / ngIdle, target: '≤ 400%', pass: pIdle <= 4 * ngIdle },
  );
  out.notes.push(
    `Idle: ${fmt(count)} connections opened and greeted, not logged in, after a warm-up round of a twentieth as many; RSS of nginx's master and worker, of the bare node:net server, or of the postern process, read once it has stopped moving (3 s within 0.5 %), before and after.`,
  );
  out.notes.push(
    `Idle: about 2 KiB of each Node figure is V8's young generation growing with the burst of connections (towards 32 MiB), paid once and given back after a while idle. Both Node processes are measured from the small state (the bare server fresh, Postern after half a minute idle); right after Postern's start-up, its young generation still large, its growth is about 2 KiB per connection instead.`,
  );
  const unsettled = Object.entries(idle).filter(([, m]) => !m.settled);
  if (unsettled.length > 0) out.notes.push(`Idle: RSS was still moving after ${SETTLE_MAX_MS / 1000} s for ${unsettled.map(([n]) => n).join(', ')}: the last sample was used.`);
  if (floorIdle > 4 * ngIdle) out.notes.push(`Idle: Node's own floor (${fmt(floorIdle, 1)} KiB) is above 4x nginx (${fmt(4 * ngIdle, 1)} KiB), so the target is out of reach for a Node server measured this way.`);
  out.data.idle = idle;
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
