// test/harness/ports.ts
// Free-port allocation and readiness polling, on 127.0.0.1 only.
// freePort() binds port 0, reads the port back and closes it: another process may grab it
// before the server starts, so every server starter must check that *its* process bound
// the port (see nginx.ts / dovecot.ts) instead of trusting a successful connect.

import { createServer, connect } from 'node:net';

export const LOOPBACK = '127.0.0.1';

/** One free TCP port on 127.0.0.1 (bound to port 0, read back, closed). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ port: 0, host: LOOPBACK, exclusive: true }, () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new Error('freePort: no TCP address'));
        return;
      }
      const port = addr.port;
      srv.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

/** `n` distinct free ports (all held open together, then released). */
export async function freePorts(n: number): Promise<number[]> {
  const servers: Array<ReturnType<typeof createServer>> = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < n; i++) {
      const srv = createServer();
      servers.push(srv);
      const port = await new Promise<number>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen({ port: 0, host: LOOPBACK, exclusive: true }, () => {
          const addr = srv.address();
          if (addr === null || typeof addr === 'string') reject(new Error('freePorts: no TCP address'));
          else resolve(addr.port);
        });
      });
      ports.push(port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

/** Try one TCP connect; resolves true on success, false on error/timeout. */
export function canConnect(port: number, host = LOOPBACK, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ port, host });
    const done = (ok: boolean): void => {
      sock.removeAllListeners();
      sock.on('error', () => undefined);
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

export interface WaitForPortOptions {
  host?: string;
  /** Polled between attempts; when it returns a string, waiting stops with that as the error. */
  abort?: () => string | undefined;
  /** Text appended to the timeout error (e.g. the server's log). */
  diagnostics?: () => string;
}

/**
 * Poll until a TCP connect to host:port succeeds (every 25 ms), or throw after timeoutMs.
 */
export async function waitForPort(port: number, timeoutMs: number, opts: WaitForPortOptions = {}): Promise<void> {
  const host = opts.host ?? LOOPBACK;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const why = opts.abort?.();
    if (why !== undefined) throw new Error(`waitForPort ${host}:${port}: ${why}${diag(opts)}`);
    if (await canConnect(port, host, Math.max(50, Math.min(500, deadline - Date.now())))) return;
    if (Date.now() >= deadline) {
      throw new Error(`waitForPort ${host}:${port}: nothing listening after ${timeoutMs} ms${diag(opts)}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

function diag(opts: WaitForPortOptions): string {
  const d = opts.diagnostics?.();
  return d ? `\n--- diagnostics ---\n${d}` : '';
}
