/**
 * The FreeScout sequence (issue 4, item 8) as one test, with the real `postern` command, Debian's
 * nginx 1.22 and real Dovecot. FreeScout's failure: its APP_KEY changed, every stored mailbox
 * password silently decrypted to '', and mail stopped with 535 (anchors-admin-secrets.md §1.3).
 * Here the same mistake, step by step:
 *
 *   1. Secrets are written under vault key k1: a backend master password (Dovecot master user)
 *      with `backend master set`, alice's APOP credential with `mailbox secret set`, and a few
 *      thousand more mailbox credentials. Logins work (through the master login).
 *   2. The operator configures only a new key k2. `postern serve` refuses to start (exit 2),
 *      naming k1 and how many secrets need it.
 *   3. `serve --degraded`: the secrets show as UNREADABLE, logins get a temporary failure whose
 *      log line names k1, and nothing (no ciphertext, no empty password) reaches Dovecot.
 *   4. k1 is added back as decrypt-only: everything works again.
 *   5. `secrets reencrypt` is SIGKILLed halfway, then run again: nothing is lost, every secret
 *      decrypts to what was written, now under k2.
 *   6. `keys status` shows nothing left on k1. 7. k1 is retired; Postern starts and works.
 *
 * Dovecot's passdb holds another password for alice than Postern does, so a working IMAP login
 * proves the master password was decrypted and used.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { initConfig } from '../../src/config/init.js';
import { loadConfig } from '../../src/config/load.js';
import { SECRET_FIELDS, secretBinding, type Directory, type SecretField } from '../../src/directory/types.js';
import { hashPassword } from '../../src/passwords/index.js';
import { openDirectory } from '../../src/store/index.js';
import { decrypt, encrypt, generateKey, keyIdOf, loadKeyring, type Keyring } from '../../src/vault/index.js';
import {
  canConnect,
  freePort,
  makeTempDir,
  removeTempDir,
  runImapClient,
  runPop3Client,
  runProcess,
  startDovecot,
  startNginx,
  superviseChild,
  type DovecotHandle,
  type NginxHandle,
} from '../harness/index.js';
import { posternBin, spawnPostern, waitForLog, type PosternProcess } from '../harness/postern.js';

const MASTER = 'the Dovecot master pw';
const ALICE = 'alice at postern';
const ALICE_APOP = 'alice apop secret';
/** Enough mailbox credentials that re-encrypting them one by one takes long enough to interrupt. */
const BULK = 6000;
const TOTAL = BULK + 2;

let dovecot: DovecotHandle;
let nginx: NginxHandle;
let running: PosternProcess | undefined;
let folder: string;
let configFile: string;
let port: number;
let env: NodeJS.ProcessEnv;
/** Every stored secret as written: `<field>:<owner>` → plaintext. */
const written = new Map<string, string>();

function postern(args: string[], input?: string) {
  return runProcess(process.execPath, [posternBin, ...args, '-c', configFile], { env, timeoutMs: 60_000, ...(input !== undefined ? { input } : {}) });
}

function setKeys(lines: string[]): void {
  const text = readFileSync(configFile, 'utf8').replace(/^keys = \[[\s\S]*?\n\]/m, `keys = [\n${lines.map((l) => `  ${l},`).join('\n')}\n]`);
  writeFileSync(configFile, text);
}

async function withDirectory<T>(fn: (d: Directory) => Promise<T>): Promise<T> {
  const d = await openDirectory({ kind: 'sqlite', path: loadConfig(configFile, env).database.path });
  try {
    return await fn(d);
  } finally {
    await d.close();
  }
}

/** Every stored secret: which key it names, and its plaintext under `ring` (null: unreadable). */
async function storedSecrets(ring: Keyring): Promise<Map<string, { keyId: string | null; plaintext: string | null }>> {
  return withDirectory(async (d) => {
    const all = new Map<string, { keyId: string | null; plaintext: string | null }>();
    for (const field of Object.keys(SECRET_FIELDS) as SecretField[]) {
      for (const r of await d.listSecretsPage(field, 0, 100_000)) {
        const opened = decrypt(ring, 'credentials', r.ciphertext, secretBinding(field, r.id));
        all.set(`${field}:${r.owner}`, { keyId: keyIdOf(r.ciphertext), plaintext: opened.ok ? opened.plaintext.toString('utf8') : null });
      }
    }
    return all;
  });
}

