// test/harness/nginx.ts
// Starts Debian's nginx (1.22 + libnginx-mod-mail) as a mail proxy from its own temporary
// folder: `nginx -p DIR/ -c DIR/nginx.conf -e DIR/error.log` with `daemon off`, so the
// spawned process *is* the master. Nothing under /etc/nginx or /var/log/nginx is used.
// Listeners bind 127.0.0.1 on ports chosen at run time. Readiness = nginx wrote DIR/nginx.pid
// with our child's pid (it does so only after every listen socket was bound, so a port
// stolen in between makes nginx exit instead of us talking to a stranger), then a TCP
// connect to each port. An optional `http {}` block serves static auth_http answers
// (Auth-Status/Auth-Server/Auth-Port as headers of a 204), so nginx can be its own auth server.

import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePorts, LOOPBACK } from './ports.js';
import { makeTempDir, removeTempDir } from './tmp.js';
import { readTextOr, superviseChild, waitUntilReady } from './supervise.js';

export type MailProtocol = 'imap' | 'pop3' | 'smtp';

export interface MailListener {
  protocol: MailProtocol;
  /** Key in handle.ports; default: the protocol, then `<protocol>2`, `<protocol>3`, ... */
  name?: string;
  /** Fixed port; default: a free port chosen at run time. */
  port?: number;
  /** imap_auth / pop3_auth / smtp_auth methods, e.g. ['plain', 'login', 'cram-md5']. */
  auth?: string[];
  /** SMTP only: `xclient on|off` (nginx's default is on). */
  xclient?: boolean;
  starttls?: 'on' | 'off' | 'only';
  /** Implicit TLS (`listen ... ssl`). */
  ssl?: boolean;
  /**
   * Per-server `auth_http`. A value starting with '/' means "this path on the static auth
   * http server of this nginx" (see NginxOptions.staticAuth).
   */
  authHttp?: string;
  /** Raw directives placed inside this `server {}` (each gets a ';' if it lacks one). */
  extra?: string[];
}

export interface StaticAuthRoute {
  /** Exact location path, e.g. '/auth-imap'. */
  path: string;
  /** Auth-Status value; default 'OK'. */
  status?: string;
  /** Auth-Server; default 127.0.0.1 (only sent with a port). */
  server?: string;
  /** Auth-Port; omitted when undefined. */
  port?: number;
  /**
   * More reply headers (e.g. Auth-Wait, Auth-Error-Code, Auth-User, Auth-Pass). Values are
   * nginx config strings: `$var` interpolates nginx variables (e.g. `$http_auth_user`).
   */
  headers?: Record<string, string>;
}

export interface NginxOptions {
  /** Global `auth_http` of the mail block; '/path' = path on the static auth server. */
  authHttp?: string;
  /** `auth_http_header NAME VALUE;` lines (order kept). */
  authHttpHeaders?: Record<string, string> | Array<[string, string]>;
  /** e.g. '5s'. */
  authHttpTimeout?: string;
  proxyPassErrorMessage?: boolean;
  /** `server_name` of the mail block; default 'mail.test'. */
  serverName?: string;
  listeners: MailListener[];
  /** Adds `http { server { listen 127.0.0.1:<free>; location = <path> {...} } }`. */
  staticAuth?: { routes: StaticAuthRoute[]; port?: number };
  /** Raw directives for the mail block (e.g. 'timeout 5s', 'resolver off'). */
  mailExtra?: string[];
  /** Raw directives for the main (top-level) context. */
  mainExtra?: string[];
  /** `worker_connections` (default 512); raise `worker_rlimit_nofile` in mainExtra to match. */
  workerConnections?: number;
  /** error_log level; default 'info' (shows 'client login failed' lines). */
  errorLogLevel?: 'debug' | 'info' | 'notice' | 'warn' | 'error';
  /** Readiness deadline; default 10000 ms. */
  startTimeoutMs?: number;
  /** Folder label; default 'nginx'. */
  label?: string;
  /** Path of the nginx binary; default /usr/sbin/nginx. */
  binary?: string;
}

export interface ResolvedListener extends MailListener {
  name: string;
  port: number;
}

