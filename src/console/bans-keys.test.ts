/**
 * The Bans and Keys pages and their API over real sockets with a real SQLite directory: bans
 * listed as text, lifted by the page's form and by DELETE /api/v1/bans/{subject} (both refused
 * without the Origin or the CSRF token), and the Keys page against a real keyring with the same
 * counts and verdicts as `postern keys status`, never key material.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { adminSettings, createLoginDefence } from '../admin/index.js';
import { configSchema } from '../config/schema.js';
import { createMemoryCounters } from '../defence/memory-counters.js';
import { reversibleSecretBinding } from '../directory/types.js';
import { createLogger } from '../log/logger.js';
import { dummyVerify, hashPassword, verifyPassword } from '../passwords/index.js';
import { openTempDirectory, type TempDirectory } from '../store/test-support.js';
import { encrypt, type Keyring } from '../vault/index.js';
import { keySpellings, testKeyring, type TestKeys } from '../vault/test-support.js';
import { createConsoleServer, type ConsoleServer } from './index.js';
import { consoleClient, type Res } from './test-support.js';

const CHEAP = { memoryKiB: 1024, iterations: 1, parallelism: 1 };
const PW = 'a long password';
const ORIGIN = 'http://console.test';
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded', Origin: ORIGIN };
const HOSTILE = '<img src=x onerror="alert(1)"><b>bad</b>';

describe('console bans and keys', () => {
  let t: TempDirectory;
  let server: ConsoleServer | undefined;
  let port = 0;
  const http = consoleClient(() => port);

  async function start(keyring: Keyring | null): Promise<void> {
    await server?.close();
    const settings = adminSettings(configSchema.parse({ admin: { public_url: 'http://console.test/gw/' } }).admin);
    server = createConsoleServer({
      settings,
      store: t.dir,
      defence: createLoginDefence(settings.login, createMemoryCounters({ maxKeys: 100, maxMembers: 100 })),
      passwords: { verify: (h, p) => verifyPassword(h, Buffer.from(p)), dummyVerify: (p) => dummyVerify(Buffer.from(p), CHEAP) },
      keyring,
      log: createLogger('silent'),
    });
    port = (await server.listen('127.0.0.1', 0)).port;
  }

  async function session(): Promise<{ cookie: string; csrf: string }> {
    const r = await http('POST', '/gw/login', { ...FORM, Cookie: 'postern_admin_check=1' }, new URLSearchParams({ name: 'root', password: PW }).toString());
    assert.equal(r.status, 303, r.body);
    const set = ([] as string[]).concat(r.headers['set-cookie'] ?? []).find((c) => c.startsWith('postern_admin='));
    const cookie = (set as string).split(';')[0] as string;
    const me = JSON.parse((await http('GET', '/gw/api/v1/session', { Cookie: cookie })).body) as { csrfToken: string };
    return { cookie, csrf: me.csrfToken };
  }

  const lift = (cookie: string, fields: Record<string, string>, headers: Record<string, string> = FORM): Promise<Res> =>
    http('POST', '/gw/bans/lift', { ...headers, Cookie: cookie }, new URLSearchParams(fields).toString());

  beforeEach(async () => {
    t = await openTempDirectory();
    await t.dir.addAdmin('root', await hashPassword(PW, CHEAP));
    await t.dir.addDomain('example.com');
    await start(null);
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await t.cleanup();
  });

  it('says no one is banned, then lists the bans in force with the reason as text', async () => {
    const { cookie } = await session();
    const empty = await http('GET', '/gw/bans', { Cookie: cookie });
    assert.equal(empty.status, 200);
    assert.match(empty.body, /No one is banned\./);
    assert.match(empty.body, /<a href="http:\/\/console\.test\/gw\/bans" aria-current="page">Bans<\/a>/);
    await t.dir.addBan({ kind: 'ip', subject: '192.0.2.7', reason: HOSTILE, seconds: 3600 });
    await t.dir.addBan({ kind: 'account', subject: 'bob@example.com', reason: 'guessing', seconds: 600 });
    const page = await http('GET', '/gw/bans', { Cookie: cookie });
    assert.doesNotMatch(page.body, /No one is banned/);
    assert.ok(!page.body.includes(HOSTILE), 'the reason is never markup');
    assert.ok(page.body.includes('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&lt;b&gt;bad&lt;/b&gt;'));
    assert.match(page.body, /aria-label="Lift the ban on 192\.0\.2\.7"/);
    const api = JSON.parse((await http('GET', '/gw/api/v1/bans', { Cookie: cookie })).body) as Array<{ kind: string; subject: string; reason: string }>;
    assert.deepEqual(api.map((b) => [b.kind, b.subject]).sort(), [['account', 'bob@example.com'], ['ip', '192.0.2.7']]);
    assert.equal(api.find((b) => b.kind === 'ip')?.reason, HOSTILE);
  });

  it('the Lift button lifts a ban; without the Origin or the CSRF token nothing is lifted', async () => {
    const { cookie, csrf } = await session();
    await t.dir.addBan({ kind: 'subnet', subject: '2001:db8::/48', reason: 'stuffing', seconds: 3600 });
    const noToken = await lift(cookie, { subject: '2001:db8::/48' });
    assert.equal(noToken.status, 403);
    assert.match(noToken.body, /data-code="csrf-token-mismatch"/);
    const crossSite = await lift(cookie, { csrf, subject: '2001:db8::/48' }, { ...FORM, Origin: 'http://evil.test' });
    assert.equal(crossSite.status, 403);
    assert.match(crossSite.body, /data-code="origin-mismatch"/);
    assert.equal((await t.dir.listBans()).length, 1, 'still banned');
    const ok = await lift(cookie, { csrf, subject: '2001:db8::/48' });
    assert.equal(ok.status, 303, ok.body);
    assert.equal(ok.headers.location, 'http://console.test/gw/bans?lifted=2001%3Adb8%3A%3A%2F48&n=1');
    assert.equal((await t.dir.listBans()).length, 0);
    const after = await http('GET', '/gw/bans?lifted=2001%3Adb8%3A%3A%2F48&n=1', { Cookie: cookie });
    assert.match(after.body, /Lifted 1 ban on 2001:db8::\/48\./);
    assert.match(after.body, /No one is banned\./);
    const again = await lift(cookie, { csrf, subject: '2001:db8::/48' });
    assert.equal(again.status, 404);
    assert.match(again.body, /data-code="ban-not-found"/);
  });

  it('DELETE /api/v1/bans/{subject} lifts with a cookie and the CSRF token, and is refused without them', async () => {
    const { cookie, csrf } = await session();
    await t.dir.addBan({ kind: 'account', subject: 'bob@example.com', reason: 'guessing', seconds: 600 });
    const del = (headers: Record<string, string>) => http('DELETE', '/gw/api/v1/bans/bob%40example.com', { Cookie: cookie, ...headers });
    assert.equal(JSON.parse((await del({ Origin: ORIGIN })).body).error.code, 'csrf-token-mismatch');
    assert.equal(JSON.parse((await del({ Origin: 'http://evil.test', 'X-CSRF-Token': csrf })).body).error.code, 'origin-mismatch');
    assert.equal((await t.dir.listBans()).length, 1, 'still banned');
    const ok = await del({ Origin: ORIGIN, 'X-CSRF-Token': csrf });
    assert.equal(ok.status, 200, ok.body);
    assert.deepEqual(JSON.parse(ok.body), { lifted: 1 });
    assert.equal((await t.dir.listBans()).length, 0);
    const none = await del({ Origin: ORIGIN, 'X-CSRF-Token': csrf });
    assert.equal(none.status, 404);
    assert.equal(JSON.parse(none.body).error.code, 'ban-not-found');
  });

  it('the Keys page says when the vault is off', async () => {
    const { cookie } = await session();
    const page = await http('GET', '/gw/keys', { Cookie: cookie });
    assert.equal(page.status, 200);
    assert.match(page.body, /data-role="vault-off"/);
    assert.deepEqual(JSON.parse((await http('GET', '/gw/api/v1/keys', { Cookie: cookie })).body), { vault: 'off', active: null, keys: [], missing: [] });
  });

  it('the Keys page shows secrets per key id and which keys can be retired, never key material', async () => {
    const keys: TestKeys = new Map();
    const old = testKeyring([['k1', 'active']], keys);
    const ring = testKeyring([['k2', 'active'], ['k1', 'decrypt-only'], ['k0', 'decrypt-only']], keys);
    for (const [address, r] of [['a@example.com', old], ['b@example.com', old], ['c@example.com', ring]] as const) {
      const m = await t.dir.addMailbox({ address, passwordHash: null });
      await t.dir.setReversibleSecret(address, encrypt(r, 'credentials', Buffer.from('pw'), reversibleSecretBinding(m.id)));
    }
    await start(ring);
    const { cookie } = await session();
    const page = await http('GET', '/gw/keys', { Cookie: cookie });
    assert.equal(page.status, 200);
    const row = (id: string) => {
      const m = new RegExp(`<tr data-key="${id}">([\\s\\S]*?)</tr>`).exec(page.body);
      assert.ok(m, `a row for ${id}`);
      const cell = (role: string) => new RegExp(`data-role="${role}">([^<]*)<`).exec(m[1] as string)?.[1];
      return { state: cell('state'), secrets: cell('secrets'), retirable: cell('retirable') };
    };
    assert.deepEqual(row('k2'), { state: 'active', secrets: '1', retirable: 'no' });
    assert.deepEqual(row('k1'), { state: 'decrypt-only', secrets: '2', retirable: 'no' });
    assert.deepEqual(row('k0'), { state: 'decrypt-only', secrets: '0', retirable: 'yes' });
    assert.doesNotMatch(page.body, /data-role="vault-off"/);
    const api = await http('GET', '/gw/api/v1/keys', { Cookie: cookie });
    const report = JSON.parse(api.body) as { vault: string; active: string; keys: Array<{ id: string; secrets: number; retirable: boolean }> };
    assert.equal(report.vault, 'on');
    assert.equal(report.active, 'k2');
    assert.deepEqual(report.keys.map((k) => [k.id, k.secrets, k.retirable]), [['k2', 1, false], ['k1', 2, false], ['k0', 0, true]]);
    for (const k of keySpellings(keys)) assert.ok(!page.body.includes(k) && !api.body.includes(k), 'no key material');
  });
});
