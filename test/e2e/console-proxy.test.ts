/**
 * The admin console in a real browser (Debian's Chromium through playwright-core) behind a real
 * nginx HTTP reverse proxy, in the layouts that broke other consoles (issue 5, item 8):
 *   (a) the console at a host's root, proxied to Postern's own /admin/ (mox #151);
 *   (b) under /gw/ with the prefix kept; (c) under /gw/ with the prefix stripped;
 *   (d) two proxy hops, the one in front of Postern alternating its source address between
 *       127.0.0.2 and 127.0.0.3 within one session, with session_binding = "exact" (SFTPGo #1691).
 * Each signs in with the password, enrols TOTP through the console's pages (reading the key off
 * the enrolment page as a person types it into an app), signs out, signs in again with the
 * password and a TOTP code, disables a mailbox through the console UI and signs out; layout (c)
 * also lifts a ban (made with the CLI) with the Bans page's button and reads the Keys page. Then: a forged
 * X-Forwarded-For from an untrusted address, a cross-site form post, and markup shown as text.
 * Screenshots of the main pages go to test-artifacts/console/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { freePorts } from '../harness/index.js';
import { artifactPath, launchChromium } from '../harness/browser.js';
import { proxyHeaders, startHttpProxy, type HttpProxyHandle, type ProxyServer } from '../harness/http-proxy.js';
import { startPostern, waitForLog, type PosternHandle } from '../harness/postern.js';
import { hashPassword } from '../../src/passwords/index.js';
import { totpCode, totpStep } from '../../src/admin/index.js';
import { Secret } from 'otpauth';

const ADMIN = 'root';
const PASSWORD = 'correct horse battery';
const ODD = "o'hara&co@example.com";

let browser: Browser;
const running: Array<{ stop(): Promise<unknown> }> = [];

before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  for (const r of running.reverse()) await r.stop();
});

interface Layout {
  name: string;
  /** admin.* settings as env overrides (besides the port). */
  env: (proxyPort: number) => Record<string, string>;
  servers: (proxyPort: number, posternPort: number, spare: number[]) => ProxyServer[];
  upstreams?: (spare: number[]) => Record<string, string[]>;
  /** Where the operator types the address. */
  entry: (proxyPort: number) => string;
  publicUrl: (proxyPort: number) => string;
  cookiePath: string;
}

async function startLayout(l: Layout): Promise<{ postern: PosternHandle; proxy: HttpProxyHandle; proxyPort: number; publicUrl: string }> {
  const [proxyPort, ...spare] = (await freePorts(3)) as [number, ...number[]];
  const postern = await startPostern({
    env: l.env(proxyPort),
    setup: async (d) => {
      await d.addDomain('example.com');
      for (const a of ['alice@example.com', 'bob@example.com', 'carol@example.com', ODD]) await d.addMailbox({ address: a, passwordHash: null });
    },
  });
  running.push(postern);
  const hash = await hashPassword(PASSWORD);
  const dir = await postern.directory();
  try {
    await dir.addAdmin(ADMIN, hash);
  } finally {
    await dir.close();
  }
  await waitForLog(postern.logs, (x) => x.event === 'admin-listening', { diagnostics: postern.output });
  const proxy = await startHttpProxy({ label: `proxy-${l.name}`, servers: l.servers(proxyPort, postern.adminPort, spare), ...(l.upstreams ? { upstreams: l.upstreams(spare) } : {}) });
  running.push(proxy);
  return { postern, proxy, proxyPort, publicUrl: l.publicUrl(proxyPort) };
}

/** A layout's authenticator: the seed enrolled through the browser and the last step used. */
interface Authenticator {
  seed: Buffer;
  lastStep: number;
}

/**
 * A code Postern will take: the oldest step inside its ±1 window that is newer than the last one
 * used (each step is accepted once), waiting for the clock when every step in the window is used.
 */
