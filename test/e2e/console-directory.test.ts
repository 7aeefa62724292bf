/**
 * Mailboxes and backends through the console in a real browser (Debian's Chromium through
 * playwright-core), checked against real logins: Python's imaplib → Debian's nginx 1.22 mail
 * proxy → `postern serve` (auth_http) → real Dovecot with a master passdb. Dovecot's own passdb
 * holds another password for dana than the one typed into the console, so her IMAP login can
 * only succeed through the master login that was also set in the console (sealed in the vault),
 * and with the password hashed by the console (argon2id with the configured parameters).
 *
 * The walk: sign in; add a backend and set its master login; route to it (CLI); add dana with a
 * password via the form, every field reached with Tab and the form sent with Enter; log in over
 * IMAP; untick IMAP on her page (Space, Enter): the login is refused; a backend still routed to
 * cannot be removed; delete her after the confirmation: the login is refused. Every input has a
 * label. Screenshots in test-artifacts/console/: mailbox.png and backends.png, and mailbox-new.png,
 * backend.png and mailboxes.png.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { hashPassword } from '../../src/passwords/index.js';
import { runImapClient, startDovecot, startNginx, type DovecotHandle, type NginxHandle } from '../harness/index.js';
import { artifactPath, launchChromium } from '../harness/browser.js';
import { startPostern, waitForLog, type PosternHandle } from '../harness/postern.js';

const ADMIN = 'root';
const ADMIN_PW = 'correct horse battery';
const MASTER = 'Dovecot master pw';
const DANA = 'dana@example.com';
const DANA_PW = 'typed into the console';

let browser: Browser;
let context: BrowserContext;
let page: Page;
let dovecot: DovecotHandle;
let nginx: NginxHandle;
let postern: PosternHandle;
let base: string;

before(async () => {
  dovecot = await startDovecot({ label: 'dovecot-console', users: [{ user: DANA, password: 'only Dovecot knows this' }], masterUsers: [{ user: 'postern', password: MASTER }] });
  dovecot.deliver(DANA, `From: t@example.com\r\nTo: ${DANA}\r\nSubject: for dana via the console\r\n\r\nbody\r\n`);
  postern = await startPostern({
    // Not the defaults, so the stored hash shows the console hashed with the configured parameters.
    env: { POSTERN_PASSWORDS_ARGON2_MEMORY_KIB: '8192', POSTERN_PASSWORDS_ARGON2_ITERATIONS: '3' },
    setup: async (d) => {
      await d.addDomain('example.com');
    },
  });
  const dir = await postern.directory();
  try {
    await dir.addAdmin(ADMIN, await hashPassword(ADMIN_PW));
  } finally {
    await dir.close();
  }
  await waitForLog(postern.logs, (x) => x.event === 'admin-listening', { diagnostics: postern.output });
  nginx = await startNginx({
    authHttp: postern.authUrl,
    authHttpHeaders: { 'X-Postern-Secret': postern.secret },
    authHttpTimeout: '10s',
    listeners: [{ protocol: 'imap', name: 'imap', auth: ['plain', 'login'] }],
  });
  base = `http://127.0.0.1:${postern.adminPort}/`;
  browser = await launchChromium();
  context = await browser.newContext();
  page = await context.newPage();
});

after(async () => {
  await context?.close();
  await browser?.close();
  await Promise.allSettled([nginx?.stop(), postern?.stop()]);
  await Promise.allSettled([dovecot?.stop()]);
});

async function mailbox(address: string) {
  const d = await postern.directory();
  try {
    return await d.getMailbox(address);
  } finally {
    await d.close();
  }
}

function imapLogin(password = DANA_PW) {
  return runImapClient({ port: nginx.ports.imap!, user: DANA, password, fetch: true });
}

/** A link of the main navigation. */
const nav = (name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });

