/**
 * The auth_http listener over real loopback sockets, with a real SQLite directory: who may ask,
 * what a malformed or failing request gets, and that nothing but the fixed temporary failure
 * ever leaves when something breaks inside.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { initConfig } from '../config/init.js';
import { loadConfig, type Config } from '../config/load.js';
import { createLogger } from '../log/logger.js';
import { openRuntime, type Runtime } from '../app/runtime.js';
import { hashPassword } from '../passwords/index.js';
import { createAuthServer, type AuthServer } from './auth-server.js';

const lines: Array<Record<string, unknown>> = [];
const sink = new Writable({
  write(chunk, _enc, cb) {
    for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
    cb();
  },
});

interface Harness {
  cfg: Config;
  rt: Runtime;
  server: AuthServer;
  port: number;
}

let folder: string;
let h: Harness;

async function start(over: (cfg: Config) => Config = (c) => c, rtOver: (rt: Runtime) => Runtime = (r) => r): Promise<Harness> {
  const base = loadConfig(join(folder, 'postern.toml'), { POSTERN_AUTH_FAILURE_WAIT_SECONDS: '1' });
  const cfg = over({ ...base, listen: { ...base.listen, port: 0 } });
  const log = createLogger('debug', sink);
  const rt = rtOver(await openRuntime(cfg, { log }));
  const server = createAuthServer(cfg, rt, log);
  const addr = await server.listen();
  return { cfg, rt, server, port: addr.port };
}

async function stop(x: Harness): Promise<void> {
  await x.server.close(100);
  await x.rt.close().catch(() => undefined);
}

function ask(port: number, raw: string | Buffer, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host }, () => s.write(raw));
    const chunks: Buffer[] = [];
    s.on('data', (c) => chunks.push(c));
    s.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    s.on('error', reject);
    s.setTimeout(8000, () => reject(new Error('no answer')));
  });
}

function request(extra: Record<string, string>, secret?: string): string {
  const headers: Record<string, string> = {
    'Auth-Method': 'plain',
    'Auth-User': 'alice@example.com',
    'Auth-Pass': 'right%20pw',
    'Auth-Protocol': 'imap',
    'Auth-Login-Attempt': '1',
    'Client-IP': '192.0.2.1',
    ...extra,
  };
  if (secret !== undefined) headers['X-Postern-Secret'] = secret;
  return `GET /auth HTTP/1.0\r\nHost: 127.0.0.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
}

before(async () => {
  folder = mkdtempSync(join(tmpdir(), 'postern-server-'));
  initConfig(join(folder, 'postern.toml'));
  h = await start();
  const dir = h.rt.directory;
  await dir.addDomain('example.com');
  await dir.addBackend({ name: 'b1', host: '127.0.0.1', ports: { imap: 10143, smtp: 10025 } });
  await dir.setRoute('default', null, 'b1');
  await dir.addMailbox({ address: 'alice@example.com', passwordHash: await hashPassword('right pw', { memoryKiB: 1024, iterations: 1, parallelism: 1 }) });
});

after(async () => {
  await stop(h);
  rmSync(folder, { recursive: true, force: true });
});

describe('auth endpoint', () => {
  test('answers a good login with exactly the OK headers nginx needs', async () => {
    const reply = await ask(h.port, request({}, h.cfg.secret.toString()));
    assert.equal(reply, 'HTTP/1.0 200 OK\r\nAuth-Status: OK\r\nAuth-Server: 127.0.0.1\r\nAuth-Port: 10143\r\n\r\n');
    const line = lines.findLast((l) => l.event === 'auth')!;
    assert.equal(line.result, 'ok');
    assert.equal(line.reason, 'ok');
    assert.equal(line.user, 'alice@example.com');
    assert.equal(line.client_ip, '192.0.2.1');
    assert.equal(line.server, '127.0.0.1:10143');
    assert.equal(typeof line.latency_ms, 'number');
    assert.ok(!JSON.stringify(lines).includes('right pw') && !JSON.stringify(lines).includes('right%20pw'), 'no password in any log line');
  });

  test('a wrong password gets the failure text with Auth-Wait, never OK', async () => {
    const reply = await ask(h.port, request({ 'Auth-Pass': 'wrong' }, h.cfg.secret.toString()));
    assert.equal(reply, 'HTTP/1.0 200 OK\r\nAuth-Status: [AUTHENTICATIONFAILED] Invalid login or password\r\nAuth-Wait: 1\r\n\r\n');
  });

  test('requests without the shared secret, or with a wrong one, are refused without any Auth-* header', async () => {
    for (const secret of [undefined, 'wrong-secret-value', h.cfg.secret.toString() + 'x', '']) {
      const reply = await ask(h.port, request({}, secret));
      assert.equal(reply, 'HTTP/1.0 403 Forbidden\r\n\r\n', String(secret));
    }
    assert.equal(lines.findLast((l) => l.event === 'refused')?.reason, 'bad-secret');
    assert.ok(!JSON.stringify(lines).includes(h.cfg.secret.toString()), 'the secret is never logged');
  });

  test('peers outside auth.allowed_networks are refused even with the secret', async () => {
    const x = await start((c) => ({ ...c, auth: { ...c.auth, allowed_networks: ['10.0.0.0/8'] } }));
    try {
      assert.equal(await ask(x.port, request({}, x.cfg.secret.toString())), 'HTTP/1.0 403 Forbidden\r\n\r\n');
      assert.equal(lines.findLast((l) => l.event === 'refused')?.reason, 'peer-not-allowed');
    } finally {
      await stop(x);
    }
  });

  test('control characters in credentials are a refused login; other malformed requests a temporary failure', async () => {
    const ctl = await ask(h.port, request({ 'Auth-User': 'alice%0D%0Aa2%20LOGOUT' }, h.cfg.secret.toString()));
    assert.equal(ctl, 'HTTP/1.0 200 OK\r\nAuth-Status: [AUTHENTICATIONFAILED] Invalid login or password\r\n\r\n');
    const bad = await ask(h.port, request({ 'Auth-Method': 'kerberos', 'Auth-Protocol': 'smtp' }, h.cfg.secret.toString()));
    assert.equal(bad, 'HTTP/1.0 200 OK\r\nAuth-Status: Temporary server problem, try again later\r\nAuth-Error-Code: 451 4.3.0\r\n\r\n');
    assert.equal(lines.findLast((l) => l.event === 'auth')?.reason, 'bad-request');
  });

  test('raw UTF-8 and DEL bytes in headers are read as bytes (Node\'s strict parser would drop them)', async () => {
    const raw = Buffer.concat([Buffer.from(request({ 'Auth-User': 'alice@example.com' }, h.cfg.secret.toString()).replace('\r\n\r\n', '\r\nX-Extra: caf\xc3\xa9\x7f\r\n\r\n'), 'latin1')]);
    assert.match(await ask(h.port, raw), /^HTTP\/1\.0 200 OK\r\nAuth-Status: OK\r\n/);
  });

  test('health and readiness endpoints', async () => {
    assert.match(await ask(h.port, 'GET /healthz HTTP/1.0\r\n\r\n'), /^HTTP\/1\.0 200 OK\r\n[\s\S]*\r\n\r\nok\n$/);
    assert.match(await ask(h.port, 'GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n'), /^HTTP\/1\.0 200 OK\r\n[\s\S]*ready\n$/);
    assert.match(await ask(h.port, 'GET /nope HTTP/1.0\r\n\r\n'), /^HTTP\/1\.0 404 /);
    assert.match(await ask(h.port, 'BLAH\r\n\r\n'), /^HTTP\/1\.0 400 /);
  });
});

describe('failing closed', () => {
  test('a database that is down gives a temporary failure (SMTP 451 4.3.0), never OK or "wrong password", and /readyz says so', async () => {
    const x = await start();
    try {
      await x.rt.directory.close();
      const imap = await ask(x.port, request({}, x.cfg.secret.toString()));
      assert.equal(imap, 'HTTP/1.0 200 OK\r\nAuth-Status: [UNAVAILABLE] Temporary server problem, try again later\r\n\r\n');
      const smtp = await ask(x.port, request({ 'Auth-Protocol': 'smtp' }, x.cfg.secret.toString()));
      assert.equal(smtp, 'HTTP/1.0 200 OK\r\nAuth-Status: Temporary server problem, try again later\r\nAuth-Error-Code: 451 4.3.0\r\n\r\n');
      assert.equal(lines.findLast((l) => l.event === 'auth')?.reason, 'internal-error');
      assert.match(await ask(x.port, 'GET /readyz HTTP/1.0\r\n\r\n'), /^HTTP\/1\.0 503 /);
    } finally {
      await stop(x);
    }
  });

  test('with the database down, a login verified within cache.stale_seconds is still answered; others are not', async () => {
    const x = await start();
    try {
      const secret = x.cfg.secret.toString();
      assert.match(await ask(x.port, request({}, secret)), /^HTTP\/1\.0 200 OK\r\nAuth-Status: OK\r\n/);
      await x.rt.directory.close();
      assert.equal(await ask(x.port, request({}, secret)), 'HTTP/1.0 200 OK\r\nAuth-Status: OK\r\nAuth-Server: 127.0.0.1\r\nAuth-Port: 10143\r\n\r\n');
      const line = lines.findLast((l) => l.event === 'auth')!;
      assert.deepEqual([line.reason, line.cache, line.mailbox], ['ok-stale-cache', 'stale', 'alice@example.com']);
      const wrong = await ask(x.port, request({ 'Auth-Pass': 'wrong' }, secret));
      assert.equal(wrong, 'HTTP/1.0 200 OK\r\nAuth-Status: [UNAVAILABLE] Temporary server problem, try again later\r\n\r\n');
    } finally {
      await stop(x);
    }
  });

  test('a decision that takes too long becomes a temporary failure before nginx gives up', async () => {
    const x = await start(
      (c) => ({ ...c, auth: { ...c.auth, decision_timeout_ms: 200 } }),
      (rt) => ({ ...rt, decide: () => new Promise(() => undefined) }),
    );
    try {
      const t0 = Date.now();
      const reply = await ask(x.port, request({ 'Auth-Protocol': 'pop3' }, x.cfg.secret.toString()));
      assert.equal(reply, 'HTTP/1.0 200 OK\r\nAuth-Status: [SYS/TEMP] Temporary server problem, try again later\r\n\r\n');
      assert.ok(Date.now() - t0 < 2000);
      assert.equal(lines.findLast((l) => l.event === 'auth')?.reason, 'timeout');
    } finally {
      await stop(x);
    }
  });

  test('an exception inside the decision, or an answer that cannot be encoded, never leaks its Auth-* headers', async () => {
    const thrower = await start(undefined, (rt) => ({ ...rt, decide: async () => { throw new Error('boom'); } }));
    const liar = await start(undefined, (rt) => ({
      ...rt,
      decide: async () => ({ decision: { kind: 'ok', server: 'db.internal', port: 143, pass: 'x\r\nAuth-Status: OK' }, reason: 'ok' }),
    }));
    try {
      for (const x of [thrower, liar]) {
        const reply = await ask(x.port, request({}, x.cfg.secret.toString()));
        assert.equal(reply, 'HTTP/1.0 200 OK\r\nAuth-Status: [UNAVAILABLE] Temporary server problem, try again later\r\n\r\n');
      }
      assert.equal(lines.findLast((l) => l.event === 'auth')?.reason, 'reply-invalid');
    } finally {
      await stop(thrower);
      await stop(liar);
    }
  });
});
