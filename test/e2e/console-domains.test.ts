/**
 * The console's directory pages in a real browser (Debian's Chromium through playwright-core),
 * reaching `postern serve` directly: an admin adds a domain from the keyboard alone (Tab to the
 * field, type, Enter), a domain alias, an alias and a route to a backend made in the setup;
 * creates an API token on its page and uses it from a script (fetch) against the REST API; then
 * removes everything through the pages, sees removal of a domain in use refused with its
 * reason, and revokes the token, which the API then refuses. Each change is checked in the
 * directory itself. Screenshots: test-artifacts/console-domains/{domains,routes,tokens}.png.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { artifactPath, launchChromium } from '../harness/browser.js';
import { startPostern, waitForLog, type PosternHandle } from '../harness/postern.js';
import { hashPassword } from '../../src/passwords/index.js';

const ADMIN = 'root';
const PASSWORD = 'correct horse battery';

let browser: Browser;
let postern: PosternHandle;

before(async () => {
  postern = await startPostern({
    setup: async (d) => {
      await d.addDomain('example.com');
      await d.addMailbox({ address: 'alice@example.com', passwordHash: null });
      await d.addBackend({ name: 'imap1', host: '127.0.0.1', ports: { imap: 143 } });
      await d.addAdmin(ADMIN, await hashPassword(PASSWORD));
    },
  });
  await waitForLog(postern.logs, (x) => x.event === 'admin-listening', { diagnostics: postern.output });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await postern?.stop();
});

/** Reads the directory the running server writes to. */
async function inDirectory<T>(fn: (d: Awaited<ReturnType<PosternHandle['directory']>>) => Promise<T>): Promise<T> {
  const d = await postern.directory();
  try {
    return await fn(d);
  } finally {
    await d.close();
  }
}

/** Presses Tab until the element with `id` has the focus, as a keyboard user would; fails after `max` presses. */
async function tabTo(page: Page, id: string, max = 40): Promise<number> {
  for (let i = 1; i <= max; i++) {
    await page.keyboard.press('Tab');
    if ((await page.evaluate('document.activeElement && document.activeElement.id')) === id) return i;
  }
  return assert.fail(`Tab never reached #${id} in ${max} presses`);
}

const rowOf = (page: Page, header: string) => page.locator('tr', { has: page.getByRole('rowheader', { name: header, exact: true }) });

