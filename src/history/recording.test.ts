/**
 * Recording end to end in one process: the real auth_http listener and runtime over loopback
 * and a real SQLite file. Each login decision becomes one history entry after the flush (the
 * answer itself unchanged), inbound mail routing does not, a history that cannot be written
 * changes no answer, and `postern test-login` (a dry run) records nothing.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openRuntime, type Runtime } from '../app/runtime.js';
import { registerTestLogin } from '../cli/test-login.js';
import { runCli } from '../cli/test-support.js';
import { initConfig } from '../config/init.js';
import { loadConfig, type Config } from '../config/load.js';
import { createLogger } from '../log/logger.js';
import { createAuthServer, type AuthServer } from '../server/auth-server.js';
import { openSqlite } from '../store/sqlite-binding.js';
import { tempFolder } from '../store/test-support.js';

function ask(port: number, headers: Record<string, string>): Promise<string> {
  const raw = `GET /auth HTTP/1.0\r\nHost: 127.0.0.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' }, () => s.write(raw));
    const chunks: Buffer[] = [];
    s.on('data', (c) => chunks.push(c));
    s.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    s.on('error', reject);
  });
}

describe('recording login decisions', () => {
  const tmp = tempFolder();
  const configFile = path.join(tmp.folder, 'postern.toml');
  let cfg: Config;
  let rt: Runtime;
  let server: AuthServer;
  let port: number;
  /** What the runtime logged (the history's warnings among it). */
  const logged: Record<string, unknown>[] = [];
  const login = (user: string, pass: string, extra: Record<string, string> = {}) =>
    ask(port, { 'Auth-Method': 'plain', 'Auth-User': user, 'Auth-Pass': pass, 'Auth-Protocol': 'imap', 'Auth-Login-Attempt': '1', 'Client-IP': '192.0.2.1', 'X-Postern-Secret': cfg.secret.toString(), ...extra });

  before(async () => {
    initConfig(configFile, { port: 18997 });
    const base = loadConfig(configFile, {});
    cfg = { ...base, listen: { ...base.listen, port: 0 } };
    rt = await openRuntime(cfg, { log: createLogger('info', { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>) }) });
    const d = rt.directory;
    await d.addDomain('example.com');
    await d.addBackend({ name: 'b1', host: '127.0.0.1', ports: { imap: 10143, smtp: 10025, mx: 10025 } });
    await d.setRoute('default', null, 'b1');
    await d.addMailbox({ address: 'alice@example.com', passwordHash: '{PLAIN}right' });
    server = createAuthServer(cfg, rt, createLogger('silent'));
    port = (await server.listen()).port;
  });
  after(async () => {
    await server.close(100);
    await rt.close();
    tmp.remove();
  });

  it('each login decision becomes one entry; inbound mail routing does not', async () => {
    assert.match(await login('alice@example.com', 'right'), /Auth-Status: OK/);
    assert.match(await login('Alice@Example.com', 'wrong', { 'Client-IP': '203.0.113.66', 'Auth-Protocol': 'pop3' }), /Invalid login or password/);
    assert.match(await login('nobody@example.com', 'x', { 'Client-IP': '203.0.113.66' }), /Invalid login or password/);
    const mx = await ask(port, { 'Auth-Method': 'none', 'Auth-User': '', 'Auth-Pass': '', 'Auth-Protocol': 'smtp', 'Auth-Login-Attempt': '1', 'Client-IP': '198.51.100.9', 'Auth-SMTP-Helo': 'mx.test', 'Auth-SMTP-From': 'MAIL FROM:<a@b.test>', 'Auth-SMTP-To': 'RCPT TO:<alice@example.com>', 'X-Postern-Secret': cfg.secret.toString() });
    assert.match(mx, /Auth-Status: OK/);
    await rt.history!.flush();
    const { entries } = await rt.directory.listLogins({ limit: 10 });
    assert.deepEqual(
      entries.map((e) => [e.login, e.mailbox, e.clientIp, e.protocol, e.method, e.result, e.reason]),
      [
        ['nobody@example.com', null, '203.0.113.66', 'imap', 'plain', 'fail', 'unknown-user'],
        ['Alice@Example.com', 'alice@example.com', '203.0.113.66', 'pop3', 'plain', 'fail', 'bad-credentials'],
        ['alice@example.com', 'alice@example.com', '192.0.2.1', 'imap', 'plain', 'ok', 'ok'],
      ],
    );
    assert.ok(!JSON.stringify(entries).includes('right'), 'no password is kept');
  });

  it('while the history cannot be written, answers are unchanged; the entries are written once it can', async () => {
    // A real failure in the history writer's own connection: another connection makes the
    // database refuse every history row until the trigger goes again.
    const other = openSqlite(cfg.database.path);
    other.exec(`CREATE TRIGGER refuse_history BEFORE INSERT ON login_history BEGIN SELECT RAISE(ABORT, 'history refused by the test'); END`);
    try {
      assert.match(await login('alice@example.com', 'right', { 'Client-IP': '192.0.2.77' }), /Auth-Status: OK/);
      assert.match(await login('alice@example.com', 'nope', { 'Client-IP': '192.0.2.77' }), /Invalid login or password/);
      await rt.history!.flush(); // resolves: the failure stays inside the recorder
      const failed = logged.filter((l) => l.event === 'history-write-failed');
      assert.equal(failed.length, 1, 'the failure is logged once');
      assert.match(String((failed[0]?.err as { message?: string } | undefined)?.message), /history refused by the test/);
      assert.equal((await rt.directory.listLogins({ limit: 10, network: '192.0.2.77' })).entries.length, 0);
    } finally {
      other.exec('DROP TRIGGER refuse_history');
      other.close();
    }
    await rt.history!.flush();
    assert.deepEqual((await rt.directory.listLogins({ limit: 10, network: '192.0.2.77' })).entries.map((e) => e.result), ['fail', 'ok']);
    assert.ok(logged.some((l) => l.event === 'history-write-recovered'));
  });

  it('test-login (a dry run) records nothing', async () => {
    await rt.history!.flush();
    const before = (await rt.directory.listLogins({ limit: 500 })).entries.length;
    const r = await runCli(
      (program, out) => registerTestLogin(program, () => loadConfig(configFile, {}), out, { readStdin: async () => 'right', readPassword: async () => 'right' }),
      ['test-login', 'alice@example.com', '--password-stdin'],
    );
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /result: +ok/);
    await rt.history!.flush();
    assert.equal((await rt.directory.listLogins({ limit: 500 })).entries.length, before);
  });
});
