/**
 * The dashboard and the login history in a real browser (Debian's Chromium through
 * playwright-core) against a real `postern serve`: a day of earlier logins is written into the
 * history through the store before it starts (so the chart has a shape), then real logins are
 * sent to its auth_http endpoint as nginx sends them: users logging in from their usual
 * addresses, a typo, and a client guessing passwords until Postern bans it. After the
 * recorder's flush, the operator signs in and lands on the dashboard, which must show the
 * numbers, the guesser as the top failing IP and its ban; from the keyboard they follow the
 * guesser's link into the history, then filter by network and result. Screenshots:
 * test-artifacts/console/dashboard.png and history.png (docs/console-dashboard.png is a copy
 * of the first).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { Browser } from 'playwright-core';
import { artifactPath, launchChromium } from '../harness/browser.js';
import { startPostern, waitForLog, type PosternHandle } from '../harness/postern.js';
import { hashPassword } from '../../src/passwords/index.js';
import type { LoginEvent } from '../../src/store/index.js';

const ADMIN = 'root';
const PASSWORD = 'correct horse battery';
const HOUR = 3_600_000;
const GUESSER = '203.0.113.66';

/** The people, their usual address and password. */
const USERS = [
  { mailbox: 'alice@example.com', ip: '192.0.2.10', pw: 'alice-pw' },
  { mailbox: 'bob@example.com', ip: '192.0.2.11', pw: 'bob-pw' },
  { mailbox: 'carol@example.com', ip: '2001:db8:1::20', pw: 'carol-pw' },
  { mailbox: 'dave@example.com', ip: '198.51.100.7', pw: 'dave-pw' },
  { mailbox: 'erin@example.com', ip: '203.0.113.40', pw: 'erin-pw' },
  { mailbox: 'frank@example.com', ip: '192.0.2.12', pw: 'frank-pw' },
] as const;

/** A deterministic pseudo-random sequence (the same day every run). */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
}

/**
 * About a day of history, 1 to 22 hours old (inside the dashboard's 24 hours whenever the test
 * runs): office-hours logins, a few typos, an earlier guesser hitting common names and a slow
 * password sprayer, and some logins refused while banned.
 */
function earlierDay(now: number): LoginEvent[] {
  const rnd = random(7);
  const out: LoginEvent[] = [];
  const at = (hoursAgo: number) => new Date(now - hoursAgo * HOUR - Math.floor(rnd() * 55) * 60_000 - 60_000).toISOString();
  const base = { cache: null, appPassword: null } as const;
  for (let h = 1; h <= 21; h++) {
    const utc = new Date(now - h * HOUR).getUTCHours();
    const busy = Math.max(0, Math.sin((Math.PI * (utc - 6)) / 14));
    const logins = Math.round(4 + 38 * busy + rnd() * 6);
    for (let i = 0; i < logins; i++) {
      const u = USERS[Math.floor(rnd() * USERS.length)]!;
      const protocol = rnd() < 0.7 ? 'imap' : rnd() < 0.8 ? 'smtp' : 'pop3';
      out.push({ ...base, at: at(h), login: u.mailbox, mailbox: u.mailbox, clientIp: u.ip, protocol, method: 'plain', result: 'ok', reason: 'ok', cache: rnd() < 0.8 ? 'hit' : null });
    }
    if (rnd() < 0.5) {
      const u = USERS[Math.floor(rnd() * USERS.length)]!;
      out.push({ ...base, at: at(h), login: u.mailbox, mailbox: u.mailbox, clientIp: u.ip, protocol: 'imap', method: 'plain', result: 'fail', reason: 'bad-credentials' });
    }
  }
  const names = ['admin', 'info', 'test', 'sales', 'support', 'webmaster', 'postmaster', 'office', 'contact'];
  for (let i = 0; i < 18; i++) {
    out.push({ ...base, at: at(9 - i / 6), login: `${names[i % names.length]}@example.com`, mailbox: null, clientIp: '198.51.100.23', protocol: 'smtp', method: 'plain', result: 'fail', reason: 'unknown-user' });
  }
  for (let i = 0; i < 4; i++) out.push({ ...base, at: at(6), login: 'admin@example.com', mailbox: null, clientIp: '198.51.100.23', protocol: 'smtp', method: 'plain', result: 'tempfail', reason: 'banned' });
  for (let i = 0; i < 15; i++) out.push({ ...base, at: at(14 - i / 2), login: 'carol@example.com', mailbox: 'carol@example.com', clientIp: '192.0.2.200', protocol: 'imap', method: 'plain', result: 'fail', reason: 'bad-credentials' });
  return out;
}

