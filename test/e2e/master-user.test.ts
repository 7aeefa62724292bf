/**
 * Backend master logins end to end: Python's imaplib/poplib → Debian's nginx 1.22 → `postern
 * serve` → real Dovecot with a master passdb (`postern:<password>`, master = yes, separator `*`).
 * Dovecot's own passdb holds *other* passwords for alice and bob than Postern does, so a client
 * typing its Postern password can only get in through the master login Postern answers
 * (`Auth-User: alice@example.com*postern`, `Auth-Pass: <master password>`). The master login is
 * set with the real CLI (`postern backend master set --stdin`), encrypted under vault key k1.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { initConfig } from '../../src/config/init.js';
import { loadConfig } from '../../src/config/load.js';
import { hashPassword } from '../../src/passwords/index.js';
import { openDirectory } from '../../src/store/index.js';
import {
  freePort,
  makeTempDir,
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

const MASTER = 'Dovecot master pw';
const ALICE = 'alice at postern';
const BOB = 'bob at postern';
const ALICE_APOP = 'alice apop secret';

let dovecot: DovecotHandle;
let nginx: NginxHandle;
let postern: PosternProcess;
let folder: string;
let configFile: string;
let env: NodeJS.ProcessEnv;

function cli(args: string[], input?: string) {
  return runProcess(process.execPath, [posternBin, ...args, '-c', configFile], { env, ...(input !== undefined ? { input } : {}) });
}

function decision(match: (l: Record<string, unknown>) => boolean, since = 0) {
  return waitForLog(postern.logs, (l) => l.event === 'auth' && match(l), { since, diagnostics: postern.output });
}

/** Waits for Dovecot's log (written asynchronously) to contain `pattern` after `since`. */
async function dovecotLogs(pattern: RegExp, since: number): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const text = dovecot.log().slice(since);
    if (pattern.test(text)) return text;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`Dovecot never logged ${pattern}:\n${dovecot.log().slice(since)}`);
}

before(async () => {
  dovecot = await startDovecot({
    label: 'dovecot-master',
    users: [
      { user: 'alice@example.com', password: 'only Dovecot knows this' },
      { user: 'bob', password: 'nor this' },
    ],
    masterUsers: [{ user: 'postern', password: MASTER }],
  });
  dovecot.deliver('alice@example.com', 'From: t@example.com\r\nTo: alice@example.com\r\nSubject: for alice via the master login\r\n\r\nbody\r\n');
  dovecot.deliver('bob', 'From: t@example.com\r\nTo: bob@example.com\r\nSubject: for bob\r\n\r\nbody\r\n');

  folder = makeTempDir('postern-master');
  const port = await freePort();
  configFile = join(folder, 'postern.toml');
  initConfig(configFile, { port });
  env = { ...process.env, POSTERN_LOG_LEVEL: 'debug' };
  const cfg = loadConfig(configFile, env);
  const dir = await openDirectory({ kind: 'sqlite', path: cfg.database.path });
  try {
    await dir.addDomain('example.com');
    await dir.addBackend({ name: 'dovecot', host: '127.0.0.1', ports: { imap: dovecot.ports.imap, pop3: dovecot.ports.pop3 } });
    await dir.setRoute('default', null, 'dovecot');
    await dir.addMailbox({ address: 'alice@example.com', passwordHash: await hashPassword(ALICE) });
    await dir.addMailbox({ address: 'bob@example.com', passwordHash: await hashPassword(BOB) });
  } finally {
    await dir.close();
  }
  for (const [args, input] of [
    [['backend', 'master', 'set', 'dovecot', '--user', 'postern', '--stdin'], `${MASTER}\n`],
    [['mailbox', 'change', 'bob@example.com', '--backend-login', 'bob']],
    [['mailbox', 'secret', 'set', 'alice@example.com', '--stdin'], `${ALICE_APOP}\n`],
  ] as Array<[string[], string?]>) {
    const r = await cli(args, input);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  }

  postern = await spawnPostern(['serve', '-c', configFile], { env, port });
  nginx = await startNginx({
    authHttp: `127.0.0.1:${port}/auth`,
    authHttpHeaders: { 'X-Postern-Secret': cfg.secret.toString('latin1') },
    authHttpTimeout: '10s',
    listeners: [
      { protocol: 'imap', name: 'imap', auth: ['plain', 'login', 'cram-md5'] },
      { protocol: 'pop3', name: 'pop3', auth: ['plain', 'apop'] },
    ],
  });
});

after(async () => {
  await Promise.allSettled([nginx?.stop(), postern?.stop()]);
  await Promise.allSettled([dovecot?.stop()]);
  if (folder) removeTempDir(folder);
});

