/**
 * Runs Postern itself for end-to-end tests: `postern init` into a temporary folder, the
 * directory prepared through the store, then `postern serve` as a child process (the real
 * command, as an operator runs it). Its JSON log lines are collected for assertions.
 */
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { initConfig } from '../../src/config/init.js';
import { loadConfig, type Config } from '../../src/config/load.js';
import type { DirectoryWithBans } from '../../src/store/index.js';
import { openDirectory } from '../../src/store/index.js';
import { projectRoot, runProcess, type ProcessResult } from './clients.js';
import { freePort, freePorts } from './ports.js';
import { superviseChild, waitUntilReady } from './supervise.js';
import { makeTempDir, removeTempDir } from './tmp.js';

export interface PosternHandle {
  dir: string;
  configFile: string;
  config: Config;
  port: number;
  /** The admin console's listener port (admin.port). */
  adminPort: number;
  /** `127.0.0.1:PORT/auth`, for nginx's auth_http. */
  authUrl: string;
  /** The shared secret, for nginx's auth_http_header. */
  secret: string;
  pid: number;
  /** Every JSON log line so far. */
  logs: Array<Record<string, unknown>>;
  /** Raw stdout + stderr so far. */
  output(): string;
  /** Decision log lines (`event: "auth"`). */
  decisions(): Array<Record<string, unknown>>;
  /**
   * The first decision line (from `logs[since]` on) that `match` accepts, waiting for it:
   * Postern writes its log asynchronously, so a line may arrive after the client is done.
   */
  waitForDecision(match: (line: Record<string, unknown>) => boolean, opts?: { since?: number; timeoutMs?: number }): Promise<Record<string, unknown>>;
  /** Runs `postern <args>` against this configuration. */
  cli(args: string[], opts?: { input?: string }): Promise<ProcessResult>;
  /** Opens the directory (WAL: safe beside the running server); close it after use. */
  directory(): Promise<DirectoryWithBans>;
  stop(): Promise<void>;
}

export const posternBin = join(projectRoot, 'bin', 'postern.js');

/** A running `postern` child process with its output collected. */
export interface PosternProcess {
  pid: number;
  logs: Array<Record<string, unknown>>;
  output(): string;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
  /** SIGTERM (then SIGKILL after 5 s, to its descendants too); resolves with the exit code. Idempotent. */
  stop(): Promise<number | null>;
}

/**
 * Starts `postern <args>` and waits until `port` (and `morePorts`) accept connections. Unless the caller's env
 * chooses one, the admin console gets a free port (POSTERN_ADMIN_PORT), so tests running side
 * by side never compete for the configured one.
 */
