/**
 * The mail proxy benchmark's client, run as its own process (one JSON spec on standard input,
 * one JSON result as the last output line) so it never shares an event loop with what it
 * measures. Three jobs, all IMAP:
 *   - `fetch`: log in, SELECT INBOX, fetch message 1 whole (`BODY.PEEK[]`) `rounds` times on
 *     each of `connections` sessions at once; the bytes received over the time taken;
 *   - `noop`: log in, then `count` NOOPs one after the other; the round-trip times;
 *   - `idle`: open `count` connections, read each greeting, print `{"ready":n}` and hold them
 *     until standard input closes, then close them all.
 */
import net from 'node:net';

export type MailClientSpec =
  | { job: 'fetch'; port: number; user: string; pass: string; rounds: number; connections: number }
  | { job: 'noop'; port: number; user: string; pass: string; count: number }
  | { job: 'idle'; port: number; count: number };

export interface FetchResult {
  bytes: number;
  seconds: number;
}
export interface NoopResult {
  p50: number;
  p99: number;
  count: number;
}

const HOST = '127.0.0.1';

/** A line-and-literal reader over one IMAP connection, enough for this client's few commands. */
function imapConnection(port: number): { sock: net.Socket; tagged(tag: string): Promise<{ line: string; bytes: number }>; greeting: Promise<string> } {
  const sock = net.connect({ host: HOST, port, noDelay: true });
  let buf: Buffer = Buffer.alloc(0);
  let literal = 0;
  let counted = 0;
  const waiters = new Map<string, { resolve: (r: { line: string; bytes: number }) => void; reject: (e: Error) => void }>();
  let greet: (l: string) => void = () => undefined;
  let fail: (e: Error) => void = () => undefined;
  const greeting = new Promise<string>((resolve, reject) => {
    greet = resolve;
    fail = reject;
  });
  let greeted = false;
  sock.on('data', (chunk: Buffer) => {
    counted += chunk.length;
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    for (;;) {
      if (literal > 0) {
        const take = Math.min(literal, buf.length);
        literal -= take;
        buf = buf.subarray(take);
        if (literal > 0) return;
      }
      const lf = buf.indexOf(0x0a);
      if (lf < 0) return;
      const line = buf.toString('latin1', 0, lf).replace(/\r$/, '');
      buf = buf.subarray(lf + 1);
      const m = /\{(\d+)\}$/.exec(line);
      if (m) literal = Number(m[1]);
      if (!greeted) {
        greeted = true;
        greet(line);
        continue;
      }
      const tag = line.split(' ', 1)[0] ?? '';
      const w = waiters.get(tag);
      if (w) {
        waiters.delete(tag);
        w.resolve({ line, bytes: counted });
        counted = 0;
      }
    }
  });
  sock.on('error', (e) => fail(e));
  sock.on('close', () => {
    fail(new Error('connection closed before the greeting'));
    for (const [tag, w] of waiters) w.reject(new Error(`connection closed before ${tag} was answered`));
    waiters.clear();
  });
  return {
    sock,
    greeting,
    tagged: (tag) =>
      new Promise((resolve, reject) => {
        waiters.set(tag, { resolve, reject });
      }),
  };
}

async function login(port: number, user: string, pass: string): Promise<ReturnType<typeof imapConnection>> {
  const c = imapConnection(port);
  await c.greeting;
  c.sock.write(`l LOGIN "${user}" "${pass}"\r\n`);
  const r = await c.tagged('l');
  if (!r.line.startsWith('l OK')) throw new Error(`login refused: ${r.line}`);
  return c;
}

async function fetchJob(s: Extract<MailClientSpec, { job: 'fetch' }>): Promise<FetchResult> {
  const sessions = await Promise.all(
    Array.from({ length: s.connections }, async () => {
      const c = await login(s.port, s.user, s.pass);
      c.sock.write('s SELECT INBOX\r\n');
      await c.tagged('s');
      return c;
    }),
  );
  const started = process.hrtime.bigint();
  const sizes = await Promise.all(
    sessions.map(async (c) => {
      let bytes = 0;
      for (let i = 0; i < s.rounds; i++) {
        c.sock.write(`f${i} FETCH 1 BODY.PEEK[]\r\n`);
        const r = await c.tagged(`f${i}`);
        if (!r.line.includes('OK')) throw new Error(`fetch failed: ${r.line}`);
        bytes += r.bytes;
      }
      c.sock.destroy();
      return bytes;
    }),
  );
  return { bytes: sizes.reduce((a, b) => a + b, 0), seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

async function noopJob(s: Extract<MailClientSpec, { job: 'noop' }>): Promise<NoopResult> {
  const c = await login(s.port, s.user, s.pass);
  const times: number[] = [];
  for (let i = 0; i < s.count; i++) {
    const t = process.hrtime.bigint();
    c.sock.write(`n${i} NOOP\r\n`);
    await c.tagged(`n${i}`);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  c.sock.destroy();
  times.sort((a, b) => a - b);
  const at = (q: number): number => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? NaN;
  return { p50: at(0.5), p99: at(0.99), count: times.length };
}

async function idleJob(s: Extract<MailClientSpec, { job: 'idle' }>): Promise<void> {
  const socks: net.Socket[] = [];
  // Open in batches so the listen backlog is never the limit.
  for (let opened = 0; opened < s.count; ) {
    const batch = Math.min(500, s.count - opened);
    await Promise.all(
      Array.from({ length: batch }, async () => {
        const c = imapConnection(s.port);
        socks.push(c.sock);
        await c.greeting;
      }),
    );
    opened += batch;
  }
  process.stdout.write(`${JSON.stringify({ ready: socks.length })}\n`);
  await new Promise<void>((resolve) => {
    process.stdin.resume();
    process.stdin.on('end', resolve);
    process.stdin.on('close', resolve);
  });
  for (const sock of socks) sock.destroy();
}

async function main(): Promise<void> {
  let input = '';
  process.stdin.setEncoding('utf8');
  // The spec is the first line; for `idle` standard input then stays open as the hold signal.
  const spec = await new Promise<MailClientSpec>((resolve) => {
    const onData = (d: string): void => {
      input += d;
      const nl = input.indexOf('\n');
      if (nl < 0) return;
      process.stdin.off('data', onData);
      process.stdin.pause();
      resolve(JSON.parse(input.slice(0, nl)) as MailClientSpec);
    };
    process.stdin.on('data', onData);
  });
  if (spec.job === 'fetch') process.stdout.write(`${JSON.stringify(await fetchJob(spec))}\n`);
  else if (spec.job === 'noop') process.stdout.write(`${JSON.stringify(await noopJob(spec))}\n`);
  else await idleJob(spec);
  process.exit(0);
}

main().catch((err: Error) => {
  process.stderr.write(`mail-client: ${err.message}\n`);
  process.exit(1);
});
