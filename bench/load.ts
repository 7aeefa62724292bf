/**
 * The load generator, run as its own process so it never shares an event loop with the
 * server it measures: `node dist/bench/load.js < spec.json` prints one LoadResult JSON.
 *
 * Like nginx, every request is a NEW TCP connection: connect, send the bytes, read until the
 * peer closes. Two shapes of load:
 *   - closed loop (`concurrency`): that many requests in flight, each followed by the next;
 *     gives the maximum throughput;
 *   - open loop (`rate`): requests started on a fixed schedule whatever the answers do, so the
 *     latency is the one a steady arrival rate sees (no coordinated omission).
 * Two kinds of request: `http` (bytes out, the reply must contain `expect`) and `imap` (greeting,
 * LOGIN, LOGOUT through nginx). Everything is bounded: duration, request count, in-flight cap and
 * a per-request timeout. The parent side is `runLoad`, which spawns this file with the spec on
 * standard input.
 */
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { runNodeJson } from './child-json.js';

export interface LoadSpec {
  kind: 'http' | 'imap';
  port: number;
  /** Measured time; requests finishing in the warm-up before it are not counted. */
  durationMs: number;
  warmupMs?: number;
  /** Closed loop: requests in flight. */
  concurrency?: number;
  /** Open loop: requests started per second. */
  rate?: number;
  /** http: the request bytes, base64; several are used round-robin (one per mailbox, say). */
  requests?: string[];
  /** http: a reply must contain this text to count as a success. */
  expect?: string;
  /** imap: [user, password] pairs, used round-robin. */
  logins?: Array<[string, string]>;
  timeoutMs?: number;
}

export interface LoadResult {
  ok: number;
  errors: number;
  /** Error kinds and their counts (ECONNRESET, timeout, unexpected-reply, ...). */
  errorKinds: Record<string, number>;
  seconds: number;
  /** Successful requests per second over the measured time. */
  rate: number;
  /** Latency of the successful requests, connect to close, in ms. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Open loop: requests not started because the in-flight cap was reached. */
  skipped: number;
}

const HOST = '127.0.0.1';
const MAX_REQUESTS = 5_000_000;
const MAX_IN_FLIGHT = 2_000;

type Done = (error: string | null) => void;

/** `done` called once, whichever of the socket's events comes first, and the socket destroyed. */
function once(s: net.Socket, done: Done): Done {
  let finished = false;
  return (err) => {
    if (finished) return;
    finished = true;
    s.destroy();
    done(err);
  };
}

/** One HTTP exchange on a fresh connection; `done` once the peer has closed. */
function httpOnce(port: number, request: Buffer, expect: Buffer, done: Done): net.Socket {
  const s = net.connect({ port, host: HOST, noDelay: true });
  let head: Buffer | undefined;
  const finish = once(s, done);
  s.on('data', (c: Buffer) => {
    if (head === undefined || head.length < 1024) head = head === undefined ? c : Buffer.concat([head, c]);
  });
  s.on('end', () => finish(head !== undefined && head.includes(expect) ? null : 'unexpected-reply'));
  s.on('error', (e: NodeJS.ErrnoException) => finish(e.code ?? 'error'));
  s.on('close', () => finish('closed-early'));
  s.write(request);
  return s;
}