export async function spawnPostern(args: string[], opts: { env: NodeJS.ProcessEnv; cwd?: string; port: number; morePorts?: number[] }): Promise<PosternProcess> {
  const env = opts.env.POSTERN_ADMIN_PORT === undefined ? { ...opts.env, POSTERN_ADMIN_PORT: String(await freePort()) } : opts.env;
  const spawned = spawn(process.execPath, [posternBin, ...args], { env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const child = superviseChild(spawned, { name: 'postern', stopSignals: [['SIGTERM', 5000]] });
  const logs: Array<Record<string, unknown>> = [];
  let partial = '';
  spawned.stdout.on('data', (chunk: Buffer) => {
    partial += chunk.toString();
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) {
      try {
        logs.push(JSON.parse(l));
      } catch {
        /* not a log line */
      }
    }
  });
  const pid = await waitUntilReady(child, { caller: 'spawnPostern', ports: [opts.port, ...(opts.morePorts ?? [])], timeoutMs: 15_000, diagnostics: child.output });
  const exited = child.exited.then((e) => e.code);
  return {
    pid,
    logs,
    output: child.output,
    exited,
    async stop() {
      await child.stop();
      return exited;
    },
  };
}

/** What a `[mail_proxy]` section may need to point at the auth endpoint over HTTP. */
export interface MailProxyContext {
  /** `127.0.0.1:PORT/auth`, for `auth_http`. */
  authUrl: string;
  /** For `auth_http_headers`. */
  secretHeader: string;
  secret: string;
  /** The temporary folder holding the configuration (for files next to it). */
  dir: string;
}

export interface StartPosternOptions {
  env?: Record<string, string>;
  setup?: (dir: DirectoryWithBans) => Promise<void>;
  /**
   * A `[mail_proxy]` section (and its `[[mail_proxy.listeners]]`) appended to the generated
   * configuration. With `enabled = true`, start-up waits until every listener with a fixed port
   * accepts connections.
   */
  mailProxy?: string | ((ctx: MailProxyContext) => string);
}

export async function startPostern(opts: StartPosternOptions = {}): Promise<PosternHandle> {
  const dir = makeTempDir('postern');
  const [port, adminPort] = (await freePorts(2)) as [number, number];
  const configFile = join(dir, 'postern.toml');
  initConfig(configFile, { port, adminPort });
  const env = { ...process.env, POSTERN_LOG_LEVEL: 'debug', POSTERN_ADMIN_PORT: String(adminPort), ...opts.env };
  let config = loadConfig(configFile, env);
  const authUrl = `127.0.0.1:${port}${config.listen.path}`;
  if (opts.mailProxy !== undefined) {
    const ctx: MailProxyContext = { authUrl, secretHeader: config.auth.secret_header, secret: config.secret.toString('latin1'), dir };
    appendFileSync(configFile, `\n${typeof opts.mailProxy === 'function' ? opts.mailProxy(ctx) : opts.mailProxy}\n`);
    config = loadConfig(configFile, env);
  }
  const mp = config.mail_proxy;
  const mailPorts = mp.enabled ? mp.listeners.map((l) => l.port).filter((p) => p > 0) : [];
  if (opts.setup) {
    const d = await openDirectory({ kind: 'sqlite', path: config.database.path });
    try {
      await opts.setup(d);
    } finally {
      await d.close();
    }
  }
  const proc = await spawnPostern(['serve', '-c', configFile], { env, port, morePorts: mailPorts });
  let stopped = false;
  return {
    dir,
    configFile,
    config,
    port,
    adminPort,
    authUrl,
    secret: config.secret.toString('latin1'),
    pid: proc.pid,
    logs: proc.logs,
    output: proc.output,
    decisions: () => proc.logs.filter((l) => l.event === 'auth'),
    waitForDecision: (match, o = {}) =>
      waitForLog(proc.logs, (l) => l.event === 'auth' && match(l), { since: o.since ?? 0, timeoutMs: o.timeoutMs ?? 5000, diagnostics: proc.output }),
    cli: (args, o = {}) => runProcess(process.execPath, [posternBin, ...args, '-c', configFile], { env, ...(o.input !== undefined ? { input: o.input } : {}) }),
    directory: () => openDirectory({ kind: 'sqlite', path: config.database.path }),
    async stop() {
      if (stopped) return;
      stopped = true;
      await proc.stop();
      removeTempDir(dir);
    },
  };
}

/**
 * Waits for a line of `logs[since..]` that `match` accepts (polled: the array only grows).
 * On time-out the error carries `diagnostics()` (e.g. the process output) when given.
 */
export async function waitForLog(
  logs: Array<Record<string, unknown>>,
  match: (line: Record<string, unknown>) => boolean,
  opts: { since?: number; timeoutMs?: number; diagnostics?: () => string } = {},
): Promise<Record<string, unknown>> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = logs.slice(opts.since ?? 0).find(match);
    if (hit) return hit;
    if (Date.now() > deadline) {
      const more = opts.diagnostics ? `:\n${opts.diagnostics()}` : '';
      throw new Error(`no matching log line within ${timeoutMs} ms (${logs.length} lines)${more}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
