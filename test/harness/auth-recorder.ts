// test/harness/auth-recorder.ts
// A tap for auth_http requests: a TCP server on 127.0.0.1 that keeps the head of every request
// a mail proxy sends it (bytes as sent, up to the empty line), and either passes each
// connection through to the real auth server (`forwardTo`, e.g. Postern's endpoint) or answers
// it with fixed reply headers. nginx and Postern pointed at the same tap can then be compared
// header by header. One request per connection (HTTP/1.0, as both send).

import net from 'node:net';
import { LOOPBACK } from './ports.js';

export interface RecordedRequest {
  /** The request line and headers, latin1, CRLFs kept, without the empty line. */
  head: string;
  /** Header lines in order, values as sent (not decoded). */
  headers: Array<[string, string]>;
}

export interface AuthRecorderOptions {
  /** Pass every connection through to this auth server (asked per connection: it may start later). */
  forwardTo?: () => { host?: string; port: number };
  /** Else answer with these headers (HTTP/1.0 200), e.g. { 'Auth-Status': 'Invalid login', 'Auth-Wait': '0' }. */
  reply?: Record<string, string>;
}

export interface AuthRecorderHandle {
  port: number;
  /** `127.0.0.1:PORT<path>`, for auth_http. */
  url(path: string): string;
  requests: RecordedRequest[];
  /** The headers of request `i` whose names match `re`, as `Name: value` lines in order. */
  headerLines(i: number, re: RegExp): string[];
  /** Waits until at least `n` requests were recorded. */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const HEAD_END = Buffer.from('\r\n\r\n');
const MAX_HEAD = 64 * 1024;

export async function startAuthRecorder(opts: AuthRecorderOptions): Promise<AuthRecorderHandle> {
  if (!opts.forwardTo === !opts.reply) throw new Error('startAuthRecorder: give forwardTo or reply');
  const requests: RecordedRequest[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    let head = Buffer.alloc(0);
    let recorded = false;
    const target = opts.forwardTo?.();
    const upstream = target ? net.connect({ host: target.host ?? LOOPBACK, port: target.port }) : undefined;
    if (upstream) {
      sockets.add(upstream);
      upstream.on('close', () => sockets.delete(upstream));
      upstream.on('error', () => client.destroy());
      upstream.pipe(client);
    }
    client.on('data', (chunk: Buffer) => {
      upstream?.write(chunk);
      if (recorded) return;
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf(HEAD_END);
      if (end < 0 && head.length < MAX_HEAD) return;
      recorded = true;
      const text = head.subarray(0, end < 0 ? head.length : end).toString('latin1');
      const headers = text
        .split('\r\n')
        .slice(1)
        .map((l): [string, string] => {
          const colon = l.indexOf(':');
          return [l.slice(0, colon), l.slice(colon + 1).replace(/^ /, '')];
        });
      requests.push({ head: text, headers });
      if (opts.reply) {
        const lines = Object.entries(opts.reply).map(([k, v]) => `${k}: ${v}\r\n`);
        client.end(`HTTP/1.0 200 OK\r\n${lines.join('')}\r\n`);
      }
    });
    client.on('end', () => upstream?.end());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: (path) => `${LOOPBACK}:${port}${path.startsWith('/') ? path : `/${path}`}`,
    requests,
    headerLines: (i, re) => (requests[i]?.headers ?? []).filter(([name]) => re.test(name)).map(([name, value]) => `${name}: ${value}`),
    async waitFor(n, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (requests.length < n) {
        if (Date.now() > deadline) throw new Error(`auth recorder: ${requests.length} of ${n} requests within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