test('domains, domain aliases, aliases, routes and API tokens through the console, with a script using the token', async () => {
  const base = `http://127.0.0.1:${postern.adminPort}/`;
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await page.goto(base);
    await page.waitForURL((u) => u.href.startsWith(`${base}login`));
    await page.getByLabel('Admin name').fill(ADMIN);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => !u.href.startsWith(`${base}login`));

    // ---- domains: the add form from the keyboard alone ----
    await page.getByRole('link', { name: 'Domains', exact: true }).click();
    await page.waitForURL(`${base}domains`);
    const presses = await tabTo(page, 'domain-name');
    await page.keyboard.type('example.org');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${base}domains?added=example.org`);
    await page.getByText('Added domain example.org.').waitFor();
    assert.ok(presses > 1, 'the field was reached by tabbing through the page');
    assert.deepEqual(await inDirectory(async (d) => (await d.listDomains()).map((x) => x.name)), ['example.com', 'example.org']);

    await page.getByLabel('Alias name').fill('example.net');
    await page.getByLabel('Another name for').selectOption('example.org');
    await page.getByRole('button', { name: 'Add domain alias' }).click();
    await page.waitForURL((u) => u.href.startsWith(`${base}domains?alias-added=`));
    await rowOf(page, 'example.org').getByText('example.net', { exact: true }).waitFor();
    assert.equal(await inDirectory(async (d) => (await d.findDomain('example.net'))?.name), 'example.org');
    assert.equal(await rowOf(page, 'example.com').locator('[data-role="mailboxes"]').textContent(), '1');
    await page.screenshot({ path: artifactPath('console-domains', 'domains'), fullPage: true });

    // ---- aliases ----
    await page.getByRole('link', { name: 'Aliases', exact: true }).click();
    await page.waitForURL(`${base}aliases`);
    await page.getByLabel('Alias address').fill('info@example.com');
    await page.getByLabel('Mailbox', { exact: true }).fill('alice@example.com');
    await page.getByRole('button', { name: 'Add alias' }).click();
    await page.waitForURL((u) => u.href.startsWith(`${base}aliases?added=`));
    await rowOf(page, 'info@example.com').getByText('alice@example.com').waitFor();
    assert.equal(await inDirectory(async (d) => (await d.findLogin('info@example.com'))?.mailbox.address), 'alice@example.com');

    // ---- routes: a domain route to the backend made in the setup ----
    await page.getByRole('link', { name: 'Routes', exact: true }).click();
    await page.waitForURL(`${base}routes`);
    await page.getByText('A login goes to the backend of its mailbox\'s own route').waitFor();
    await page.getByLabel('Applies to').selectOption('domain');
    await page.getByLabel('Mailbox address or domain name').fill('example.com');
    await page.getByLabel('Backend').selectOption('imap1');
    await page.getByRole('button', { name: 'Set route' }).click();
    await page.waitForURL((u) => u.href.startsWith(`${base}routes?set=domain`));
    await rowOf(page, 'domain example.com').getByText('imap1').waitFor();
    const routed = await inDirectory(async (d) => (await d.routeFor((await d.getMailbox('alice@example.com'))!))?.name);
    assert.equal(routed, 'imap1', 'alice is now routed by her domain');
    await page.screenshot({ path: artifactPath('console-domains', 'routes'), fullPage: true });

    // ---- an API token, made in the page and used by a script ----
    await page.getByRole('link', { name: 'API tokens' }).click();
    await page.waitForURL(`${base}tokens`);
    await page.getByLabel('What will use it').fill('e2e script');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.getByText('you will not see it again').waitFor();
    const token = ((await page.locator('[data-role="new-token"]').textContent()) ?? '').trim();
    assert.match(token, /^postern_[A-Za-z0-9_-]{43}$/);
    const api = (method: string, path: string, body?: unknown) =>
      fetch(`${base}api/v1${path}`, { method, headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
    const domains = (await (await api('GET', '/domains')).json()) as Array<{ name: string; aliases: string[] }>;
    assert.deepEqual(domains.map((d) => [d.name, d.aliases]), [['example.com', []], ['example.org', ['example.net']]]);
    const made = await api('POST', '/aliases', { address: 'sales@example.com', mailbox: 'alice@example.com' });
    assert.equal(made.status, 201, await made.clone().text());
    await waitForLog(postern.logs, (x) => x.event === 'admin-alias-added' && x.alias === 'sales@example.com' && x.via === 'token', { diagnostics: postern.output });
    await page.getByRole('link', { name: 'I have stored it' }).click();
    await page.waitForURL(`${base}tokens`);
    const tokenRow = rowOf(page, 'e2e script');
    await tokenRow.getByText('Active').waitFor();
    assert.ok(!(await page.content()).includes(token), 'the list never shows the token again');
    await page.screenshot({ path: artifactPath('console-domains', 'tokens'), fullPage: true });

    // ---- remove everything through the pages ----
    await page.getByRole('link', { name: 'Aliases', exact: true }).click();
    await rowOf(page, 'sales@example.com').waitFor();
    for (const alias of ['sales@example.com', 'info@example.com']) {
      await page.getByRole('button', { name: `Remove the alias ${alias}` }).click();
      await page.getByText(`Removed the alias ${alias}.`).waitFor();
    }
    await page.getByText('No aliases yet.').waitFor();

    await page.getByRole('link', { name: 'Routes', exact: true }).click();
    await page.getByRole('link', { name: 'Remove the route of domain example.com' }).click();
    await page.getByRole('heading', { name: 'Remove the route of domain example.com?' }).waitFor();
    assert.equal((await inDirectory((d) => d.listRoutes())).length, 1, 'asking removes nothing');
    await page.getByRole('button', { name: 'Remove the route', exact: true }).click();
    await page.getByText('Removed the route of domain example.com.').waitFor();
    assert.deepEqual(await inDirectory((d) => d.listRoutes()), []);

    await page.getByRole('link', { name: 'Domains', exact: true }).click();
    await page.getByRole('button', { name: 'Remove the domain alias example.net' }).click();
    await page.getByText('Removed the domain alias example.net.').waitFor();
    await page.getByRole('button', { name: 'Remove the domain example.org' }).click();
    await page.getByText('Removed domain example.org.').waitFor();
    await page.getByRole('button', { name: 'Remove the domain example.com' }).click();
    const refusal = page.locator('[role="alert"][data-code="in-use"]');
    await refusal.getByText('still has 1 mailbox').waitFor();
    await refusal.getByText('How to fix:').waitFor();
    assert.deepEqual(await inDirectory(async (d) => (await d.listDomains()).map((x) => x.name)), ['example.com'], 'the domain in use stays');

    // ---- revoke the token: the script is refused from then on ----
    await page.getByRole('link', { name: 'API tokens' }).click();
    await page.getByRole('button', { name: /^Revoke the token e2e script/ }).click();
    await page.waitForURL((u) => u.href.startsWith(`${base}tokens?revoked=`));
    await rowOf(page, 'e2e script').getByText('Revoked').waitFor();
    const refused = await api('GET', '/domains');
    assert.equal(refused.status, 401);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'bad-token');

    // Postern writes its log asynchronously: wait for each audit line rather than race it.
    for (const event of ['admin-domain-added', 'admin-domain-alias-added', 'admin-alias-added', 'admin-route-set', 'admin-token-created', 'admin-alias-removed', 'admin-route-removed', 'admin-domain-alias-removed', 'admin-domain-removed', 'admin-token-revoked']) {
      await waitForLog(postern.logs, (x) => x.event === event && x.admin === ADMIN && x.via === 'form' && x.client_ip === '127.0.0.1', { diagnostics: () => `no ${event} line` });
    }
    assert.ok(!postern.output().includes(token), 'the token never reached the log');
  } finally {
    await context.close();
  }
});
