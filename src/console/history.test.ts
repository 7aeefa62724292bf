/**
 * The dashboard and the login history in the console and the API, over real sockets with a
 * real SQLite directory: the console opens on the dashboard; its figures, chart (an image with
 * a summary, and the numbers as a table), top failing IPs and accounts (links into the history)
 * and bans match GET /api/v1/dashboard; the history page and GET /api/v1/history answer the
 * same filters with the same entries, page with a cursor, refuse a bad filter with
 * `invalid-filter` naming it, and show whatever a client typed as text.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newApiToken } from '../admin/index.js';
import type { LoginEvent } from '../store/index.js';
import { codeOf, startTestConsole, type Session, type TestConsole } from './test-console.js';

const HOSTILE = '<img src=x onerror="alert(1)">';
const MIN = 60_000;

describe('console dashboard and login history', () => {
  let c: TestConsole;
  let s: Session;
  let token: string;
  const now = Date.now();
  const ago = (minutes: number) => new Date(now - minutes * MIN).toISOString();
  const ev = (minutes: number, over: Partial<LoginEvent> = {}): LoginEvent => ({
    at: ago(minutes),
    login: 'alice@example.com',
    mailbox: 'alice@example.com',
    clientIp: '192.0.2.10',
    protocol: 'imap',
    method: 'plain',
    result: 'ok',
    reason: 'ok',
    cache: null,
    appPassword: null,
    ...over,
  });
  const page = (path: string) => c.http('GET', `/gw${path}`, { Cookie: s.cookie });
  const api = (path: string) => c.api('GET', path, s);
  const rows = (body: string) => [...body.matchAll(/<tr data-entry="(\d+)">/g)].map((m) => Number(m[1]));

  before(async () => {
    c = await startTestConsole();
    const events: LoginEvent[] = [];
    // Within the last 22 hours, so the window (24 whole hours) holds them whenever the test runs.
    for (let i = 0; i < 30; i++) events.push(ev(20 + i * 40, { cache: i % 2 ? 'hit' : null }));
    for (let i = 0; i < 12; i++) events.push(ev(30 + i * 7, { login: `guess${i}@example.com`, mailbox: null, clientIp: '203.0.113.66', result: 'fail', reason: 'unknown-user' }));
    for (let i = 0; i < 5; i++) events.push(ev(300 + i, { login: 'bob@example.com', mailbox: 'bob@example.com', clientIp: '198.51.100.23', protocol: 'smtp', method: 'plain', result: 'fail', reason: 'bad-credentials' }));
    events.push(ev(10, { login: HOSTILE, mailbox: null, clientIp: '2001:db8::66', result: 'fail', reason: 'unknown-user' }));
    events.push(ev(5, { clientIp: '203.0.113.66', result: 'tempfail', reason: 'banned' }));
    events.push(ev(60 * 30, { login: 'old@example.com', result: 'fail', reason: 'bad-credentials' })); // outside the 24 hours
    await c.t.dir.recordLogins(events);
    await c.t.dir.addBan({ kind: 'ip', subject: '203.0.113.66', reason: `12 failures ${HOSTILE}`, seconds: 3600 });
    s = await c.session();
    const t = newApiToken();
    await c.t.dir.createApiToken('root', 'dashboards', t.tokenHash);
    token = t.token;
  });
  after(() => c.close());

  it('the console opens on the dashboard, and signing in without a destination lands there', async () => {
    const root = await page('/');
    assert.equal(root.status, 302);
    assert.equal(root.headers.location, 'http://console.test/gw/dashboard');
    const r = await c.http('POST', '/gw/login', { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'http://console.test', Cookie: 'postern_admin_check=1' }, 'name=root&password=a+long+password');
    assert.equal(r.status, 303);
    assert.equal(r.headers.location, 'http://console.test/gw/dashboard');
  });

  it('shows the figures of the last 24 hours, the same as GET /api/v1/dashboard', async () => {
    const d = JSON.parse((await api('/dashboard')).body) as {
      totals: { ok: number; fail: number; tempfail: number; total: number; failureRate: number };
      hours: Array<{ hour: string; ok: number; fail: number; tempfail: number }>;
      topIps: Array<{ ip: string; failures: number }>;
      topAccounts: Array<{ account: string; failures: number }>;
      bans: Array<{ subject: string }>;
    };
    assert.deepEqual(d.totals, { ok: 30, fail: 18, tempfail: 1, total: 49, failureRate: 18 / 49 });
    assert.equal(d.hours.length, 24);
    assert.equal(d.hours.reduce((n, h) => n + h.ok + h.fail + h.tempfail, 0), 49);
    assert.deepEqual(d.topIps.map((x) => [x.ip, x.failures]), [['203.0.113.66', 12], ['198.51.100.23', 5], ['2001:db8::66', 1]]);
    assert.deepEqual(d.topAccounts[0], { account: 'bob@example.com', failures: 5, lastAt: ago(300) });
    assert.deepEqual(d.bans.map((b) => b.subject), ['203.0.113.66']);

    const p = await page('/dashboard');
    assert.equal(p.status, 200);
    assert.match(p.body, /<a href="http:\/\/console\.test\/gw\/dashboard" aria-current="page">Dashboard<\/a>/);
    const stat = (id: string) => new RegExp(`data-stat="${id}"><dt>[^<]*</dt><dd><span class="stat-value">([^<]*)<`).exec(p.body)?.[1];
    assert.deepEqual([stat('ok'), stat('fail'), stat('rate'), stat('bans')], ['30', '18', '37%', '1']);
    assert.match(p.body, /<svg class="chart"[^>]* role="img" aria-labelledby="chart-title chart-desc"/);
    assert.match(p.body, /<desc id="chart-desc">30 successful logins, 18 failed and 1 temporary failures in the last 24 hours\./);
    const table = /<details class="chart-data">([\s\S]*?)<\/details>/.exec(p.body)?.[1] ?? '';
    assert.equal([...table.matchAll(/<tr><th scope="row">/g)].length, 24, 'the numbers of all 24 hours');
    assert.match(p.body, /<a href="http:\/\/console\.test\/gw\/history\?ip=203\.0\.113\.66&amp;result=fail" class="code">203\.0\.113\.66<\/a><\/th><td class="num">12<\/td>/);
    assert.match(p.body, /history\?account=bob%40example\.com&amp;match=exact&amp;result=fail">bob@example\.com<\/a>/);
    assert.match(p.body, /<table class="data compact" data-role="bans">[\s\S]*<code>203\.0\.113\.66<\/code>/);
    assert.ok(!p.body.includes(HOSTILE), 'a typed login and a ban reason are never markup');
    assert.ok(p.body.includes('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;'));
  });

  it('the history page and the API answer the same filters with the same entries', async () => {
    const all = await page('/history');
    assert.equal(all.status, 200);
    assert.match(all.body, /aria-current="page">Login history<\/a>/);
    assert.equal(rows(all.body).length, 50, 'a page of 50, newest first');
    assert.ok(!all.body.includes(HOSTILE));
    assert.ok(all.body.includes('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;'));

    for (const q of ['ip=203.0.113.0%2F24&result=fail', 'account=bob%40example.com&match=exact', 'account=GUESS1&protocol=imap', 'protocol=smtp', 'ip=2001:db8::%2F32', `since=${encodeURIComponent(ago(100))}&until=${encodeURIComponent(ago(20))}&result=ok`]) {
      const html = await page(`/history?${q}`);
      const json = JSON.parse((await api(`/history?${q}`)).body) as { entries: Array<{ id: number; clientIp: string; result: string }> };
      assert.deepEqual(rows(html.body), json.entries.map((e) => e.id), q);
      assert.ok(json.entries.length > 0, q);
    }
    const byIp = JSON.parse((await api('/history?ip=203.0.113.0%2F24&result=fail')).body) as { entries: Array<{ clientIp: string; result: string; login: string }> };
    assert.equal(byIp.entries.length, 12);
    assert.ok(byIp.entries.every((e) => e.clientIp === '203.0.113.66' && e.result === 'fail'));
    const contains = JSON.parse((await api('/history?account=GUESS1')).body) as { entries: Array<{ login: string }> };
    assert.deepEqual(contains.entries.map((e) => e.login).sort(), ['guess10@example.com', 'guess11@example.com', 'guess1@example.com']);
    const filtered = await page('/history?ip=203.0.113.0%2F24&result=fail');
    assert.match(filtered.body, /<input id="f-ip" name="ip" type="text" value="203\.0\.113\.0\/24"/, 'the form keeps the filter');
    assert.match(filtered.body, /<option value="fail" selected>/);
  });

  it('pages with a cursor: "Older" on the page and `next` in the API list every entry once', async () => {
    const first = JSON.parse((await api('/history?limit=20')).body) as { entries: Array<{ id: number }>; next: string };
    assert.equal(first.entries.length, 20);
    const seen = first.entries.map((e) => e.id);
    let next: string | null = first.next;
    while (next) {
      const more = JSON.parse((await api(`/history?limit=20&before=${encodeURIComponent(next)}`)).body) as { entries: Array<{ id: number }>; next: string | null };
      seen.push(...more.entries.map((e) => e.id));
      next = more.next;
    }
    assert.equal(seen.length, 50);
    assert.equal(new Set(seen).size, 50);

    const p1 = await page('/history?protocol=imap&limit=20');
    const older = /<a class="button" href="([^"]+)" rel="next">Older<\/a>/.exec(p1.body)?.[1];
    assert.ok(older, 'an Older link');
    const p2 = await page(new URL(older.replace(/&amp;/g, '&')).pathname.slice(3) + new URL(older.replace(/&amp;/g, '&')).search);
    assert.equal(p2.status, 200);
    assert.match(p2.body, /Newest<\/a>/);
    assert.ok(rows(p2.body).length > 0);
    assert.ok(rows(p2.body).every((id) => !rows(p1.body).includes(id)), 'the older page shows other entries');
  });

  it('a filter that cannot be read is named, on the page (the form kept) and in the API (invalid-filter)', async () => {
    const p = await page('/history?ip=300.1.2.3&result=fail');
    assert.equal(p.status, 400);
    assert.match(p.body, /data-code="invalid-filter"/);
    assert.match(p.body, /<input id="f-ip" name="ip" type="text" value="300\.1\.2\.3"[^>]* aria-describedby="f-ip-error" aria-invalid="true">/);
    assert.match(p.body, /<span class="field-error" id="f-ip-error">must be an IP address or a CIDR network/);
    const r = await api('/history?since=2030-02-30&limit=9999');
    assert.equal(r.status, 400);
    assert.equal(codeOf(r), 'invalid-filter');
    assert.match(JSON.parse(r.body).error.message, /since: .*; limit: must be a whole number from 1 to 500/);
  });

  it('scripts read both with an API token; nobody reads them signed out', async () => {
    const d = await c.api('GET', '/dashboard', { token });
    assert.equal(d.status, 200);
    assert.equal((JSON.parse(d.body) as { totals: { ok: number } }).totals.ok, 30);
    assert.equal((await c.api('GET', '/history?result=tempfail', { token })).status, 200);
    assert.equal((await c.http('GET', '/gw/api/v1/history')).status, 401);
    const signedOut = await c.http('GET', '/gw/dashboard');
    assert.equal(signedOut.status, 302);
    assert.equal(signedOut.headers.location, 'http://console.test/gw/login?reason=sign-in&next=%2Fdashboard');
  });

  it('the OpenAPI document describes both, with their schemas', async () => {
    const doc = JSON.parse((await c.http('GET', '/gw/api/openapi.json')).body) as { paths: Record<string, { get: { parameters?: Array<{ name: string }> } }>; components: { schemas: Record<string, unknown> } };
    assert.deepEqual(doc.paths['/history']?.get.parameters?.map((p) => p.name), ['account', 'match', 'ip', 'protocol', 'result', 'since', 'until', 'before', 'limit']);
    assert.ok(doc.paths['/dashboard']);
    for (const id of ['LoginEntry', 'LoginHistoryPage', 'DashboardFigures']) assert.ok(doc.components.schemas[id], id);
  });
});