export interface NginxHandle {
  dir: string;
  /** Master pid (the spawned process). */
  pid: number;
  /** Port by listener name (default names: 'imap', 'pop3', 'smtp', 'imap2', ...). */
  ports: Record<string, number>;
  /** Port of the i-th listener, in the order given. */
  listenerPorts: number[];
  listeners: ResolvedListener[];
  /** Port of the static auth http server (undefined without staticAuth). */
  staticAuthPort: number | undefined;
  /** '127.0.0.1:PORT/path' for a path of the static auth server. */
  staticAuthUrl(path: string): string;
  /** PEM of the self-signed certificate (undefined when no listener uses TLS). */
  certPath: string | undefined;
  confPath: string;
  /** Contents of DIR/error.log ('' if missing). */
  errorLog(): string;
  /** Master + worker pids currently alive. */
  pids(): number[];
  /** Graceful stop (QUIT, then TERM/KILL after deadlines), wait, remove DIR. Idempotent. */
  stop(): Promise<void>;
}

const MAIL_MODULE = '/usr/lib/nginx/modules/ngx_mail_module.so';

/** Quote a value for nginx.conf (double quotes; `$` stays a variable reference). */
export function nginxQuote(v: string): string {
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function directive(line: string): string {
  const t = line.trim();
  return t.endsWith(';') || t.endsWith('}') ? t : `${t};`;
}

/** Make a self-signed cert/key for 127.0.0.1 and localhost in `dir`. */
export function makeSelfSignedCert(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return { cert, key };
}

export async function startNginx(opts: NginxOptions): Promise<NginxHandle> {
  const dir = makeTempDir(opts.label ?? 'nginx');
  const confPath = join(dir, 'nginx.conf');
  const errorLogPath = join(dir, 'error.log');
  const pidPath = join(dir, 'nginx.pid');
  const serverName = opts.serverName ?? 'mail.test';
  const timeoutMs = opts.startTimeoutMs ?? 10_000;

  // Resolve listener names (first unnamed one of a protocol: the protocol; then
  // <protocol>2, <protocol>3, ...) and ports.
  const needed = opts.listeners.filter((l) => l.port === undefined).length +
    (opts.staticAuth && opts.staticAuth.port === undefined ? 1 : 0);
  const fresh = await freePorts(needed); // distinct ports
  const nextPort = (): number => fresh.shift() as number;
  const listeners: ResolvedListener[] = [];
  const taken = new Set(opts.listeners.map((l) => l.name).filter((n): n is string => n !== undefined));
  for (const l of opts.listeners) {
    let name = l.name;
    if (name === undefined) {
      name = l.protocol;
      for (let i = 2; taken.has(name); i++) name = `${l.protocol}${i}`;
      taken.add(name);
    }
    if (listeners.some((x) => x.name === name)) {
      removeTempDir(dir);
      throw new Error(`startNginx: duplicate listener name ${name}`);
    }
    listeners.push({ ...l, name, port: l.port ?? nextPort() });
  }
  const staticAuthPort = opts.staticAuth ? (opts.staticAuth.port ?? nextPort()) : undefined;
  const staticAuthUrl = (path: string): string => {
    if (staticAuthPort === undefined) throw new Error('startNginx: no staticAuth server configured');
    return `${LOOPBACK}:${staticAuthPort}${path.startsWith('/') ? path : `/${path}`}`;
  };
  const resolveAuthUrl = (u: string): string => (u.startsWith('/') ? staticAuthUrl(u) : u);

  const needsTls = listeners.some((l) => l.ssl || (l.starttls !== undefined && l.starttls !== 'off'));
  let certPath: string | undefined;
  let keyPath: string | undefined;
  try {
    if (needsTls) {
      const c = makeSelfSignedCert(dir);
      certPath = c.cert;
      keyPath = c.key;
    }

    const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    const conf: string[] = [];
    conf.push(`load_module ${MAIL_MODULE};`);
    if (isRoot) conf.push('user nobody nogroup;');
    conf.push('daemon off;');
    conf.push('master_process on;');
    conf.push('worker_processes 1;');
    conf.push(`pid ${pidPath};`);
    conf.push(`lock_file ${join(dir, 'nginx.lock')};`);
    conf.push(`error_log ${errorLogPath} ${opts.errorLogLevel ?? 'info'};`);
    // QUIT waits for open connections; mail sessions keep timers, so cap the wait.
    conf.push('worker_shutdown_timeout 1s;');
    for (const e of opts.mainExtra ?? []) conf.push(directive(e));
    conf.push(`events { worker_connections ${opts.workerConnections ?? 512}; }`);

    if (opts.staticAuth && staticAuthPort !== undefined) {
      const tmp = join(dir, 'http-tmp');
      mkdirSync(tmp);
      conf.push('http {');
      conf.push(`  access_log ${join(dir, 'access.log')};`);
      for (const t of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
        conf.push(`  ${t}_temp_path ${join(tmp, t)};`);
      }
      conf.push('  default_type text/plain;');
      conf.push('  server_tokens off;');
      conf.push('  server {');
      conf.push(`    listen ${LOOPBACK}:${staticAuthPort};`);
      for (const r of opts.staticAuth.routes) {
        conf.push(`    location = ${r.path} {`);
        conf.push(`      add_header Auth-Status ${nginxQuote(r.status ?? 'OK')} always;`);
        if (r.port !== undefined) {
          conf.push(`      add_header Auth-Server ${nginxQuote(r.server ?? LOOPBACK)} always;`);
          conf.push(`      add_header Auth-Port ${r.port} always;`);
        }
        for (const [k, v] of Object.entries(r.headers ?? {})) {
          conf.push(`      add_header ${k} ${nginxQuote(v)} always;`);
        }
        conf.push('      return 204;');
        conf.push('    }');
      }
      conf.push('    location / { return 404; }');
      conf.push('  }');
      conf.push('}');
    }

    conf.push('mail {');
    conf.push(`  server_name ${serverName};`);
    if (opts.authHttp !== undefined) conf.push(`  auth_http ${resolveAuthUrl(opts.authHttp)};`);
    const hdrs = Array.isArray(opts.authHttpHeaders)
      ? opts.authHttpHeaders
      : Object.entries(opts.authHttpHeaders ?? {});
    for (const [k, v] of hdrs) conf.push(`  auth_http_header ${k} ${nginxQuote(v)};`);
    if (opts.authHttpTimeout !== undefined) conf.push(`  auth_http_timeout ${opts.authHttpTimeout};`);
    if (opts.proxyPassErrorMessage !== undefined) {
      conf.push(`  proxy_pass_error_message ${opts.proxyPassErrorMessage ? 'on' : 'off'};`);
    }
    if (needsTls && certPath !== undefined && keyPath !== undefined) {
      conf.push(`  ssl_certificate ${certPath};`);
      conf.push(`  ssl_certificate_key ${keyPath};`);
    }
    for (const e of opts.mailExtra ?? []) conf.push(`  ${directive(e)}`);
    for (const l of listeners) {
      conf.push('  server {');
      conf.push(`    listen ${LOOPBACK}:${l.port}${l.ssl ? ' ssl' : ''};`);
      conf.push(`    protocol ${l.protocol};`);
      if (l.auth && l.auth.length > 0) conf.push(`    ${l.protocol}_auth ${l.auth.join(' ')};`);
      if (l.authHttp !== undefined) conf.push(`    auth_http ${resolveAuthUrl(l.authHttp)};`);
      if (l.xclient !== undefined) {
        if (l.protocol !== 'smtp') throw new Error(`startNginx: xclient is SMTP only (${l.name})`);
        conf.push(`    xclient ${l.xclient ? 'on' : 'off'};`);
      }
      if (l.starttls !== undefined) conf.push(`    starttls ${l.starttls};`);
      for (const e of l.extra ?? []) conf.push(`    ${directive(e)}`);
      conf.push('  }');
    }
    conf.push('}');
    writeFileSync(confPath, conf.join('\n') + '\n');
  } catch (err) {
    removeTempDir(dir);
    throw err;
  }

  const errorLog = (): string => readTextOr(errorLogPath, '');

  const child = superviseChild(
    spawn(opts.binary ?? '/usr/sbin/nginx', ['-p', `${dir}/`, '-c', confPath, '-e', errorLogPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
    // Graceful, as `kill -QUIT $(cat DIR/nginx.pid)`: start-up checked that the pid file
    // holds our child's pid, so signal that pid directly; TERM after 4 s, KILL after 2 more.
    { name: 'nginx', label: `nginx ${dir}`, stopSignals: [['SIGQUIT', 4000], ['SIGTERM', 2000]], dir },
  );

  const diagnostics = (): string =>
    `--- ${confPath} ---\n${readTextOr(confPath, '(missing)')}\n--- nginx output ---\n${child.output()}\n--- ${errorLogPath} ---\n${errorLog()}`;

  // nginx.pid holding *our* pid is written only after all sockets are bound.
  const pid = await waitUntilReady(child, {
    caller: 'startNginx',
    pidPath,
    ports: [...listeners.map((l) => l.port), ...(staticAuthPort !== undefined ? [staticAuthPort] : [])],
    timeoutMs,
    diagnostics,
  });

  const portsByName: Record<string, number> = {};
  for (const l of listeners) portsByName[l.name] = l.port;

  return {
    dir,
    pid,
    ports: portsByName,
    listenerPorts: listeners.map((l) => l.port),
    listeners,
    staticAuthPort,
    staticAuthUrl,
    certPath,
    confPath,
    errorLog,
    pids: child.pids,
    stop: child.stop,
  };
}
