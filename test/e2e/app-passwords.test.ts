/**
 * App passwords end to end: Python's imaplib/poplib → Debian's nginx 1.22 → `postern serve` →
 * real Dovecot. Dovecot holds another password for alice than Postern does and trusts Postern
 * through a master login (`postern backend master set`), so the app password, which only
 * Postern knows, opens the mailbox only through Postern's answer. The app password is made with
 * the real CLI, scoped to IMAP: IMAP works, POP3 is refused, and after `postern app-password
 * revoke` IMAP is refused too. Then Chromium creates one in the console, sees it once, does not
 * see it after a reload, and that password works over IMAP. Screenshots go to
 * test-artifacts/app-passwords/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { hashPassword } from '../../src/passwords/index.js';
import { runImapClient, runPop3Client, startDovecot, startNginx, type DovecotHandle, type NginxHandle } from '../harness/index.js';
import { artifactPath, launchChromium } from '../harness/browser.js';
import { startPostern, waitForLog, type PosternHandle } from '../harness/postern.js';

const MASTER = 'Dovecot master pw';
const ALICE = 'alice at postern';
const ADMIN = 'root';
const ADMIN_PW = 'correct horse battery';
const SHAPE = /^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$/;

let dovecot: DovecotHandle;
let nginx: NginxHandle;
let postern: PosternHandle;
let browser: Browser | undefined;

async function cli(args: string[], input?: string): Promise<string> {
  const r = await postern.cli(args, input !== undefined ? { input } : {});
  assert.equal(r.code, 0, `postern ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** The last decision for alice from `since` on. */
function decision(protocol: string, since: number) {
  return postern.waitForDecision((l) => l.protocol === protocol && l.user === 'alice@example.com', { since });
}

before(async () => {
  dovecot = await startDovecot({
    label: 'dovecot-app-passwords',
    users: [{ user: 'alice@example.com', password: 'only Dovecot knows this' }],
    masterUsers: [{ user: 'postern', password: MASTER }],
  });
  dovecot.deliver('alice@example.com', 'From: t@example.com\r\nTo: alice@example.com\r\nSubject: opened with an app password\r\n\r\nbody\r\n');
  const aliceHash = await hashPassword(ALICE);
  const adminHash = await hashPassword(ADMIN_PW);
  postern = await startPostern({
    env: { POSTERN_AUTH_FAILURE_WAIT_SECONDS: '1', POSTERN_DEFENCE_PENALTY_MAX_SECONDS: '1' },
    setup: async (d) => {
      await d.addDomain('example.com');
      await d.addBackend({ name: 'dovecot', host: '127.0.0.1', ports: { imap: dovecot.ports.imap, pop3: dovecot.ports.pop3 } });
      await d.setRoute('default', null, 'dovecot');
      await d.addMailbox({ address: 'alice@example.com', passwordHash: aliceHash });
      await d.addAdmin(ADMIN, adminHash);
    },
  });
  await cli(['backend', 'master', 'set', 'dovecot', '--user', 'postern', '--stdin'], `${MASTER}\n`);
  nginx = await startNginx({
    authHttp: postern.authUrl,
    authHttpHeaders: { 'X-Postern-Secret': postern.secret },
    authHttpTimeout: '10s',
    listeners: [
      { protocol: 'imap', name: 'imap', auth: ['plain', 'login'] },
      { protocol: 'pop3', name: 'pop3', auth: ['plain'] },
    ],
  });
});

after(async () => {
  await browser?.close();
  await Promise.allSettled([nginx?.stop(), postern?.stop()]);
  await Promise.allSettled([dovecot?.stop()]);
});