async function freshCode(auth: Authenticator): Promise<string> {
  for (;;) {
    const now = totpStep(new Date());
    const step = [now - 1, now, now + 1].find((x) => x > auth.lastStep);
    if (step !== undefined) {
      auth.lastStep = step;
      return totpCode(auth.seed, new Date(step * 30_000));
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Password, then (with an authenticator) the second step; screenshots of the code page when named. */
async function signIn(page: Page, publicUrl: string, auth: Authenticator | null, shot?: string): Promise<void> {
  await page.getByLabel('Admin name').fill(ADMIN);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  if (auth) {
    await page.waitForURL((u) => u.href.startsWith(`${publicUrl}login/2fa`));
    if (shot) await page.screenshot({ path: artifactPath('console', shot), fullPage: true });
    await page.getByLabel(/Code from your authenticator app/).fill(await freshCode(auth));
    await page.getByRole('button', { name: 'Verify' }).click();
  }
  // Signing in lands on the dashboard; the walk-through continues on the mailboxes.
  await page.waitForURL(`${publicUrl}dashboard`);
  await page.getByRole('link', { name: 'Mailboxes', exact: true }).click();
  await page.waitForURL(`${publicUrl}mailboxes`);
}

/** Enrols TOTP through the console's pages as a person would; answers the authenticator. */
async function enrolInBrowser(page: Page, publicUrl: string, shot: string): Promise<Authenticator> {
  await page.getByRole('link', { name: 'Two-factor' }).click();
  await page.waitForURL(`${publicUrl}2fa`);
  await page.getByRole('button', { name: 'Set up two-factor authentication' }).click();
  await page.waitForURL(`${publicUrl}2fa`);
  const key = (await page.locator('[data-role="totp-secret"]').textContent()) ?? '';
  assert.match(key, /^[A-Z2-7]{4}( [A-Z2-7]{4})+$/, 'the key is shown in base32 for hand entry');
  const uri = new URL((await page.locator('[data-role="totp-uri"]').getAttribute('href')) ?? '');
  assert.equal(uri.searchParams.get('secret'), key.replace(/ /g, ''));
  await page.screenshot({ path: artifactPath('console', `${shot}-2fa-enrol`), fullPage: true });
  const auth: Authenticator = { seed: Buffer.from(Secret.fromBase32(key.replace(/ /g, '')).buffer), lastStep: -1 };
  await page.getByLabel('Code from your authenticator app').fill(await freshCode(auth));
  await page.getByRole('button', { name: 'Turn on two-factor authentication' }).click();
  const codes = page.locator('[data-role="recovery-codes"] li');
  await codes.first().waitFor();
  assert.equal(await codes.count(), 10, 'ten recovery codes, shown once');
  await page.screenshot({ path: artifactPath('console', `${shot}-recovery-codes`), fullPage: true });
  await page.getByRole('link', { name: 'I have saved them' }).click();
  await page.locator('[data-role="two-factor-state"]').waitFor();
  await page.screenshot({ path: artifactPath('console', `${shot}-2fa-on`), fullPage: true });
  return auth;
}

async function mailboxEnabled(postern: PosternHandle, address: string): Promise<boolean | undefined> {
  const d = await postern.directory();
  try {
    return (await d.getMailbox(address))?.enabled;
  } finally {
    await d.close();
  }
}

/** The layout whose walk-through also lifts a ban on the Bans page and looks at the Keys page. */
const BANS_AND_KEYS_LAYOUT = 'c-subpath-stripped';

/** A ban made with the CLI, lifted with the page's button (from the keyboard); then the Keys page. */
async function bansAndKeys(page: Page, env: Awaited<ReturnType<typeof startLayout>>, name: string): Promise<void> {
  const { postern, publicUrl } = env;
  const reason = '<b>guessing</b> from e2e';
  const added = await postern.cli(['bans', 'add', '192.0.2.7', '--kind', 'ip', '--for', '2h', '--reason', reason]);
  assert.equal(added.code, 0, added.stderr);
  await page.getByRole('link', { name: 'Bans' }).click();
  await page.waitForURL(`${publicUrl}bans`);
  const row = page.locator('tr', { has: page.getByRole('rowheader', { name: '192.0.2.7', exact: true }) });
  await row.getByText(reason).waitFor();
  assert.equal(await page.locator('b', { hasText: 'guessing' }).count(), 0, 'the reason is text, not markup');
  await page.screenshot({ path: artifactPath('console', `${name}-bans`), fullPage: true });
  await row.getByRole('button', { name: 'Lift the ban on 192.0.2.7' }).focus();
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => u.href.startsWith(`${publicUrl}bans?lifted=`));
  await page.getByText('No one is banned.').waitFor();
  const listed = await postern.cli(['bans', 'list']);
  assert.equal(listed.stdout.trim(), 'no bans in force', 'the button lifted the ban in the directory');
  assert.ok(postern.logs.some((x) => x.event === 'admin-ban-lifted' && x.subject === '192.0.2.7'));

  await page.getByRole('link', { name: 'Keys' }).click();
  await page.waitForURL(`${publicUrl}keys`);
  const k1 = page.locator('tr[data-key="k1"]');
  assert.equal(await k1.locator('[data-role="state"]').textContent(), 'active');
  assert.equal(await k1.locator('[data-role="secrets"]').textContent(), '1', "the TOTP key enrolled above is k1's one secret");
  assert.equal(await k1.locator('[data-role="retirable"]').textContent(), 'no');
  await page.screenshot({ path: artifactPath('console', `${name}-keys`), fullPage: true });
}

/** Sign in, disable bob through the UI (the page's script calls the API), look at sessions and diagnostics, sign out. */
async function walkThrough(l: Layout, env: Awaited<ReturnType<typeof startLayout>>, context: BrowserContext): Promise<Authenticator> {
  const { postern, publicUrl } = env;
  const page = await context.newPage();
  await page.goto(l.entry(env.proxyPort));
  await page.waitForURL((u) => u.href.startsWith(`${publicUrl}login`));
  await page.screenshot({ path: artifactPath('console', `${l.name}-login`), fullPage: true });
  await signIn(page, publicUrl, null);
  const auth = await enrolInBrowser(page, publicUrl, l.name);
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForURL(`${publicUrl}login?reason=logged-out`);
  await page.getByLabel('Admin name').waitFor();
  await signIn(page, publicUrl, auth, `${l.name}-2fa-login`);
  assert.ok(postern.logs.some((x) => x.event === 'admin-login' && x.result === 'ok' && x.factor === 'totp'), 'signed in with TOTP');

  const cookie = (await context.cookies()).find((c) => c.name === 'postern_admin');
  assert.ok(cookie, 'the session cookie is set');
  assert.equal(cookie.path, l.cookiePath, 'its Path comes from the public URL');
  assert.ok(cookie.httpOnly && cookie.sameSite === 'Strict');

  const bob = page.locator('tr', { has: page.getByRole('rowheader', { name: 'bob@example.com', exact: true }) });
  await bob.getByRole('button', { name: 'Disable bob@example.com' }).click();
  await bob.getByText('Disabled', { exact: true }).waitFor();
  assert.equal(await mailboxEnabled(postern, 'bob@example.com'), false, 'the click disabled bob in the directory');
  await page.reload();
  await bob.getByRole('button', { name: 'Enable bob@example.com' }).waitFor();
  await page.screenshot({ path: artifactPath('console', `${l.name}-mailboxes`), fullPage: true });

  if (l.name === BANS_AND_KEYS_LAYOUT) await bansAndKeys(page, env, l.name);

  await page.getByRole('link', { name: 'Sessions' }).click();
  await page.waitForURL(`${publicUrl}sessions`);
  const mine = page.locator('tr', { hasText: 'This session' });
  assert.equal(await mine.locator('code').first().textContent(), '127.0.0.1', 'the session shows the resolved client IP');
  await page.screenshot({ path: artifactPath('console', `${l.name}-sessions`), fullPage: true });

  await page.getByRole('link', { name: 'Diagnostics' }).click();
  await page.waitForURL(`${publicUrl}diagnostics`);
  const clientRow = page.locator('tr', { has: page.getByRole('rowheader', { name: 'Client IP' }) });
  assert.equal(await clientRow.locator('code').textContent(), '127.0.0.1');
  await page.screenshot({ path: artifactPath('console', `${l.name}-diagnostics`), fullPage: true });

  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForURL(`${publicUrl}login?reason=logged-out`);
  await page.getByText('You are logged out.').waitFor();
  await page.goto(`${publicUrl}mailboxes`);
  await page.waitForURL((u) => u.href.startsWith(`${publicUrl}login`));
  await page.close();
  return auth;
}

const LAYOUTS: Layout[] = [
  {
    name: 'a-root-to-admin-path',
    env: (p) => ({ POSTERN_ADMIN_PATH: '/admin/', POSTERN_ADMIN_PUBLIC_URL: `http://127.0.0.1:${p}/` }),
    servers: (p, q) => [{ port: p, body: ['location / {', `  proxy_pass http://127.0.0.1:${q}/admin/;`, ...proxyHeaders().map((x) => `  ${x}`), '}'] }],
    entry: (p) => `http://127.0.0.1:${p}/`,
    publicUrl: (p) => `http://127.0.0.1:${p}/`,
    cookiePath: '/',
  },
  {
    name: 'b-subpath-kept',
    // The proxy sends everything, so a browser at / reaches Postern, which redirects it into /gw/.
    env: (p) => ({ POSTERN_ADMIN_PUBLIC_URL: `http://127.0.0.1:${p}/gw/`, POSTERN_ADMIN_PREFIX_MODE: 'require' }),
    servers: (p, q) => [{ port: p, body: ['location / {', `  proxy_pass http://127.0.0.1:${q};`, ...proxyHeaders().map((x) => `  ${x}`), '}'] }],
    entry: (p) => `http://127.0.0.1:${p}/`,
    publicUrl: (p) => `http://127.0.0.1:${p}/gw/`,
    cookiePath: '/gw',
  },
  {
    name: 'c-subpath-stripped',
    env: (p) => ({ POSTERN_ADMIN_PUBLIC_URL: `http://127.0.0.1:${p}/gw/` }),
    servers: (p, q) => [{ port: p, body: ['location /gw/ {', `  proxy_pass http://127.0.0.1:${q}/;`, ...proxyHeaders().map((x) => `  ${x}`), '}'] }],
    entry: (p) => `http://127.0.0.1:${p}/gw/`,
    publicUrl: (p) => `http://127.0.0.1:${p}/gw/`,
    cookiePath: '/gw',
  },
  {
    name: 'd-two-hops-alternating',
    env: (p) => ({
      POSTERN_ADMIN_PUBLIC_URL: `http://127.0.0.1:${p}/`,
      POSTERN_ADMIN_TRUSTED_PROXIES: '127.0.0.2,127.0.0.3,127.0.0.4',
      POSTERN_ADMIN_SESSION_BINDING: 'exact',
    }),
    // Front (hop 1, from 127.0.0.4) round-robins over two hop-2 servers, which reach Postern
    // from 127.0.0.2 and 127.0.0.3: consecutive requests arrive from alternating addresses.
    upstreams: (spare) => ({ hop2: spare.map((port) => `127.0.0.1:${port}`) }),
    servers: (p, q, spare) => [
      { port: p, body: ['location / {', '  proxy_pass http://hop2;', '  proxy_bind 127.0.0.4;', ...proxyHeaders().map((x) => `  ${x}`), '}'] },
      ...spare.map((port, i) => ({
        port,
        body: ['location / {', `  proxy_pass http://127.0.0.1:${q};`, `  proxy_bind 127.0.0.${2 + i};`, ...proxyHeaders().map((x) => `  ${x}`), '}'],
      })),
    ],
    entry: (p) => `http://127.0.0.1:${p}/`,
    publicUrl: (p) => `http://127.0.0.1:${p}/`,
    cookiePath: '/',
  },
];

const started = new Map<string, Awaited<ReturnType<typeof startLayout>> & { auth?: Authenticator }>();

for (const l of LAYOUTS) {
  test(`layout ${l.name}: enrol TOTP, sign in with it, disable a mailbox, sign out`, async () => {
    const env: Awaited<ReturnType<typeof startLayout>> & { auth?: Authenticator } = await startLayout(l);
    started.set(l.name, env);
    const context = await browser.newContext();
    try {
      env.auth = await walkThrough(l, env, context);
    } finally {
      await context.close();
    }
    if (l.name.startsWith('d-')) {
      const requests = env.postern.logs.filter((x) => x.event === 'admin-request');
      const peers = new Set(requests.map((x) => x.peer));
      assert.deepEqual([...peers].sort(), ['127.0.0.2', '127.0.0.3'], 'the hop in front of Postern used both source addresses');
      assert.deepEqual([...new Set(requests.map((x) => x.client_ip))], ['127.0.0.1'], 'every request resolved to the browser');
      assert.ok(!env.postern.logs.some((x) => x.event === 'admin-session-refused'), 'the exact binding never refused the session');
    }
  });
}

function directGet(port: number, path: string, headers: Record<string, string>, localAddress: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, localAddress }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('attacks', () => {
  test('a client on an untrusted address forging X-Forwarded-For is taken at its socket address', async () => {
    const env = started.get('d-two-hops-alternating');
    assert.ok(env, 'layout (d) ran');
    const created = await env.postern.cli(['admin', 'token', 'create', ADMIN, '--label', 'e2e']);
    assert.equal(created.code, 0, created.stderr);
    const token = created.stdout.trim();
    const r = await directGet(env.postern.adminPort, '/api/v1/diagnostics', { Authorization: `Bearer ${token}`, 'X-Forwarded-For': '203.0.113.7' }, '127.0.0.9');
    assert.equal(r.status, 200, r.body);
    const d = JSON.parse(r.body) as { resolved: { clientIp: string }; ignoredHeaders: string[]; findings: Array<{ code: string }> };
    assert.equal(d.resolved.clientIp, '127.0.0.9');
    assert.deepEqual(d.ignoredHeaders, ['x-forwarded-for']);
    assert.ok(d.findings.some((f) => f.code === 'forwarded-untrusted'));
    // The same forgery from the browser: the login page says the header was ignored, and why.
    const context = await browser.newContext({ extraHTTPHeaders: { 'X-Forwarded-For': '203.0.113.7' } });
    try {
      const page = await context.newPage();
      await page.goto(`http://127.0.0.1:${env.postern.adminPort}/login`);
      await page.locator('[data-code="forwarded-untrusted"]').waitFor();
      assert.match((await page.locator('[data-code="forwarded-untrusted"]').textContent()) ?? '', /127\.0\.0\.1 sent X-Forwarded-For but is not a trusted proxy/);
      await page.screenshot({ path: artifactPath('console', 'untrusted-forwarded-for'), fullPage: true });
    } finally {
      await context.close();
    }
  });

  test('a cross-site form post is refused with cross-site-request, and changes nothing', async () => {
    const env = started.get('b-subpath-kept');
    assert.ok(env, 'layout (b) ran');
    const context = await browser.newContext();
    let evil: Server | undefined;
    try {
      const page = await context.newPage();
      await page.goto(`${env.publicUrl}login`);
      await signIn(page, env.publicUrl, env.auth ?? null);
      // Another site on the same host (another port): SameSite=Strict still sends the cookie, so the Origin check must refuse.
      const action = `${env.publicUrl}mailboxes/${encodeURIComponent('carol@example.com')}/state`;
      evil = createServer((_req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/html' });
        res.end(`<form id="f" method="post" action="${action}"><input name="enabled" value="0"></form><script>document.getElementById('f').submit()</script>`);
      });
      await new Promise<void>((r) => evil!.listen(0, '127.0.0.1', r));
      const response = page.waitForResponse((r) => r.url() === action);
      await page.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`);
      const res = await response;
      assert.equal(res.status(), 403);
      await page.locator('[data-code="cross-site-request"]').waitFor();
      await page.screenshot({ path: artifactPath('console', 'cross-site-refused'), fullPage: true });
      assert.equal(await mailboxEnabled(env.postern, 'carol@example.com'), true, 'carol is still enabled');
    } finally {
      await context.close();
      await new Promise((r) => (evil ? evil.close(r) : r(undefined)));
    }
  });

  test('markup in a mailbox address, a browser name and a token label is shown as text', async () => {
    const env = started.get('c-subpath-stripped');
    assert.ok(env, 'layout (c) ran');
    const label = '<script>window.__pwned=1</script><b>label</b>';
    const created = await env.postern.cli(['admin', 'token', 'create', ADMIN, '--label', label]);
    assert.equal(created.code, 0, created.stderr);
    const hostile = await browser.newContext({ userAgent: '<img src=x onerror="window.__pwned=1"><b>agent</b>' });
    const context = await browser.newContext();
    try {
      const other = await hostile.newPage();
      await other.goto(`${env.publicUrl}login`);
      await signIn(other, env.publicUrl, env.auth ?? null);
      const page = await context.newPage();
      await page.goto(`${env.publicUrl}login`);
      await signIn(page, env.publicUrl, env.auth ?? null);
      const odd = page.locator('tr', { has: page.getByRole('rowheader', { name: ODD, exact: true }) });
      await odd.getByRole('button', { name: `Disable ${ODD}` }).click();
      await odd.getByText('Disabled', { exact: true }).waitFor();
      assert.equal(await mailboxEnabled(env.postern, ODD), false, "the quote and ampersand survive the attribute and the URL");
      await page.goto(`${env.publicUrl}sessions`);
      await page.getByText('<img src=x onerror="window.__pwned=1"><b>agent</b>').waitFor();
      assert.equal(await page.locator('b', { hasText: 'agent' }).count(), 0);
      await page.goto(`${env.publicUrl}tokens`);
      await page.getByText(label).waitFor();
      assert.equal(await page.locator('b', { hasText: 'agent' }).count(), 0);
      assert.equal(await page.locator('b', { hasText: 'label' }).count(), 0);
      assert.equal(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned), undefined);
      await page.screenshot({ path: artifactPath('console', 'markup-as-text'), fullPage: true });
    } finally {
      await hostile.close();
      await context.close();
    }
  });
});

after(() => {
  process.stdout.write(`console screenshots: ${artifactPath('console', 'x').replace(/x\.png$/, '')}\n`);
});