/** Every secret written in step 1 is still there and decrypts under `ring` to what was written. */
async function assertNothingLost(ring: Keyring, why: string): Promise<Map<string, { keyId: string | null; plaintext: string | null }>> {
  const now = await storedSecrets(ring);
  assert.equal(now.size, written.size, `${why}: every secret is still stored`);
  for (const [key, plaintext] of written) assert.equal(now.get(key)?.plaintext, plaintext, `${why}: ${key} decrypts to what was written`);
  return now;
}

async function imapAlice() {
  return runImapClient({ port: nginx.ports.imap!, user: 'alice@example.com', password: ALICE, select: 'INBOX' });
}

async function apopAlice() {
  return runPop3Client({ port: nginx.ports.pop3!, user: 'alice@example.com', password: ALICE_APOP, mech: 'apop', stat: true });
}

/** Both logins work end to end, and Dovecot logged the master login for each. */
async function assertLoginsWork(when: string): Promise<void> {
  const since = dovecot.log().length;
  const imap = await imapAlice();
  assert.ok(imap.ok, `${when}: IMAP ${JSON.stringify(imap.transcript)}`);
  assert.equal(imap.select?.exists, 1, `${when}: SELECT INBOX`);
  const pop = await apopAlice();
  assert.ok(pop.ok, `${when}: APOP ${JSON.stringify(pop.transcript)}`);
  assert.equal(pop.stat?.count, 1, `${when}: STAT`);
  for (let i = 0; i < 100 && (dovecot.log().slice(since).match(/Master user logging in as alice@example\.com/g)?.length ?? 0) < 2; i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(dovecot.log().slice(since).match(/Master user logging in as alice@example\.com/g)?.length, 2, `${when}: Dovecot logged both master logins`);
}

async function serve(args: string[] = []): Promise<PosternProcess> {
  const p = await spawnPostern(['serve', ...args, '-c', configFile], { env, port });
  await waitForLog(p.logs, (l) => l.event === 'listening', { diagnostics: p.output });
  return p;
}

async function stopServe(): Promise<void> {
  assert.equal(await running?.stop(), 0, 'postern serve stops cleanly');
  running = undefined;
}

before(async () => {
  dovecot = await startDovecot({
    label: 'dovecot-freescout',
    users: [{ user: 'alice@example.com', password: 'only Dovecot knows this' }],
    masterUsers: [{ user: 'postern', password: MASTER }],
  });
  dovecot.deliver('alice@example.com', 'From: t@example.com\r\nTo: alice@example.com\r\nSubject: hello\r\n\r\nbody\r\n');

  folder = makeTempDir('postern-freescout');
  port = await freePort();
  configFile = join(folder, 'postern.toml');
  initConfig(configFile, { port });
  env = { ...process.env, POSTERN_LOG_LEVEL: 'info' };
  const cfg = loadConfig(configFile, env);
  nginx = await startNginx({
    authHttp: `127.0.0.1:${port}/auth`,
    authHttpHeaders: { 'X-Postern-Secret': cfg.secret.toString('latin1') },
    authHttpTimeout: '10s',
    listeners: [
      { protocol: 'imap', name: 'imap', auth: ['plain', 'login'] },
      { protocol: 'pop3', name: 'pop3', auth: ['plain', 'apop'] },
    ],
  });
});

after(async () => {
  await Promise.allSettled([nginx?.stop(), running?.stop()]);
  await Promise.allSettled([dovecot?.stop()]);
  if (folder) removeTempDir(folder);
});

test('the FreeScout sequence: k1 replaced by k2, refusal, degraded mode, k1 back, interrupted re-encryption, k1 retired', async (t) => {
  // ---- 1. Secrets written under k1 (the key `postern init` made). ----
  const k1 = loadConfig(configFile, env).keyring!;
  assert.equal(k1.active.id, 'k1');
  await withDirectory(async (d) => {
    await d.addDomain('example.com');
    await d.addBackend({ name: 'dovecot', host: '127.0.0.1', ports: { imap: dovecot.ports.imap, pop3: dovecot.ports.pop3 } });
    await d.setRoute('default', null, 'dovecot');
    await d.addMailbox({ address: 'alice@example.com', passwordHash: await hashPassword(ALICE) });
    const bulk = Array.from({ length: BULK }, (_, i) => ({ address: `m${i}@example.com`, passwordHash: null }));
    assert.equal((await d.importMailboxes(bulk)).added, BULK);
    // Encrypted and bound exactly as `postern mailbox secret set` does it.
    for (const m of await d.listMailboxes({ domain: 'example.com' })) {
      if (m.address === 'alice@example.com') continue;
      const plaintext = `credential of ${m.address}`;
      await d.setReversibleSecret(m.address, encrypt(k1, 'credentials', Buffer.from(plaintext), secretBinding('mailbox-credential', m.id)));
      written.set(`mailbox-credential:${m.address}`, plaintext);
    }
  });
  for (const [args, input] of [
    [['backend', 'master', 'set', 'dovecot', '--user', 'postern', '--stdin'], `${MASTER}\n`],
    [['mailbox', 'secret', 'set', 'alice@example.com', '--stdin'], `${ALICE_APOP}\n`],
  ] as Array<[string[], string]>) {
    const r = await postern(args, input);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout, /vault key k1/);
  }
  written.set('backend-master:dovecot', MASTER);
  written.set('mailbox-credential:alice@example.com', ALICE_APOP);
  assert.equal(written.size, TOTAL);
  assert.match((await postern(['keys', 'status'])).stdout, new RegExp(`^k1\\s+active\\s+${TOTAL}\\s`, 'm'));
  running = await serve(); // records k1's canary
  await assertLoginsWork('with k1');
  await stopServe();

  // ---- 2. The operator configures only a new key k2: serve refuses, naming k1. ----
  const k2Text = generateKey({ existingIds: ['k1'] }).text;
  writeFileSync(join(folder, 'postern-data', 'keys', 'k2.key'), `${k2Text}\n`, { mode: 0o600 });
  setKeys(['{ id = "k2", state = "active", file = "postern-data/keys/k2.key" }']);
  const refused = await postern(['serve']);
  assert.equal(refused.code, 2, `stdout: ${refused.stdout}\nstderr: ${refused.stderr}`);
  assert.match(refused.stderr, new RegExp(`Postern will not start: ${TOTAL} secrets in the database`));
  assert.match(refused.stderr, new RegExp(`key "k1" is not configured; ${TOTAL} secrets need it`));
  assert.match(refused.stderr, /postern secrets reset --key k1/);
  assert.equal(await canConnect(port), false, 'nothing listens');

  // ---- 3. Degraded mode: unreadable shown, temporary failures naming k1, nothing reaches Dovecot. ----
  running = await serve(['--degraded']);
  assert.ok(running.logs.some((l) => l.event === 'vault-degraded' && /key "k1" is not configured/.test(String(l.msg))), 'degraded mode says why');
  const backendShow = await postern(['backend', 'show', 'dovecot']);
  assert.match(backendShow.stdout, /^master password: +UNREADABLE \(key k1 is not configured/m);
  assert.match((await postern(['backend', 'list'])).stdout, /^dovecot\s.*postern \(UNREADABLE, key k1\)$/m);
  assert.match((await postern(['mailbox', 'show', 'alice@example.com'])).stdout, /^reversible credential: UNREADABLE \(key k1 is not configured/m);
  assert.match((await postern(['keys', 'status'])).stdout, new RegExp(`^k1\\s+missing\\s+${TOTAL}\\s+missing\\s+NOT CONFIGURED`, 'm'));

  const dovecotBefore = dovecot.log().length;
  const logged = running.logs.length;
  const imap = await imapAlice();
  assert.equal(imap.login?.tagged?.replace(/^\S+ /, ''), 'NO [UNAVAILABLE] Temporary server problem, try again later');
  const pop = await apopAlice();
  assert.equal(pop.login?.reply, '-ERR [SYS/TEMP] Temporary server problem, try again later');
  for (const method of ['plain', 'apop']) {
    const d = await waitForLog(running.logs, (l) => l.event === 'auth' && l.method === method, { since: logged, diagnostics: running.output });
    assert.deepEqual([d.result, d.reason, d.key_id, d.server], ['tempfail', 'secret-undecryptable', 'k1', undefined], `${method}: ${JSON.stringify(d)}`);
  }
  await new Promise((r) => setTimeout(r, 300)); // anything Dovecot saw would be logged by now
  const seen = dovecot.log().slice(dovecotBefore);
  assert.ok(!/alice|login|auth/i.test(seen), `Dovecot saw a login attempt in degraded mode:\n${seen}`);
  assert.ok(!dovecot.log().includes('pv1.'), 'no ciphertext ever reached Dovecot');
  assert.ok(!running.output().includes(MASTER) && !running.output().includes(ALICE_APOP), 'no secret in the log');
  await stopServe();

  // ---- 4. k1 added back as decrypt-only beside k2: everything works. ----
  setKeys(['{ id = "k2", state = "active", file = "postern-data/keys/k2.key" }', '{ id = "k1", state = "decrypt-only", file = "postern-data/keys/k1.key" }']);
  running = await serve();
  assert.ok(!running.logs.some((l) => l.event === 'vault-degraded'), 'not degraded');
  await assertLoginsWork('with k1 back as decrypt-only');
  const both = loadConfig(configFile, env).keyring!;
  await assertNothingLost(both, 'before re-encryption');

  // ---- 5. Re-encryption, SIGKILLed halfway (Postern keeps serving meanwhile), then resumed. ----
  const child = superviseChild(
    spawn(process.execPath, [posternBin, 'secrets', 'reencrypt', '--batch', '5', '-c', configFile], { env, stdio: ['ignore', 'pipe', 'pipe'] }),
    { name: 'postern secrets reencrypt', stopSignals: [['SIGKILL', 5000]] },
  );
  // Killed once about half the secrets have moved (polled from the database, as another process sees them).
  let moved = 0;
  await withDirectory(async (d) => {
    for (let i = 0; i < 3000 && moved < TOTAL / 2; i++) {
      moved = (await d.secretsPerKeyId()).get('k2') ?? 0;
      if (moved < TOTAL / 2) await new Promise((r) => setTimeout(r, 5));
    }
  });
  await child.stop(); // SIGKILL, by its pid
  const killed = await child.exited;
  assert.equal(killed.signal, 'SIGKILL', `it was killed, not finished: ${child.output()}`);
  const half = await assertNothingLost(both, 'after the kill');
  const perKey = (m: typeof half) => [...m.values()].reduce((n, s) => n.set(s.keyId, (n.get(s.keyId) ?? 0) + 1), new Map<string | null, number>());
  const onKeys = perKey(half);
  t.diagnostic(`killed with ${onKeys.get('k2') ?? 0} of ${TOTAL} secrets moved to k2`);
  assert.ok((onKeys.get('k2') ?? 0) > 0 && (onKeys.get('k1') ?? 0) > 0, `halfway: some secrets on each key (${JSON.stringify([...onKeys])})`);
  assert.equal(half.get('backend-master:dovecot')?.keyId, 'k1', 'the backend master password was not reached yet');
  await assertLoginsWork('halfway through re-encryption');

  const resumed = await postern(['secrets', 'reencrypt', '--batch', '50']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, new RegExp(`^moved to key k2: ${onKeys.get('k1')}\\nalready on the active key: ${onKeys.get('k2')}\\nunreadable \\(left untouched\\): 0\\n`));
  const onlyK2 = loadKeyring([{ id: 'k2', state: 'active', file: join(folder, 'postern-data', 'keys', 'k2.key') }], {}, (f) => readFileSync(f));
  assert.ok(onlyK2.ok);
  const k2Alone = await assertNothingLost(onlyK2.keyring, 'after resuming, with k2 alone');
  for (const [key, s] of k2Alone) assert.equal(s.keyId, 'k2', `${key} is on k2`);
  await assertLoginsWork('after re-encryption');

  // ---- 6. keys status: nothing left on k1. ----
  const status = await postern(['keys', 'status']);
  assert.match(status.stdout, new RegExp(`^k2\\s+active\\s+${TOTAL}\\s+proven\\s+active`, 'm'));
  assert.match(status.stdout, /^k1\s+decrypt-only\s+0\s+proven\s+can be retired$/m);

  // ---- 7. k1 retired: Postern starts without it and everything works. ----
  const retire = await postern(['keys', 'retire', 'k1']);
  assert.equal(retire.code, 0, retire.stderr);
  assert.match(retire.stdout, /\{ id = "k1", state = "retired" \}/);
  await stopServe();
  setKeys(['{ id = "k2", state = "active", file = "postern-data/keys/k2.key" }', '{ id = "k1", state = "retired" }']);
  running = await serve();
  assert.ok(!running.logs.some((l) => l.event === 'vault-degraded'), 'not degraded');
  assert.match((await postern(['keys', 'status'])).stdout, /^k1\s+retired\s+0\s+retired\s+retired: nothing uses it$/m);
  await assertLoginsWork('with k1 retired');
  assert.ok(!dovecot.log().includes('pv1.'), 'no ciphertext ever reached Dovecot');
});