describe('logins through a backend master user', () => {
  test("Dovecot itself refuses alice's Postern password: only the master login can open her mailbox", async () => {
    const direct = await runImapClient({ port: dovecot.ports.imap, user: 'alice@example.com', password: ALICE });
    assert.equal(direct.ok, false);
    assert.match(direct.login?.tagged ?? '', /NO \[AUTHENTICATIONFAILED\]/);
  });

  test('backend show tells the master login is set under key k1, never the password', async () => {
    const show = await cli(['backend', 'show', 'dovecot']);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /^master user: +postern \(IMAP\/POP3 logins as "<backend login>\*postern"\)$/m);
    assert.match(show.stdout, /^master password: +set \(key k1, changed \d{4}-/m);
    assert.ok(!show.stdout.includes(MASTER));
  });

  test('IMAP LOGIN as alice with her own password: the session works, and Dovecot logged the master login', async () => {
    const since = dovecot.log().length;
    const res = await runImapClient({ port: nginx.ports.imap!, user: 'alice@example.com', password: ALICE, fetch: true });
    assert.ok(res.ok, JSON.stringify(res.transcript));
    assert.equal(res.select?.exists, 1);
    assert.deepEqual(res.messages?.map((m) => m.subject), ['for alice via the master login']);
    const log = await dovecotLogs(/imap-login: Info: Login: user=<alice@example\.com>/, since);
    assert.match(log, /auth: Info: Master user logging in as alice@example\.com/);
    const d = await decision((l) => l.protocol === 'imap' && l.user === 'alice@example.com' && l.result === 'ok');
    assert.equal(d.backend, 'dovecot');
  });

  test('POP3 USER/PASS as alice: STAT and RETR work through the master login', async () => {
    const since = dovecot.log().length;
    const res = await runPop3Client({ port: nginx.ports.pop3!, user: 'alice@example.com', password: ALICE, stat: true, retr: 1 });
    assert.ok(res.ok, JSON.stringify(res.transcript));
    assert.deepEqual(res.stat, { count: 1, size: res.stat?.size });
    assert.equal(res.retr?.subject, 'for alice via the master login');
    assert.match(await dovecotLogs(/pop3-login: Info: Login: user=<alice@example\.com>/, since), /Master user logging in as alice@example\.com/);
  });

  test('bob, whose backend login is "bob", is opened as bob*postern', async () => {
    const since = dovecot.log().length;
    const res = await runImapClient({ port: nginx.ports.imap!, user: 'bob@example.com', password: BOB, fetch: true });
    assert.ok(res.ok, JSON.stringify(res.transcript));
    assert.deepEqual(res.messages?.map((m) => m.subject), ['for bob']);
    assert.match(await dovecotLogs(/imap-login: Info: Login: user=<bob>/, since), /Master user logging in as bob\b/);
  });

  test("APOP and CRAM-MD5 are checked against alice's reversible credential, then log in with the master password", async () => {
    const since = dovecot.log().length;
    const apop = await runPop3Client({ port: nginx.ports.pop3!, user: 'alice@example.com', password: ALICE_APOP, mech: 'apop', stat: true });
    assert.ok(apop.ok, JSON.stringify(apop.transcript));
    assert.equal(apop.stat?.count, 1);
    const cram = await runImapClient({ port: nginx.ports.imap!, user: 'alice@example.com', password: ALICE_APOP, mech: 'cram-md5', select: 'INBOX' });
    assert.ok(cram.ok, JSON.stringify(cram.transcript));
    assert.equal(cram.select?.exists, 1);
    const log = await dovecotLogs(/imap-login: Info: Login: user=<alice@example\.com>/, since);
    assert.equal(log.match(/Master user logging in as alice@example\.com/g)?.length, 2);
  });

  test('with the master login cleared, the same client gets nowhere: Dovecot refuses her Postern password', async () => {
    const cleared = await cli(['backend', 'master', 'clear', 'dovecot']);
    assert.equal(cleared.code, 0, cleared.stderr);
    const since = dovecot.log().length;
    const logged = postern.logs.length;
    const res = await runImapClient({ port: nginx.ports.imap!, user: 'alice@example.com', password: ALICE, select: 'INBOX' });
    assert.equal(res.ok, false);
    // Postern still accepts her password; it is Dovecot that refuses it.
    assert.equal((await decision((l) => l.user === 'alice@example.com', logged)).result, 'ok');
    const log = await dovecotLogs(/alice@example\.com.*Password mismatch/, since);
    assert.doesNotMatch(log, /Master user logging in/);
    assert.doesNotMatch(log, /imap-login: Info: Login: user=<alice@example\.com>/);
  });
});
