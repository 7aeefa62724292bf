/**
 * The app passwords page and API over real sockets with a real SQLite directory: create with the
 * page's form (the password shown on the next page once, never again on reload, never in a
 * redirect or a log line), errors shown with what was typed, revoke with the button, the same
 * through GET/POST/DELETE /api/v1/mailboxes/{address}/app-passwords, the Origin and CSRF checks,
 * and the OpenAPI document.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { adminSettings, createLoginDefence, newApiToken } from '../admin/index.js';
import { appPasswordHash } from '../app-passwords/index.js';
import { configSchema } from '../config/schema.js';
import { createMemoryCounters } from '../defence/memory-counters.js';
import { createLogger } from '../log/logger.js';
import { dummyVerify, hashPassword, verifyPassword } from '../passwords/index.js';
import { openTempDirectory, type TempDirectory } from '../store/test-support.js';
import { createConsoleServer, type ConsoleServer } from './index.js';
import { consoleClient, type Res } from './test-support.js';

const CHEAP = { memoryKiB: 1024, iterations: 1, parallelism: 1 };
const PW = 'a long password';
const ORIGIN = 'http://console.test';
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded', Origin: ORIGIN };
const HOSTILE = '<img src=x onerror="alert(1)">';
const SECRET_SHAPE = /[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}/;

describe('console app passwords', () => {
  let t: TempDirectory;
  let server: ConsoleServer;
  let port = 0;
  let logs: string[];
  const http = consoleClient(() => port);
  const page = '/gw/mailboxes/alice%40example.com/app-passwords';

  async function session(): Promise<{ cookie: string; csrf: string }> {
    const r = await http('POST', '/gw/login', { ...FORM, Cookie: 'postern_admin_check=1' }, new URLSearchParams({ name: 'root', password: PW }).toString());
    assert.equal(r.status, 303, r.body);
    const set = ([] as string[]).concat(r.headers['set-cookie'] ?? []).find((c) => c.startsWith('postern_admin='));
    const cookie = (set as string).split(';')[0] as string;
    const me = JSON.parse((await http('GET', '/gw/api/v1/session', { Cookie: cookie })).body) as { csrfToken: string };
    return { cookie, csrf: me.csrfToken };
  }

  const post = (cookie: string, path: string, fields: Array<[string, string]>, headers: Record<string, string> = FORM): Promise<Res> =>
    http('POST', path, { ...headers, Cookie: cookie }, new URLSearchParams(fields).toString());

  beforeEach(async () => {
    t = await openTempDirectory();
    await t.dir.addAdmin('root', await hashPassword(PW, CHEAP));
    await t.dir.addDomain('example.com');
    await t.dir.addMailbox({ address: 'alice@example.com', passwordHash: null, protocols: ['imap', 'smtp'] });
    await t.dir.addMailbox({ address: 'bob@example.com', passwordHash: null });
    await t.dir.addAlias('info@example.com', 'alice@example.com');
    logs = [];
    const sink = new Writable({ write: (chunk, _e, done) => (logs.push(chunk.toString()), done()) });
    const settings = adminSettings(configSchema.parse({ admin: { public_url: 'http://console.test/gw/' } }).admin);
    server = createConsoleServer({
      settings,
      store: t.dir,
      defence: createLoginDefence(settings.login, createMemoryCounters({ maxKeys: 100, maxMembers: 100 })),
      passwords: { verify: (h, p) => verifyPassword(h, Buffer.from(p)), dummyVerify: (p) => dummyVerify(Buffer.from(p), CHEAP) },
      keyring: null,
      log: createLogger('info', sink),
    });
    port = (await server.listen('127.0.0.1', 0)).port;
  });
  afterEach(async () => {
    await server.close();
    await t.cleanup();
  });

  it('creates with the form: 303 without the password, shown once on the next page, gone on reload, and it opens the mailbox', async () => {
    const { cookie, csrf } = await session();
    const empty = await http('GET', page, { Cookie: cookie });
    assert.equal(empty.status, 200);
    assert.match(empty.body, /This mailbox has no app passwords\./);
    assert.match(empty.body, /<input type="checkbox" name="protocol" value="imap" checked> IMAP/);
    assert.match(empty.body, /Not offered: pop3 \(not enabled for this mailbox\)/);
    assert.match(empty.body, /<a href="http:\/\/console\.test\/gw\/mailboxes" aria-current="page">Mailboxes<\/a>/);
    const made = await post(cookie, page, [['csrf', csrf], ['label', "alice's phone"], ['protocol', 'imap'], ['networks', '192.0.2.0/24, 2001:db8::/32'], ['expires', '90d']]);
    assert.equal(made.status, 303, made.body);
    const location = made.headers.location as string;
    assert.match(location, /^http:\/\/console\.test\/gw\/mailboxes\/alice%40example\.com\/app-passwords\?created=[A-Za-z0-9_-]{22}$/);
    assert.doesNotMatch(location + made.body, SECRET_SHAPE, 'never in the redirect');
    const path = location.replace('http://console.test', '');
    const shown = await http('GET', path, { Cookie: cookie });
    assert.equal(shown.status, 200);
    const password = /data-role="new-app-password" tabindex="0">([^<]+)</.exec(shown.body)?.[1];
    assert.ok(password && SECRET_SHAPE.test(password), shown.body);
    assert.match(shown.body, /you will not see it again/);
    assert.equal(shown.headers['cache-control'], 'no-store');
    const [stored] = await t.dir.listAppPasswords({ mailbox: 'alice@example.com' });
    assert.equal((await t.dir.findAppPassword(stored!.mailboxId, appPasswordHash(password)!))?.label, "alice's phone", 'the shown password is the stored one');
    assert.deepEqual(stored!.protocols, ['imap']);
    assert.deepEqual(stored!.networks, ['192.0.2.0/24', '2001:db8::/32']);
    assert.ok(stored!.expiresAt);
    assert.match(shown.body, /<tr data-app-password="\d+">\s*<th scope="row" class="label">alice&#39;s phone<\/th>\s*<td>imap from 192\.0\.2\.0\/24, 2001:db8::\/32<\/td>/);
    const reload = await http('GET', path, { Cookie: cookie });
    assert.equal(reload.status, 200);
    assert.ok(!reload.body.includes(password), 'not on reload');
    assert.match(reload.body, /has already been shown and cannot be shown again/);
    const line = logs.find((l) => l.includes('admin-app-password-created'));
    assert.ok(line, 'audited');
    assert.match(line, /"admin":"root".*"mailbox":"alice@example\.com".*"label":"alice's phone".*"via":"form"/);
    for (const l of logs) assert.ok(!l.includes(password) && !l.includes(password.replace(/-/g, '')), 'never logged');
  });

  it('the one view belongs to the session that created it', async () => {
    const a = await session();
    const b = await session();
    const made = await post(a.cookie, page, [['csrf', a.csrf], ['label', 'phone'], ['protocol', 'imap']]);
    const path = (made.headers.location as string).replace('http://console.test', '');
    const other = await http('GET', path, { Cookie: b.cookie });
    assert.doesNotMatch(other.body, /data-role="new-app-password"/);
    assert.match(other.body, /has already been shown and cannot be shown again/);
    const mine = await http('GET', path, { Cookie: a.cookie });
    assert.match(mine.body, /data-role="new-app-password"/, 'the session that created it still sees it, once');
    assert.doesNotMatch((await http('GET', path, { Cookie: a.cookie })).body, /data-role="new-app-password"/);
  });

  it('a refused form comes back with the error and what was typed; nothing is created', async () => {
    const { cookie, csrf } = await session();
    const bad = await post(cookie, page, [['csrf', csrf], ['label', HOSTILE], ['protocol', 'imap'], ['networks', '10.1.2.3/8'], ['expires', 'tomorrow-ish']]);
    assert.equal(bad.status, 400);
    assert.match(bad.body, /data-code="invalid"/);
    assert.match(bad.body, /is not an expiry: give a date such as 2027-01-01/);
    assert.ok(!bad.body.includes(HOSTILE), 'the label is shown as text');
    assert.ok(bad.body.includes('value="&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"'));
    assert.ok(bad.body.includes('value="10.1.2.3/8"'));
    const noProtocol = await post(cookie, page, [['csrf', csrf], ['label', 'x']]);
    assert.equal(noProtocol.status, 400);
    assert.match(noProtocol.body, /at least one protocol is required/);
    assert.doesNotMatch(noProtocol.body, /name="protocol" value="imap" checked/, 'the unticked boxes stay unticked');
    await post(cookie, page, [['csrf', csrf], ['label', 'phone'], ['protocol', 'imap']]);
    const dup = await post(cookie, page, [['csrf', csrf], ['label', 'phone'], ['protocol', 'imap']]);
    assert.equal(dup.status, 409);
    assert.match(dup.body, /already has an app password labelled &quot;phone&quot;/);
    assert.equal((await t.dir.listAppPasswords()).length, 1);
    const unknown = await http('GET', '/gw/mailboxes/nobody%40example.com/app-passwords', { Cookie: cookie });
    assert.equal(unknown.status, 404);
    assert.match(unknown.body, /mailbox &quot;nobody@example\.com&quot; does not exist/);
    const alias = await http('GET', '/gw/mailboxes/info%40example.com/app-passwords', { Cookie: cookie });
    assert.equal(alias.status, 404);
    assert.match(alias.body, /is an alias of mailbox &quot;alice@example\.com&quot;/);
  });

  it('refuses a create or a revoke without the CSRF token or from another origin', async () => {
    const { cookie, csrf } = await session();
    assert.equal((await post(cookie, page, [['label', 'phone'], ['protocol', 'imap']])).status, 403);
    assert.equal((await post(cookie, page, [['csrf', csrf], ['label', 'phone'], ['protocol', 'imap']], { ...FORM, Origin: 'http://evil.test' })).status, 403);
    assert.equal((await t.dir.listAppPasswords()).length, 0);
    const api = await http('POST', '/gw/api/v1/mailboxes/alice%40example.com/app-passwords', { Cookie: cookie, Origin: ORIGIN, 'Content-Type': 'application/json' }, JSON.stringify({ label: 'x' }));
    assert.equal(api.status, 403);
    assert.equal(JSON.parse(api.body).error.code, 'csrf-token-mismatch');
    const a = await t.dir.addAppPassword({ mailbox: 'alice@example.com', label: 'phone', hash: 'a'.repeat(64) });
    assert.equal((await post(cookie, `${page}/${a.id}/revoke`, [])).status, 403);
    assert.equal((await t.dir.listAppPasswords())[0]?.revokedAt, null);
  });

  it('the Revoke button revokes; the list then says so and offers no button', async () => {
    const { cookie, csrf } = await session();
    const a = await t.dir.addAppPassword({ mailbox: 'alice@example.com', label: HOSTILE, hash: 'b'.repeat(64) });
    const b = await t.dir.addAppPassword({ mailbox: 'bob@example.com', label: 'scanner', hash: 'c'.repeat(64) });
    const list = await http('GET', page, { Cookie: cookie });
    assert.ok(!list.body.includes(HOSTILE));
    assert.match(list.body, /aria-label="Revoke the app password &lt;img/);
    const wrongBox = await post(cookie, `${page}/${b.id}/revoke`, [['csrf', csrf]]);
    assert.equal(wrongBox.status, 404, "bob's app password is not revoked through alice's page");
    assert.match(wrongBox.body, /reload the page/);
    const ok = await post(cookie, `${page}/${a.id}/revoke`, [['csrf', csrf]]);
    assert.equal(ok.status, 303, ok.body);
    const after = await http('GET', (ok.headers.location as string).replace('http://console.test', ''), { Cookie: cookie });
    assert.match(after.body, /Revoked the app password &quot;&lt;img/);
    assert.match(after.body, /data-role="state">revoked</);
    assert.doesNotMatch(after.body, /aria-label="Revoke the app password/);
    assert.ok(logs.some((l) => l.includes('admin-app-password-revoked') && l.includes('"via":"form"')));
  });

  it('the API lists, creates (answering the password once) and revokes, with a token or a session', async () => {
    const { token, tokenHash } = newApiToken();
    await t.dir.createApiToken('root', 'ci', tokenHash);
    const bearer = { Authorization: `Bearer ${token}` };
    const base = '/gw/api/v1/mailboxes/alice%40example.com/app-passwords';
    assert.deepEqual(JSON.parse((await http('GET', base, bearer)).body), []);
    const created = await http('POST', base, { ...bearer, 'Content-Type': 'application/json' }, JSON.stringify({ label: 'phone', protocols: ['smtp'], networks: ['192.0.2.7'], expires: '2099-01-01' }));
    assert.equal(created.status, 201, created.body);
    const body = JSON.parse(created.body) as { password: string; appPassword: { id: number; label: string; protocols: string[]; networks: string[]; expiresAt: string; state: string; mailbox: string } };
    assert.match(body.password, SECRET_SHAPE);
    assert.deepEqual({ ...body.appPassword, id: 0 }, { id: 0, mailbox: 'alice@example.com', label: 'phone', protocols: ['smtp'], networks: ['192.0.2.7'], expiresAt: '2099-01-01T00:00:00.000Z', createdAt: (body.appPassword as { createdAt?: string }).createdAt, lastUsedAt: null, revokedAt: null, state: 'active' });
    const listed = await http('GET', base, bearer);
    assert.ok(!listed.body.includes(body.password), 'listings never hold the password');
    assert.equal(JSON.parse(listed.body)[0].id, body.appPassword.id);
    const bad = await http('POST', base, { ...bearer, 'Content-Type': 'application/json' }, JSON.stringify({ label: 'x', protocols: ['pop3'] }));
    assert.equal(bad.status, 400);
    assert.equal(JSON.parse(bad.body).error.code, 'invalid');
    assert.match(JSON.parse(bad.body).error.message, /may not use pop3/);
    const extra = await http('POST', base, { ...bearer, 'Content-Type': 'application/json' }, JSON.stringify({ label: 'x', password: 'chosen-by-me' }));
    assert.equal(JSON.parse(extra.body).error.code, 'invalid-body', 'a password cannot be chosen');
    assert.equal((await http('GET', '/gw/api/v1/mailboxes/nobody%40example.com/app-passwords', bearer)).status, 404);
    const del = await http('DELETE', `${base}/${body.appPassword.id}`, bearer);
    assert.equal(del.status, 204);
    assert.equal(JSON.parse((await http('GET', base, bearer)).body)[0].state, 'revoked');
    assert.equal((await http('DELETE', `${base}/${body.appPassword.id}`, bearer)).status, 204, 'revoking again changes nothing');
    assert.equal(JSON.parse((await http('DELETE', `${base}/999`, bearer)).body).error.code, 'not-found');
    assert.equal(logs.filter((l) => l.includes('admin-app-password-revoked') && l.includes('"via":"token"')).length, 1);

    const { cookie, csrf } = await session();
    const viaSession = await http('POST', base, { Cookie: cookie, Origin: ORIGIN, 'X-CSRF-Token': csrf, 'Content-Type': 'application/json' }, JSON.stringify({ label: 'laptop' }));
    assert.equal(viaSession.status, 201, viaSession.body);
    assert.deepEqual(JSON.parse(viaSession.body).appPassword.protocols, ['imap', 'smtp'], "the mailbox's protocols by default");
  });

  it('the OpenAPI document describes the routes and schemas', async () => {
    const doc = JSON.parse((await http('GET', '/gw/api/openapi.json')).body) as { paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, unknown> } };
    assert.deepEqual(Object.keys(doc.paths['/mailboxes/{address}/app-passwords'] ?? {}).sort(), ['get', 'post']);
    assert.deepEqual(Object.keys(doc.paths['/mailboxes/{address}/app-passwords/{id}'] ?? {}), ['delete']);
    for (const id of ['AppPassword', 'NewAppPassword', 'CreatedAppPassword']) assert.ok(doc.components.schemas[id], id);
  });

  it('the mailboxes list links to each mailbox\'s app passwords', async () => {
    const { cookie } = await session();
    const list = await http('GET', '/gw/mailboxes', { Cookie: cookie });
    assert.match(list.body, /<a href="http:\/\/console\.test\/gw\/mailboxes\/alice%40example\.com\/app-passwords" aria-label="App passwords of alice@example\.com">App passwords<\/a>/);
  });
});