/** Every visible form control of the page has a label (a screen reader can name it). */
async function assertLabelled(where: string): Promise<void> {
  const unlabelled = await page
    .locator('input:not([type=hidden]), select, textarea')
    .evaluateAll((els) => els.filter((e) => (e as unknown as { labels: { length: number } }).labels.length === 0).map((e) => (e as unknown as { outerHTML: string }).outerHTML));
  assert.deepEqual(unlabelled, [], `${where}: inputs without a label`);
}

/** Presses Tab until `id` has the focus, recording the ids on the way; fails after `max` presses. */
async function tabTo(id: string, max = 40): Promise<string[]> {
  const path: string[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = (globalThis as unknown as { document: { activeElement: { id: string; textContent: string | null } | null } }).document.activeElement;
      return el ? el.id || (el.textContent ?? '').trim() : '';
    });
    path.push(focused);
    if (focused === id) return path;
  }
  assert.fail(`Tab never reached #${id}: ${path.join(' → ')}`);
}

describe('mailboxes and backends in the console, checked with real IMAP logins', () => {
  test('sign in', async () => {
    await page.goto(base);
    await page.getByLabel('Admin name').fill(ADMIN);
    await page.getByLabel('Password').fill(ADMIN_PW);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.href.startsWith(base) && !u.pathname.startsWith('/login'));
  });

  test('add a backend (Dovecot) and set its master login; the password is never shown', async () => {
    await nav('Backends').click();
    await page.waitForURL(`${base}backends`);
    await page.getByRole('link', { name: 'Add backend' }).click();
    await assertLabelled('add backend');
    await page.getByLabel('Name').fill('dovecot');
    await page.getByLabel('Host').fill('127.0.0.1');
    await page.getByLabel('IMAP port').fill(String(dovecot.ports.imap));
    await page.getByLabel('IMAP port').press('Enter');
    await page.waitForURL(`${base}backends/dovecot?done=added`);
    await assertLabelled('backend page');

    await page.getByLabel('Master user').fill('postern');
    await page.getByLabel('Master password').fill(MASTER);
    await page.getByLabel('Master password').press('Enter');
    await page.waitForURL(`${base}backends/dovecot?done=master-set`);
    assert.equal(await page.locator('[data-role="master"] [data-role="master-password"]').textContent(), 'password set · key k1');
    await page.screenshot({ path: artifactPath('console', 'backend'), fullPage: true });
    assert.ok(!(await page.content()).includes(MASTER), 'the master password is not on the page');

    const routed = await postern.cli(['route', 'set', '--default', '--backend', 'dovecot']);
    assert.equal(routed.code, 0, routed.stderr);
    await nav('Backends').click();
    const row = page.locator('tr[data-backend="dovecot"]');
    assert.equal(await row.locator('[data-role="master-password"]').textContent(), 'password set · key k1');
    assert.equal(await row.locator('[data-role="routes"]').textContent(), '1');
    await page.screenshot({ path: artifactPath('console', 'backends'), fullPage: true });
  });

  test('add a mailbox with a password from the keyboard; its IMAP login through nginx works with that password', async () => {
    await nav('Mailboxes').click();
    await page.waitForURL(`${base}mailboxes`);
    await page.getByRole('link', { name: 'Add mailbox' }).click();
    await page.waitForURL(`${base}mailboxes/new`);
    await assertLabelled('add mailbox');
    await page.screenshot({ path: artifactPath('console', 'mailbox-new'), fullPage: true });
    // From the top of the page, every control is reached with Tab.
    await tabTo('address');
    await page.keyboard.type(DANA);
    await tabTo('password');
    await page.keyboard.type(DANA_PW);
    const path = await tabTo('Add mailbox');
    for (const id of ['new-imap', 'new-pop3', 'new-smtp', 'networks', 'enabled']) assert.ok(path.includes(id), `Tab reaches #${id}: ${path.join(' → ')}`);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${base}mailboxes/${encodeURIComponent(DANA)}?done=added`);
    await page.getByText('Mailbox added.').waitFor();
    assert.ok(!(await page.content()).includes(DANA_PW), 'the password is not echoed');

    const stored = await mailbox(DANA);
    assert.match(stored?.passwordHash ?? '', /^\{ARGON2ID\}\$argon2id\$v=19\$m=8192,t=3,p=1\$/, 'argon2id with the configured parameters');
    const ok = await imapLogin();
    assert.ok(ok.ok, JSON.stringify(ok.transcript));
    assert.deepEqual(ok.messages?.map((m) => m.subject), ['for dana via the console']);
    const d = await postern.waitForDecision((l) => l.user === DANA && l.result === 'ok');
    assert.equal(d.backend, 'dovecot');
    const wrong = await imapLogin('not her password');
    assert.equal(wrong.ok, false, 'a wrong password is still refused');
  });

  test('untick IMAP on her page with the keyboard: the IMAP login is refused', async () => {
    await assertLabelled('mailbox page');
    await page.getByLabel('IMAP', { exact: true }).focus();
    await page.keyboard.press('Space');
    assert.equal(await page.getByLabel('IMAP', { exact: true }).isChecked(), false);
    await tabTo('Save access');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${base}mailboxes/${encodeURIComponent(DANA)}?done=saved`);
    assert.equal(await page.locator('[data-role="protocols"]').textContent(), 'pop3, smtp');
    assert.deepEqual((await mailbox(DANA))?.protocols, ['pop3', 'smtp']);
    await page.screenshot({ path: artifactPath('console', 'mailbox'), fullPage: true });
    await nav('Mailboxes').click();
    await page.locator(`tr[data-address="${DANA}"]`).waitFor();
    await page.screenshot({ path: artifactPath('console', 'mailboxes'), fullPage: true });
    const since = postern.logs.length;
    const refused = await imapLogin();
    assert.equal(refused.ok, false);
    const d = await postern.waitForDecision((l) => l.user === DANA && l.result !== 'ok', { since });
    assert.equal(d.reason, 'protocol-denied');
  });

  test('the backend routes use cannot be removed: the page says why', async () => {
    await page.goto(`${base}backends/dovecot/delete`);
    await page.getByRole('button', { name: 'Remove dovecot' }).focus();
    await page.keyboard.press('Enter');
    await page.locator('[data-code="in-use"]').waitFor();
    assert.match((await page.locator('[data-code="in-use"]').textContent()) ?? '', /backend "dovecot" is still used by 1 route \(default\)/);
  });

  test('delete the mailbox after the confirmation: its login is refused', async () => {
    await page.goto(`${base}mailboxes/${encodeURIComponent(DANA)}`);
    await page.getByRole('link', { name: 'Delete mailbox…' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(`${base}mailboxes/${encodeURIComponent(DANA)}/delete`);
    await assertLabelled('delete confirmation');
    await page.getByRole('button', { name: `Delete ${DANA}` }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(`${base}mailboxes?deleted=${encodeURIComponent(DANA)}`);
    await page.getByText(`Deleted mailbox ${DANA}.`).waitFor();
    assert.equal(await mailbox(DANA), null);
    const since = postern.logs.length;
    assert.equal((await imapLogin()).ok, false);
    const d = await postern.waitForDecision((l) => l.user === DANA && l.result !== 'ok', { since });
    assert.equal(d.reason, 'unknown-user');
    assert.deepEqual(
      postern.logs.filter((l) => typeof l.event === 'string' && /^admin-(mailbox|backend)/.test(l.event)).map((l) => l.event),
      ['admin-backend-added', 'admin-backend-master-set', 'admin-mailbox-added', 'admin-mailbox-changed', 'admin-mailbox-removed'],
    );
    assert.ok(!postern.output().includes(DANA_PW) && !postern.output().includes(MASTER), 'no password in the log');
  });
});
