/**
 * The in-process auth path gives the answers the HTTP path gives: the same attempt asked both
 * ways, of the same Postern (real SQLite directory, real decision code), concludes alike, for a
 * good login, a wrong password, an unknown user, and inbound mail on the MX path.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { LoginAttempt } from '../../authclient/index.js';
import { initConfig } from '../../config/init.js';
import { loadConfig } from '../../config/load.js';
import { createLogger } from '../../log/logger.js';
import { openRuntime, type Runtime } from '../../app/runtime.js';
import { hashPassword } from '../../passwords/index.js';
import { createAuthAnswer, createAuthServer, type AuthServer } from '../../server/auth-server.js';
import { httpAuthTransport, resolveAuthHttpUrl } from './auth-http.js';
import { inProcessAuthTransport } from './auth-in-process.js';
import type { AuthTransport } from './auth-transport.js';

const decisions: Array<Record<string, unknown>> = [];
const sink = new Writable({
  write(chunk, _enc, cb) {
    for (const l of String(chunk).split('\n').filter(Boolean)) decisions.push(JSON.parse(l));
    cb();
  },
});

let folder: string;
let rt: Runtime;
let server: AuthServer;
let http: { imap: AuthTransport; mx: AuthTransport };
let inProcess: { imap: AuthTransport; mx: AuthTransport };

before(async () => {
  folder = mkdtempSync(join(tmpdir(), 'postern-inproc-'));
  initConfig(join(folder, 'postern.toml'));
  // The test network is trusted by the defence, so the growing Auth-Wait does not tell two asks apart.
  const base = loadConfig(join(folder, 'postern.toml'), { POSTERN_AUTH_FAILURE_WAIT_SECONDS: '1', POSTERN_DEFENCE_TRUSTED_NETWORKS: '192.0.2.0/24' });
  const cfg = { ...base, listen: { ...base.listen, port: 0 } };
  const log = createLogger('info', sink);
  rt = await openRuntime(cfg, { log });
  await rt.directory.addDomain('example.com');
  await rt.directory.addBackend({ name: 'b1', host: '127.0.0.1', ports: { imap: 10143, smtp: 10025 } });
  await rt.directory.setRoute('default', null, 'b1');
  await rt.directory.addMailbox({ address: 'alice@example.com', passwordHash: await hashPassword('right pw', { memoryKiB: 1024, iterations: 1, parallelism: 1 }) });
  server = createAuthServer(cfg, rt, log);
  const { port } = await server.listen();
  const headers = [[cfg.auth.secret_header, cfg.secret.toString()]] as const;
  http = {
    imap: httpAuthTransport({ url: await resolveAuthHttpUrl(`127.0.0.1:${port}${cfg.listen.path}`), headers, timeoutMs: 5000 }),
    mx: httpAuthTransport({ url: await resolveAuthHttpUrl(`127.0.0.1:${port}${cfg.listen.path}/mx`), headers, timeoutMs: 5000 }),
  };
  const answer = createAuthAnswer(cfg, rt, log);
  inProcess = {
    imap: inProcessAuthTransport({ answer, path: cfg.listen.path, mxOnly: false, timeoutMs: 5000 }),
    mx: inProcessAuthTransport({ answer, path: cfg.listen.path, mxOnly: true, timeoutMs: 5000 }),
  };
});

after(async () => {
  await server.close(100);
  await rt.close();
  rmSync(folder, { recursive: true, force: true });
});

function login(user: string, pass: string): LoginAttempt {
  return { protocol: 'imap', method: 'plain', user: Buffer.from(user), pass: Buffer.from(pass), attempt: 1, clientIp: '192.0.2.9' };
}

const mail = (to: string): LoginAttempt => ({
  protocol: 'smtp',
  method: 'none',
  user: Buffer.alloc(0),
  attempt: 1,
  clientIp: '192.0.2.10',
  clientHost: '[UNAVAILABLE]',
  smtp: { helo: Buffer.from('remote.test'), from: Buffer.from('MAIL FROM:<x@remote.test>'), to: Buffer.from(`RCPT TO:<${to}>`) },
});

for (const [name, kind, attempt, via] of [
  ['a good login', 'ok', login('alice@example.com', 'right pw'), 'imap'],
  ['a wrong password', 'fail', login('alice@example.com', 'wrong'), 'imap'],
  ['an unknown user', 'fail', login('nobody@example.com', 'x'), 'imap'],
  ['inbound mail for a mailbox', 'ok', mail('alice@example.com'), 'mx'],
  ['inbound mail for elsewhere', 'fail', mail('victim@elsewhere.test'), 'mx'],
] as const) {
  test(`in-process and HTTP conclude alike: ${name}`, async () => {
    const overHttp = await http[via].ask(attempt);
    const direct = await inProcess[via].ask(attempt);
    assert.equal(direct.kind, kind, JSON.stringify(direct));
    assert.deepEqual(direct, overHttp);
  });
}

test('in-process decisions are logged like the endpoint\'s own', async () => {
  const before = decisions.length;
  await inProcess.imap.ask(login('alice@example.com', 'right pw'));
  const line = decisions.slice(before).find((l) => l.event === 'auth');
  assert.equal(line?.result, 'ok');
  assert.equal(line?.client_ip, '192.0.2.9');
});
