/**
 * What the benchmarks share: the result rows the orchestrator prints, the nginx-shaped auth
 * request, and the servers under test started as child processes (Postern itself, the bare
 * `node:http` ceiling). Postern is started as `postern serve`, exactly as the test harness does
 * (`postern init` in a temporary folder, directory prepared through the store), except that its
 * log goes to a file instead of a pipe (parsing 100k log lines in the benchmark's own process
 * would take CPU from the two cores under test) and the event-loop probe is preloaded.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { initConfig } from '../src/config/init.js';
import { loadConfig, type Config } from '../src/config/load.js';
import type { Directory } from '../src/directory/types.js';
import { openDirectory } from '../src/store/index.js';
import { posternBin } from '../test/harness/postern.js';
import { freePort, waitForPort } from '../test/harness/ports.js';
import { isAlive, trackProcess, untrackProcess, waitForExit } from '../test/harness/processes.js';
import { makeTempDir, removeTempDir } from '../test/harness/tmp.js';

const here = dirname(fileURLToPath(import.meta.url));

/** One line of the results table. `ratio` and `pass` are absent for plain figures. */
export interface Row {
  metric: string;
  value: number;
  unit: string;
  /** What the value is compared with, e.g. "node:http 9,800/s". */
  versus?: string;
  ratio?: number;
  target?: string;
  pass?: boolean;
}

export interface BenchResult {
  name: string;
  title: string;
  rows: Row[];
  notes: string[];
  /** Every raw figure, for the JSON file. */
  data: Record<string, unknown>;
}

export interface BenchOptions {
  /** Multiplies every measured duration (0.2 for a smoke run). */
  scale: number;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Seconds → ms, scaled, at least 300 ms. */
export const dur = (o: BenchOptions, seconds: number): number => Math.max(300, Math.round(seconds * 1000 * o.scale));

/** An auth request byte for byte as nginx 1.22 sends it (nginx-1.22-captures.txt, "curl-imap-plain"). */
export function nginxAuthRequest(user: string, pass: string, secretHeader: string, secret: string): Buffer {
  const lines = [
    'GET /auth HTTP/1.0',
    'Host: 127.0.0.1',
    'Auth-Method: plain',
    `Auth-User: ${user}`,
    `Auth-Pass: ${pass}`,
    'Auth-Protocol: imap',
    'Auth-Login-Attempt: 1',
    'Client-IP: 127.0.0.1',
    `${secretHeader}: ${secret}`,
    'X-Listener: imap',
  ];
  return Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'utf8');
}

/** A child process that prints `ready` on stdout once it serves. */
export async function startChild(args: string[], ready: string, label: string): Promise<{ pid: number; stop(): Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const pid = child.pid!;
  trackProcess(pid, label);
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${label} did not start: ${out}`)), 10_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(ready)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`${label} exited (${code}): ${out}`)));
  });
  return {
    pid,
    async stop() {
      if (isAlive(pid)) process.kill(pid, 'SIGTERM');
      if (!(await waitForExit(pid, 5000)) && isAlive(pid)) process.kill(pid, 'SIGKILL');
      untrackProcess(pid);
    },
  };
}

export { runNodeJson } from './child-json.js';

/** The bare node:http ceiling on a free port; its reply names backend port `authPort`. */
export async function startHttpBaseline(authPort = 143): Promise<{ port: number; pid: number; stop(): Promise<void> }> {
  const port = await freePort();
  const child = await startChild([join(here, 'http-baseline.js'), String(port), String(authPort)], 'listening', 'node:http baseline');
  return { port, ...child };
}

export interface BenchPostern {
  dir: string;
  config: Config;
  port: number;
  authUrl: string;
  secret: string;
  pid: number;
  /** JSON lines of the log file so far. */
  logs(): Array<Record<string, unknown>>;
  /** Decision lines so far: how many, how many were auth-cache hits, and by reason. */
  decisions(): { total: number; cacheHits: number; reasons: Record<string, number> };
  /** Event-loop delay since the last call (or start), from the preloaded probe. */
  eventLoopDelay(): Promise<{ p50_ms: number; p99_ms: number; max_ms: number; samples: number } | undefined>;
  stop(): Promise<void>;
}

/** `postern serve` on a fresh temporary folder, its directory filled by `setup`. */
export async function startBenchPostern(opts: {
  env?: Record<string, string>;
  /** TOML appended to the generated configuration (e.g. a `[mail_proxy]` section), given the auth endpoint. */
  extraToml?: (auth: { port: number; secretHeader: string; secret: string }) => string;
  setup: (d: Directory, config: Config) => Promise<void>;
}): Promise<BenchPostern> {
  const dir = makeTempDir('bench-postern');
  const port = await freePort();
  const configFile = join(dir, 'postern.toml');
  // A port of its own for the admin console: the default (the next one) is often the next free
  // port a benchmark picked for something else (the mail proxy's listeners).
  initConfig(configFile, { port, adminPort: await freePort() });
  const probe = pathToFileURL(join(here, 'eld-probe.js')).href;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    POSTERN_LOG_LEVEL: 'info',
    ...opts.env,
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${probe}`.trim(),
  };
  if (opts.extraToml) {
    const base = loadConfig(configFile, env);
    appendFileSync(configFile, `\n${opts.extraToml({ port, secretHeader: base.auth.secret_header, secret: base.secret.toString('latin1') })}\n`);
  }
  const config = loadConfig(configFile, env);
  const d = await openDirectory({ kind: 'sqlite', path: config.database.path });
  try {
    await opts.setup(d, config);
  } finally {
    await d.close();
  }
  const logFile = join(dir, 'postern.log');
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [posternBin, 'serve', '-c', configFile], { env, cwd: dir, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const pid = child.pid!;
  trackProcess(pid, 'postern (bench)');
  let exited = false;
  child.once('exit', () => (exited = true));
  const readLog = (): string => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const logs = (): Array<Record<string, unknown>> =>
    readLog()
      .split('\n')
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
  try {
    await waitForPort(port, 15_000, { abort: () => (exited ? 'postern exited' : undefined), diagnostics: readLog });
  } catch (err) {
    removeTempDir(dir);
    throw err;
  }
  const eldLines = (): number => readLog().split('\n').filter((l) => l.includes('"event-loop-delay"')).length;
  let stopped = false;
  return {
    dir,
    config,
    port,
    authUrl: `127.0.0.1:${port}${config.listen.path}`,
    secret: config.secret.toString('latin1'),
    pid,
    logs,
    decisions() {
      const out = { total: 0, cacheHits: 0, reasons: {} as Record<string, number> };
      for (const l of readLog().split('\n')) {
        if (!l.includes('"event":"auth"')) continue;
        out.total++;
        if (l.includes('"cache":"hit"')) out.cacheHits++;
        const reason = /"reason":"([^"]*)"/.exec(l)?.[1] ?? '?';
        out.reasons[reason] = (out.reasons[reason] ?? 0) + 1;
      }
      return out;
    },
    async eventLoopDelay() {
      const before = eldLines();
      process.kill(pid, 'SIGUSR2');
      for (let i = 0; i < 100 && eldLines() === before; i++) await sleep(20);
      const line = logs().filter((l) => l.event === 'event-loop-delay').pop();
      return line as { p50_ms: number; p99_ms: number; max_ms: number; samples: number } | undefined;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (!exited && isAlive(pid)) {
        process.kill(pid, 'SIGTERM');
        if (!(await waitForExit(pid, 5000)) && isAlive(pid)) process.kill(pid, 'SIGKILL');
      }
      untrackProcess(pid);
      removeTempDir(dir);
    },
  };
}