/** IMAP through nginx: greeting, LOGIN, LOGOUT; success is a tagged OK to the LOGIN. */
function imapOnce(port: number, user: string, pass: string, done: Done): net.Socket {
  const s = net.connect({ port, host: HOST, noDelay: true });
  let buf = '';
  let state: 'greeting' | 'login' | 'logout' = 'greeting';
  const finish = once(s, done);
  const quote = (v: string): string => `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  s.setEncoding('latin1');
  s.on('data', (chunk: string) => {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf('\r\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 2);
      if (state === 'greeting') {
        if (!line.startsWith('* OK')) return finish('bad-greeting');
        state = 'login';
        s.write(`a1 LOGIN ${quote(user)} ${quote(pass)}\r\n`);
      } else if (state === 'login' && line.startsWith('a1 ')) {
        if (!line.startsWith('a1 OK')) return finish('login-refused');
        state = 'logout';
        s.write('a2 LOGOUT\r\n');
      } else if (state === 'logout' && line.startsWith('a2 ')) {
        return finish(null);
      }
    }
  });
  s.on('error', (e: NodeJS.ErrnoException) => finish(e.code ?? 'error'));
  // The server may close right after "* BYE": the login has succeeded by then.
  s.on('close', () => finish(state === 'logout' ? null : `closed-in-${state}`));
  return s;
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

/** Runs the load described by `spec` in this process. */
export async function generate(spec: LoadSpec): Promise<LoadResult> {
  const warmupMs = spec.warmupMs ?? 0;
  const timeoutMs = spec.timeoutMs ?? 5000;
  const requests = (spec.requests ?? []).map((r) => Buffer.from(r, 'base64'));
  const expect = Buffer.from(spec.expect ?? '', 'latin1');
  const logins = spec.logins ?? [];
  if (spec.kind === 'imap' && logins.length === 0) throw new Error('imap load needs logins');
  if (spec.kind === 'http' && requests.length === 0) throw new Error('http load needs requests');

  const lat = new Float64Array(MAX_REQUESTS);
  let n = 0;
  let ok = 0;
  let errors = 0;
  let skipped = 0;
  let started = 0;
  const errorKinds: Record<string, number> = {};
  const inFlight = new Map<net.Socket, number>();

  const t0 = performance.now();
  const measureFrom = t0 + warmupMs;
  const end = measureFrom + spec.durationMs;

  const once = (after: () => void): void => {
    const begin = performance.now();
    started++;
    const done: Done = (err) => {
      inFlight.delete(sock);
      const now = performance.now();
      if (begin >= measureFrom && now <= end) {
        if (err === null) {
          ok++;
          if (n < MAX_REQUESTS) lat[n++] = now - begin;
        } else {
          errors++;
          errorKinds[err] = (errorKinds[err] ?? 0) + 1;
        }
      }
      after();
    };
    const sock =
      spec.kind === 'http'
        ? httpOnce(spec.port, requests[started % requests.length] as Buffer, expect, done)
        : imapOnce(spec.port, ...(logins[started % logins.length] as [string, string]), done);
    inFlight.set(sock, begin);
  };

  // One watchdog for all sockets instead of a timer each.
  const timedOut = (): Error => Object.assign(new Error('timeout'), { code: 'timeout' });
  const watchdog = setInterval(() => {
    const limit = performance.now() - timeoutMs;
    for (const [s, begin] of inFlight) if (begin < limit) s.destroy(timedOut());
  }, 100);

  await new Promise<void>((resolve) => {
    const canStart = (): boolean => performance.now() < end && started < MAX_REQUESTS;
    const maybeResolve = (): void => {
      if (!canStart() && inFlight.size === 0) resolve();
    };
    if (spec.rate !== undefined) {
      // Open loop: start whatever the schedule says is due, checked every millisecond.
      const rate = spec.rate;
      let scheduled = 0;
      const tick = (): void => {
        if (!canStart()) return maybeResolve();
        const due = Math.floor(((performance.now() - t0) * rate) / 1000);
        for (; scheduled < due; scheduled++) {
          if (inFlight.size >= MAX_IN_FLIGHT) skipped++;
          else once(maybeResolve);
        }
        setTimeout(tick, 1);
      };
      tick();
    } else {
      const loop = (): void => (canStart() ? once(loop) : maybeResolve());
      for (let i = 0; i < (spec.concurrency ?? 1); i++) loop();
    }
    // Hard stop: never wait past the deadline plus one timeout.
    setTimeout(() => {
      for (const s of inFlight.keys()) s.destroy(timedOut());
      resolve();
    }, end - t0 + timeoutMs + 1000).unref();
  });
  clearInterval(watchdog);

  const sorted = lat.subarray(0, n).sort();
  const seconds = spec.durationMs / 1000;
  return {
    ok,
    errors,
    errorKinds,
    seconds,
    rate: ok / seconds,
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    max: sorted.length > 0 ? (sorted[sorted.length - 1] as number) : NaN,
    skipped,
  };
}

/** Parent side: runs the generator in a child process and returns its result. */
export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const limitMs = (spec.warmupMs ?? 0) + spec.durationMs + (spec.timeoutMs ?? 5000) + 15_000;
  return runNodeJson<LoadResult>([fileURLToPath(import.meta.url)], limitMs, JSON.stringify(spec));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const spec = JSON.parse(Buffer.concat(chunks).toString('utf8')) as LoadSpec;
  process.stdout.write(JSON.stringify(await generate(spec)) + '\n');
}