describe('an app password made with the CLI, scoped to IMAP', () => {
  let appPassword = '';
  let id = 0;

  test('postern app-password add prints it once', async () => {
    const r = await postern.cli(['app-password', 'add', 'alice@example.com', '--label', 'mail app', '--protocols', 'imap']);
    assert.equal(r.code, 0, r.stderr);
    appPassword = r.stdout.trim();
    assert.match(appPassword, SHAPE);
    assert.match(r.stderr, /created app password (\d+) for alice@example\.com \(label "mail app"; imap from anywhere; expires never\)/);
    id = Number(/created app password (\d+)/.exec(r.stderr)?.[1]);
    assert.ok(!(await cli(['app-password', 'list'])).includes(appPassword));
  });

  test('IMAP through nginx with it: the mailbox opens (through the master login), and the log names the label', async () => {
    const since = postern.logs.length;
    const res = await runImapClient({ port: nginx.ports.imap!, user: 'alice@example.com', password: appPassword, fetch: true });
    assert.ok(res.ok, JSON.stringify(res.transcript));
    assert.deepEqual(res.messages?.map((m) => m.subject), ['opened with an app password']);
    const d = await decision('imap', since);
    assert.equal(d.result, 'ok');
    assert.equal(d.app_password, 'mail app');
    assert.equal(d.backend, 'dovecot');
    assert.ok(!postern.output().includes(appPassword), 'never logged');
    // Last used is written after the reply, off the reply path.
    let lastUsed: string | null = null;
    for (let i = 0; i < 50 && lastUsed === null; i++) {
      const rows = JSON.parse(await cli(['app-password', 'list', 'alice@example.com', '--json'])) as Array<{ id: number; lastUsedAt: string | null }>;
      lastUsed = rows.find((r) => r.id === id)?.lastUsedAt ?? null;
      if (lastUsed === null) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(lastUsed, 'last used recorded');
  });

  test('POP3 with it is refused as a wrong password would be; the log says why', async () => {
    const since = postern.logs.length;
    const res = await runPop3Client({ port: nginx.ports.pop3!, user: 'alice@example.com', password: appPassword, stat: true });
    assert.equal(res.ok, false);
    assert.match(res.login?.reply ?? '', /^-ERR \[AUTH\] Invalid login or password/);
    const d = await decision('pop3', since);
    assert.equal(d.result, 'fail');
    assert.equal(d.reason, 'app-password-out-of-scope');
    assert.equal(d.app_password, 'mail app');
    // alice's own password still works over POP3: only the app password is limited.
    const own = await runPop3Client({ port: nginx.ports.pop3!, user: 'alice@example.com', password: ALICE, stat: true });
    assert.ok(own.ok, JSON.stringify(own.transcript));
  });

  test('after postern app-password revoke, IMAP with it is refused', async () => {
    assert.match(await cli(['app-password', 'revoke', String(id)]), /^revoked app password \d+ of alice@example\.com \(label "mail app"\)/);
    const since = postern.logs.length;
    const res = await runImapClient({ port: nginx.ports.imap!, user: 'alice@example.com', password: appPassword, select: 'INBOX' });
    assert.equal(res.ok, false);
    assert.match(res.login?.tagged ?? '', /NO \[AUTHENTICATIONFAILED\] Invalid login or password/);
    const d = await decision('imap', since);
    assert.equal(d.reason, 'app-password-revoked');
  });
});

describe('an app password made in the console (Chromium)', () => {
  test('is shown once, not after a reload, and opens the mailbox over IMAP', async () => {
    browser = await launchChromium();
    await waitForLog(postern.logs, (x) => x.event === 'admin-listening', { diagnostics: postern.output });
    const base = `http://127.0.0.1:${postern.adminPort}/`;
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${base}mailboxes`);
      await page.getByLabel('Admin name').fill(ADMIN);
      await page.getByLabel('Password').fill(ADMIN_PW);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${base}mailboxes`);
      await page.getByRole('link', { name: 'App passwords of alice@example.com' }).click();
      await page.waitForURL(`${base}mailboxes/alice%40example.com/app-passwords`);
      await page.getByLabel('Label').fill("alice's tablet");
      await page.getByLabel('SMTP (submission)').uncheck();
      await page.getByLabel('POP3').uncheck();
      await page.getByLabel('Expires (optional)').fill('30d');
      await page.getByRole('button', { name: 'Create app password' }).click();
      await page.waitForURL((u) => u.searchParams.has('created'));
      const shown = ((await page.locator('[data-role="new-app-password"]').textContent()) ?? '').trim();
      assert.match(shown, SHAPE);
      await assert.doesNotReject(page.getByText('you will not see it again').waitFor());
      await page.screenshot({ path: artifactPath('app-passwords', 'created-once'), fullPage: true });
      const row = page.locator('tr', { hasText: "alice's tablet" });
      assert.match((await row.textContent()) ?? '', /imap from anywhere/);

      await page.reload();
      assert.equal(await page.locator('[data-role="new-app-password"]').count(), 0);
      assert.ok(!(await page.content()).includes(shown), 'not on the page after a reload');
      await assert.doesNotReject(page.getByText('has already been shown and cannot be shown again').waitFor());
      await page.screenshot({ path: artifactPath('app-passwords', 'after-reload'), fullPage: true });

      const since = postern.logs.length;
      const res = await runImapClient({ port: nginx.ports.imap!, user: 'alice@example.com', password: shown, select: 'INBOX' });
      assert.ok(res.ok, JSON.stringify(res.transcript));
      assert.equal((await decision('imap', since)).app_password, "alice's tablet");
      assert.ok(postern.logs.some((l) => l.event === 'admin-app-password-created' && l.label === "alice's tablet" && l.via === 'form'));
    } finally {
      await context.close();
    }
  });
});
