/**
 * APOP and CRAM-MD5 end to end: Python's poplib/imaplib → Debian's nginx 1.22 (pop3_auth/imap_auth
 * with apop and cram-md5) → `postern serve` → real Dovecot. The mailbox's reversible credential
 * is set with the real CLI (`postern mailbox secret set --stdin`), encrypted under vault key k1;
 * nginx logs in to Dovecot with the Auth-Pass Postern answers, so Dovecot's passdb holds the same
 * password. Then Postern is restarted (in degraded mode) with a keyring that lacks k1: logins get a temporary
 * failure, Postern's log names k1, and nothing reaches Dovecot.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initConfig } from '../../src/config/init.js';
import { loadConfig } from '../../src/config/load.js';
import { hashPassword } from '../../src/passwords/index.js';
import { openDirectory } from '../../src/store/index.js';
import { generateKey } from '../../src/vault/index.js';
import {
  freePort,
  makeTempDir,
  rawSession,
  removeTempDir,
  runImapClient,
  runPop3Client,
  runProcess,
  startDovecot,
  startNginx,
  type DovecotHandle,
  type NginxHandle,
} from '../harness/index.js';
import { posternBin, spawnPostern, waitForLog, type PosternProcess } from '../harness/postern.js';

const SECRET = 'tanstaaf apop';

let dovecot: DovecotHandle;
let nginx: NginxHandle;
let postern: PosternProcess;
let folder: string;
let configFile: string;
let port: number;
let env: NodeJS.ProcessEnv;

function decision(match: (l: Record<string, unknown>) => boolean, since = 0) {
  return waitForLog(postern.logs, (l) => l.event === 'auth' && match(l), { since, diagnostics: postern.output });
}

before(async () => {
  dovecot = await startDovecot({
    label: 'dovecot-challenge',
    users: [
      { user: 'alice@example.com', password: SECRET },
      { user: 'bob@example.com', password: 'bob secret' },
    ],
  });
  dovecot.deliver('alice@example.com', 'From: t@example.com\r\nTo: alice@example.com\r\nSubject: for alice via APOP\r\n\r\nbody\r\n');

  folder = makeTempDir('postern-challenge');
  port = await freePort();
  configFile = join(folder, 'postern.toml');
  initConfig(configFile, { port });
  env = { ...process.env, POSTERN_LOG_LEVEL: 'debug', POSTERN_AUTH_FAILURE_WAIT_SECONDS: '2' };
  const cfg = loadConfig(configFile, env);
  const dir = await openDirectory({ kind: 'sqlite', path: cfg.database.path });
  try {
    await dir.addDomain('example.com');
    await dir.addBackend({ name: 'dovecot', host: '127.0.0.1', ports: { imap: dovecot.ports.imap, pop3: dovecot.ports.pop3 } });
    await dir.setRoute('default', null, 'dovecot');
    await dir.addMailbox({ address: 'alice@example.com', passwordHash: await hashPassword(SECRET) });
    await dir.addMailbox({ address: 'bob@example.com', passwordHash: await hashPassword('bob secret') });
    await dir.addAlias('info@example.com', 'alice@example.com');
  } finally {
    await dir.close();
  }
  const set = await runProcess(process.execPath, [posternBin, 'mailbox', 'secret', 'set', 'alice@example.com', '--stdin', '-c', configFile], { env, input: `${SECRET}\n` });
  assert.equal(set.code, 0, set.stderr);
  assert.match(set.stdout, /encrypted with vault key k1/);

  postern = await spawnPostern(['serve', '-c', configFile], { env, port });
  nginx = await startNginx({
    authHttp: `127.0.0.1:${port}/auth`,
    authHttpHeaders: { 'X-Postern-Secret': cfg.secret.toString('latin1') },
    authHttpTimeout: '10s',
    listeners: [
      { protocol: 'pop3', name: 'pop3', auth: ['plain', 'apop', 'cram-md5'] },
      { protocol: 'imap', name: 'imap', auth: ['plain', 'login', 'cram-md5'] },
    ],
  });
});

after(async () => {
  await Promise.allSettled([nginx?.stop(), postern?.stop()]);
  await Promise.allSettled([dovecot?.stop()]);
  if (folder) removeTempDir(folder);
});

describe('APOP and CRAM-MD5 through nginx with a vault credential', () => {
  test('mailbox show tells the credential is set, under which key, and never shows it', async () => {
    const show = await runProcess(process.execPath, [posternBin, 'mailbox', 'show', 'alice@example.com', '-c', configFile], { env });
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /^reversible credential: set \(key k1, changed \d{4}-.*\)$/m);
    assert.ok(!show.stdout.includes(SECRET));
  });

  test('POP3 APOP logs in and reads the mailbox on Dovecot', async () => {
    const res = await runPop3Client({ port: nginx.ports.pop3!, user: 'alice@example.com', password: SECRET, mech: 'apop', stat: true, retr: 1 });
    assert.ok(res.ok, JSON.stringify(res.transcript));
    assert.equal(res.retr?.subject, 'for alice via APOP');
    const d = await decision((l) => l.method === 'apop' && l.result === 'ok');
    assert.equal(d.mailbox, 'alice@example.com');
  });

  test('POP3 AUTH CRAM-MD5 through an alias opens the mailbox itself', async () => {
    const res = await runPop3Client({ port: nginx.ports.pop3!, user: 'info@example.com', password: SECRET, mech: 'cram-md5', retr: 1 });
    assert.ok(res.ok, JSON.stringify(res.transcript));
    assert.equal(res.retr?.subject, 'for alice via APOP');
  });

  test('IMAP AUTHENTICATE CRAM-MD5 logs in and fetches', async () => {
    const res = await runImapClient({ port: nginx.ports.imap!, user: 'alice@example.com', password: SECRET, mech: 'cram-md5', fetch: true });
    assert.ok(res.ok, JSON.stringify(res));
    assert.deepEqual(res.messages?.map((m) => m.subject), ['for alice via APOP']);
  });

  test('a wrong secret gets "Invalid login or password" at once, and the connection closes (no retry)', async () => {
    const pop = await runPop3Client({ port: nginx.ports.pop3!, user: 'alice@example.com', password: 'wrong', mech: 'apop' });
    assert.equal(pop.login?.reply, '-ERR [AUTH] Invalid login or password');
    const imap = await runImapClient({ port: nginx.ports.imap!, user: 'alice@example.com', password: 'wrong', mech: 'cram-md5' });
    assert.equal(imap.ok, false);
    assert.equal(imap.login?.tagged?.replace(/^\S+ /, ''), 'NO [AUTHENTICATIONFAILED] Invalid login or password');
    assert.equal((await decision((l) => l.method === 'cram-md5' && l.result === 'fail')).reason, 'bad-digest');

    // Raw POP3: the error comes without the 2 s Auth-Wait, and nginx closes the connection.
    const s = await rawSession(nginx.ports.pop3!);
    try {
      await s.expect(/^\+OK/);
      const t0 = Date.now();
      assert.equal(await s.command(`APOP alice@example.com ${'0'.repeat(32)}`, /^[-+]/), '-ERR [AUTH] Invalid login or password');
      assert.ok(Date.now() - t0 < 1500, 'no Auth-Wait');
      assert.equal(await s.waitClosed(3000), true, 'nginx closed the connection');
    } finally {
      s.close();
    }
  });

  test('a mailbox without a reversible credential gets the same refusal', async () => {
    const res = await runPop3Client({ port: nginx.ports.pop3!, user: 'bob@example.com', password: 'bob secret', mech: 'apop' });
    assert.equal(res.login?.reply, '-ERR [AUTH] Invalid login or password');
    assert.equal((await decision((l) => l.user === 'bob@example.com' && l.method === 'apop')).reason, 'no-reversible-secret');
  });

  test('with key k1 gone from the keyring: temporary failure, the log names k1, nothing reaches Dovecot', async () => {
    await postern.stop();
    // The operator "rotated" by replacing the key list: only a new k2 is configured.
    const k2 = join(folder, 'postern-data', 'keys', 'k2.key');
    writeFileSync(k2, generateKey().text + '\n', { mode: 0o600 });
    const text = readFileSync(configFile, 'utf8').replace(/^keys = \[[\s\S]*?\n\]/m, 'keys = [\n  { id = "k2", state = "active", file = "postern-data/keys/k2.key" },\n]');
    assert.match(text, /id = "k2"/);
    writeFileSync(configFile, text);
    // Without --degraded the start-up check refuses (test/e2e/vault-startup.test.ts).
    postern = await spawnPostern(['serve', '--degraded', '-c', configFile], { env, port });

    const dovecotBefore = dovecot.log().length;
    const pop = await runPop3Client({ port: nginx.ports.pop3!, user: 'alice@example.com', password: SECRET, mech: 'apop' });
    assert.equal(pop.login?.reply, '-ERR [SYS/TEMP] Temporary server problem, try again later');
    const imap = await runImapClient({ port: nginx.ports.imap!, user: 'alice@example.com', password: SECRET, mech: 'cram-md5' });
    assert.equal(imap.login?.tagged?.replace(/^\S+ /, ''), 'NO [UNAVAILABLE] Temporary server problem, try again later');

    const d = await decision((l) => l.method === 'apop');
    assert.equal(d.result, 'tempfail');
    assert.equal(d.reason, 'secret-undecryptable');
    assert.equal(d.key_id, 'k1');
    assert.match(String(d.problem), /key k1 is not configured/);
    assert.equal(d.server, undefined, 'no backend was given to nginx');
    // Give Dovecot a moment to log anything it might have seen.
    await new Promise((r) => setTimeout(r, 300));
    const seen = dovecot.log().slice(dovecotBefore);
    assert.ok(!/login|alice@example\.com/i.test(seen), `Dovecot saw a login attempt:\n${seen}`);
    assert.ok(!postern.output().includes(SECRET), 'the secret never appears in the log');

    const show = await runProcess(process.execPath, [posternBin, 'mailbox', 'show', 'alice@example.com', '-c', configFile], { env });
    assert.match(show.stdout, /^reversible credential: UNREADABLE \(key k1 is not configured/m);
  });
});