let browser: Browser;
let postern: PosternHandle;
let seeded: LoginEvent[] = [];

before(async () => {
  browser = await launchChromium();
  postern = await startPostern({
    env: { POSTERN_DEFENCE_IP_LIMIT: '25' },
    setup: async (d) => {
      const dir = d;
      await dir.addDomain('example.com');
      await dir.addBackend({ name: 'imap1', host: '127.0.0.1', ports: { imap: 10143, pop3: 10110, smtp: 10587 } });
      await dir.setRoute('default', null, 'imap1');
      for (const u of USERS) await dir.addMailbox({ address: u.mailbox, passwordHash: `{PLAIN}${u.pw}` });
      await dir.addAdmin(ADMIN, await hashPassword(PASSWORD));
      seeded = earlierDay(Date.now());
      await dir.recordLogins(seeded);
      await dir.addBan({ kind: 'ip', subject: '192.0.2.200', reason: '15 failed logins', seconds: 2 * 3600 });
    },
  });
  await waitForLog(postern.logs, (x) => x.event === 'admin-listening', { diagnostics: postern.output });
});

after(async () => {
  await browser?.close();
  await postern?.stop();
});

/** One auth_http request as nginx sends it; the Auth-Status Postern answers. */
function authHttp(user: string, pass: string, clientIp: string, protocol = 'imap'): Promise<string> {
  const headers: Record<string, string> = {
    // nginx sends `plain` for both AUTH PLAIN and AUTH LOGIN.
    'Auth-Method': 'plain',
    'Auth-User': encodeURIComponent(user),
    'Auth-Pass': encodeURIComponent(pass),
    'Auth-Protocol': protocol,
    'Auth-Login-Attempt': '1',
    'Client-IP': clientIp,
    'X-Postern-Secret': postern.secret,
  };
  const raw = `GET ${postern.config.listen.path} HTTP/1.0\r\nHost: localhost\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port: postern.port }, () => s.write(raw));
    let reply = '';
    s.on('data', (c: Buffer) => (reply += c.toString('utf8')));
    s.on('end', () => resolve(/^Auth-Status: (.*)$/m.exec(reply)?.[1] ?? reply));
    s.on('error', reject);
  });
}

test('the dashboard shows the logins, the top failing IP and its ban; the history filters by IP and result', async () => {
  const started = Date.now();
  // Real logins: people at their usual addresses, one typo, and a guesser until it is banned.
  const tally = { ok: 0, fail: 0, tempfail: 0, guesserFails: 0 };
  for (const [i, u] of USERS.entries()) {
    for (let n = 0; n < (i < 2 ? 3 : 1); n++) {
      const status = await authHttp(u.mailbox, u.pw, u.ip, i === 2 ? 'smtp' : 'imap');
      assert.equal(status, 'OK', `${u.mailbox}: ${JSON.stringify(postern.decisions().at(-1))}`);
      tally.ok++;
    }
  }
  assert.match(await authHttp('erin@example.com', 'erin-pw-typo', '203.0.113.40'), /Invalid login or password/);
  tally.fail++;
  const unknown = ['admin', 'info', 'test', 'sales', 'root', 'webmaster'].map((n) => `${n}@example.com`);
  for (let i = 0; ; i++) {
    const user = i < unknown.length ? unknown[i]! : USERS[i % USERS.length]!.mailbox;
    const status = await authHttp(user, `guess-${i}`, GUESSER);
    if (/Too many failed logins/.test(status)) break;
    assert.match(status, /Invalid login or password/);
    tally.fail++;
    tally.guesserFails++;
    assert.ok(i < 40, 'the guesser is banned within 40 tries');
  }
  tally.tempfail++;
  for (let i = 0; i < 2; i++) {
    assert.match(await authHttp('alice@example.com', `again-${i}`, GUESSER), /Too many failed logins/);
    tally.tempfail++;
  }
  assert.equal(tally.guesserFails, 25, 'banned at defence.ip_limit');

  // The recorder writes within a second or so.
  const d = await postern.directory();
  const since = new Date(started - 1000).toISOString();
  try {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const n = (await d.listLogins({ limit: 500, since })).entries.length;
      if (n === tally.ok + tally.fail + tally.tempfail) break;
      assert.ok(Date.now() < deadline, `the history holds ${n} of the ${tally.ok + tally.fail + tally.tempfail} logins after 10 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await d.close();
  }
  const count = (result: string) => seeded.filter((e) => e.result === result).length;
  const ok = count('ok') + tally.ok;
  const fail = count('fail') + tally.fail;
  const total = ok + fail + count('tempfail') + tally.tempfail;

  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  try {
    const page = await context.newPage();
    const base = `http://127.0.0.1:${postern.adminPort}/`;
    await page.goto(base);
    await page.getByLabel('Admin name').fill(ADMIN);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}dashboard`);

    const stat = (id: string) => page.locator(`[data-stat="${id}"] .stat-value`).textContent();
    assert.equal(await stat('ok'), ok.toLocaleString('en-US'));
    assert.equal(await stat('fail'), fail.toLocaleString('en-US'));
    assert.equal(await stat('rate'), `${((fail / total) * 100).toFixed(fail / total < 0.1 ? 1 : 0)}%`);
    assert.equal(await stat('bans'), '2');
    const topIp = page.locator('[data-role="top-ips"] tbody tr').first();
    assert.equal(await topIp.locator('th').textContent(), GUESSER);
    assert.equal(await topIp.locator('td.num').textContent(), '25');
    await page.locator('[data-role="bans"]').getByText(GUESSER, { exact: true }).waitFor();
    assert.match((await page.getByRole('img', { name: /Logins per hour/ }).getAttribute('aria-labelledby')) ?? '', /chart-desc/);
    assert.match((await page.locator('#chart-desc').textContent()) ?? '', new RegExp(`^${ok.toLocaleString('en-US')} successful logins, ${fail} failed`));
    await page.screenshot({ path: artifactPath('console', 'dashboard'), fullPage: true });

    // From the keyboard: the guesser's link opens the history filtered on it.
    await topIp.getByRole('link', { name: GUESSER }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.pathname === '/history' && u.searchParams.get('ip') === GUESSER && u.searchParams.get('result') === 'fail');
    const rows = page.locator('[data-role="history"] tbody tr');
    assert.equal(await rows.count(), 25);
    for (const text of await rows.allTextContents()) {
      assert.ok(text.includes(GUESSER) && text.includes('Failed'), text);
    }
    assert.equal(await page.getByLabel('Client IP or network').inputValue(), GUESSER, 'the form shows the filter');
    await page.screenshot({ path: artifactPath('console', 'history'), fullPage: true });

    // The form: the guesser's network, temporary failures (its tries while banned).
    await page.getByLabel('Client IP or network').fill('203.0.113.0/24');
    await page.getByLabel('Result').selectOption({ label: 'Temporary failure' });
    await page.getByLabel('Client IP or network').press('Enter');
    await page.waitForURL((u) => u.searchParams.get('ip') === '203.0.113.0/24' && u.searchParams.get('result') === 'tempfail');
    assert.equal(await rows.count(), 3);
    for (const text of await rows.allTextContents()) assert.ok(text.includes(GUESSER) && text.includes('banned'), text);

    // Successes from the office network: a full page, each from 192.0.2.x, and an Older page.
    await page.getByLabel('Client IP or network').fill('192.0.2.0/24');
    await page.getByLabel('Result').selectOption({ label: 'Success' });
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL((u) => u.searchParams.get('ip') === '192.0.2.0/24' && u.searchParams.get('result') === 'ok');
    assert.equal(await rows.count(), 50);
    for (const text of await rows.allTextContents()) assert.match(text, /192\.0\.2\.1[012][\s\S]*Success/);
    await page.getByRole('link', { name: 'Older' }).waitFor();
    const mistyped = await page.goto(`${base}history?ip=192.0.2.999`);
    assert.equal(mistyped?.status(), 400);
    await page.locator('[data-code="invalid-filter"]').waitFor();
  } finally {
    await context.close();
  }
});