/** Sets up the usual small directory: one domain, one backend (`imapPort`), a default route. */
export async function baseDirectory(d: Directory, imapPort = 143): Promise<void> {
  await d.addDomain('example.com');
  await d.addBackend({ name: 'imap1', host: '127.0.0.1', ports: { imap: imapPort, pop3: 110, smtp: 587 } });
  await d.setRoute('default', null, 'imap1');
}

/** True when this Postern build has an auth cache that `POSTERN_CACHE_TTL_SECONDS` controls. */
export function hasAuthCache(cfg: Config): boolean {
  return typeof (cfg as unknown as { cache?: { ttl_seconds?: unknown } }).cache?.ttl_seconds === 'number';
}

export const fmt = (v: number, digits = 0): string =>
  Number.isFinite(v) ? v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : 'n/a';

interface ProcSample {
  /** utime + stime, clock ticks. */
  cpu: number;
  ppid: number;
  /** Start time, clock ticks since boot. */
  start: number;
}

function scanProcs(): Map<number, ProcSample> {
  const out = new Map<number, ProcSample>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const text = readFileSync(`/proc/${name}/stat`, 'latin1');
      const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
      out.set(Number(name), { ppid: Number(f[1]), cpu: Number(f[11]) + Number(f[12]), start: Number(f[19]) });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * Watches the CPU that processes outside this benchmark's own tree (and outside the kernel's
 * threads) use, sampling /proc twice a second: other work on a 2-core machine skews every
 * figure, so the results say how much there was. Short-lived processes between two samples
 * are missed, so the figure is a lower bound.
 */
export function watchOtherCpu(): { stop(): { avgCores: number; peakCores: number } } {
  const tick = 100; // USER_HZ on Linux
  const uptimeTicks = (): number => Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * tick;
  let prev = scanProcs();
  let prevTime = uptimeTicks();
  const first = prevTime;
  let total = 0;
  let peak = 0;
  const sample = (): void => {
    const now = scanProcs();
    const t = uptimeTicks();
    const ours = new Set<number>([process.pid]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const [pid, p] of now) {
        if (!ours.has(pid) && ours.has(p.ppid)) {
          ours.add(pid);
          grew = true;
        }
      }
    }
    let used = 0;
    for (const [pid, p] of now) {
      if (ours.has(pid) || pid === 2 || p.ppid === 2) continue;
      const before = prev.get(pid);
      if (before) used += Math.max(0, p.cpu - before.cpu);
      else if (p.start >= prevTime) used += p.cpu;
    }
    total += used;
    if (t > prevTime) peak = Math.max(peak, used / (t - prevTime));
    prev = now;
    prevTime = t;
  };
  const timer = setInterval(sample, 500);
  return {
    stop() {
      clearInterval(timer);
      sample();
      const span = Math.max(1, prevTime - first);
      return { avgCores: total / span, peakCores: peak };
    },
  };
}
