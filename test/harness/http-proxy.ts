// test/harness/http-proxy.ts
// Debian's nginx as an HTTP reverse proxy, started like the mail proxy in nginx.ts: its own
// temporary folder, `daemon off`, ports chosen by the caller (so servers can point at each
// other), readiness when nginx wrote its pid file and every port accepts connections. The
// caller writes each server's location blocks; `proxyHeaders` gives the usual good set.

import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOOPBACK } from './ports.js';
import { readTextOr, superviseChild, waitUntilReady } from './supervise.js';
import { makeTempDir, removeTempDir } from './tmp.js';

export interface ProxyServer {
  port: number;
  /** Directives inside `server {}` after `listen`: locations and the like. */
  body: string[];
}

export interface HttpProxyOptions {
  servers: ProxyServer[];
  /** `upstream NAME { server ...; }` blocks. */
  upstreams?: Record<string, string[]>;
  label?: string;
}

export interface HttpProxyHandle {
  dir: string;
  pid: number;
  confPath: string;
  accessLog(): string;
  errorLog(): string;
  stop(): Promise<void>;
}

/** What a well-configured nginx sends to Postern's console (PROXY_HINT in src/http/proxy-hints.ts). */
export function proxyHeaders(extra: string[] = []): string[] {
  return [
    'proxy_set_header Host $http_host;',
    'proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
    'proxy_set_header X-Forwarded-Proto $scheme;',
    ...extra,
  ];
}

export async function startHttpProxy(opts: HttpProxyOptions): Promise<HttpProxyHandle> {
  const dir = makeTempDir(opts.label ?? 'http-proxy');
  const confPath = join(dir, 'nginx.conf');
  const errorLogPath = join(dir, 'error.log');
  const accessLogPath = join(dir, 'access.log');
  const pidPath = join(dir, 'nginx.pid');
  try {
    const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    const tmp = join(dir, 'http-tmp');
    mkdirSync(tmp);
    const conf: string[] = [];
    if (isRoot) conf.push('user nobody nogroup;');
    conf.push('daemon off;', 'master_process on;', 'worker_processes 1;', `pid ${pidPath};`, `lock_file ${join(dir, 'nginx.lock')};`);
    conf.push(`error_log ${errorLogPath} info;`, 'worker_shutdown_timeout 1s;', 'events { worker_connections 256; }');
    conf.push('http {');
    conf.push(`  log_format hops '$remote_addr "$request" $status upstream=$upstream_addr xff="$http_x_forwarded_for"';`);
    conf.push(`  access_log ${accessLogPath} hops;`);
    for (const t of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) conf.push(`  ${t}_temp_path ${join(tmp, t)};`);
    conf.push('  server_tokens off;');
    for (const [name, servers] of Object.entries(opts.upstreams ?? {})) {
      conf.push(`  upstream ${name} {`, ...servers.map((s) => `    server ${s};`), '  }');
    }
    for (const s of opts.servers) {
      conf.push('  server {', `    listen ${LOOPBACK}:${s.port};`, ...s.body.map((l) => `    ${l}`), '  }');
    }
    conf.push('}');
    writeFileSync(confPath, conf.join('\n') + '\n');
  } catch (err) {
    removeTempDir(dir);
    throw err;
  }
  const child = superviseChild(spawn('/usr/sbin/nginx', ['-p', `${dir}/`, '-c', confPath, '-e', errorLogPath], { stdio: ['ignore', 'pipe', 'pipe'] }), {
    name: 'nginx',
    label: `nginx (http proxy) ${dir}`,
    stopSignals: [['SIGQUIT', 4000], ['SIGTERM', 2000]],
    dir,
  });
  const errorLog = (): string => readTextOr(errorLogPath, '');
  const pid = await waitUntilReady(child, {
    caller: 'startHttpProxy',
    pidPath,
    ports: opts.servers.map((s) => s.port),
    timeoutMs: 10_000,
    diagnostics: () => `--- ${confPath} ---\n${readTextOr(confPath, '(missing)')}\n--- output ---\n${child.output()}\n--- error.log ---\n${errorLog()}`,
  });
  return { dir, pid, confPath, accessLog: () => readTextOr(accessLogPath, ''), errorLog, stop: child.stop };
}
