/**
 * The console over real sockets (node:http on 127.0.0.1:0) with a real SQLite directory: the
 * login flow and its stable error codes, cookie scope from the public URL, the Origin and CSRF
 * checks, API tokens, sessions ending with a password change, path mapping, the OpenAPI
 * document, and the PROXY protocol accepted only from trusted proxies.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { adminSettings, createLoginDefence, newApiToken, type AdminSettings } from '../admin/index.js';
import { configSchema } from '../config/schema.js';
import { createMemoryCounters } from '../defence/memory-counters.js';
import { createLogger } from '../log/logger.js';
import { dummyVerify, hashPassword, verifyPassword } from '../passwords/index.js';
import { openTempDirectory, type TempDirectory } from '../store/test-support.js';
import { createConsoleServer, type ConsoleServer } from './index.js';
import { consoleClient, type Res } from './test-support.js';

const CHEAP = { memoryKiB: 1024, iterations: 1, parallelism: 1 };
const PW = 'a long password';


describe('console over HTTP', () => {
  let t: TempDirectory;
  let server: ConsoleServer;
  let port: number;
  let settings: AdminSettings;
  let base: string;

  async function start(admin: Record<string, unknown> = {}): Promise<void> {
    if (server) await server.close();
    const cfg = configSchema.parse({ admin: { public_url: 'http://console.test/gw/', login_ip_limit: 3, ...admin } });
    settings = adminSettings(cfg.admin);
    server = createConsoleServer({
      settings,
      store: t.dir,
      defence: createLoginDefence(settings.login, createMemoryCounters({ maxKeys: 100, maxMembers: 100 })),
      passwords: { verify: (h, p) => verifyPassword(h, Buffer.from(p)), dummyVerify: (p) => dummyVerify(Buffer.from(p), CHEAP) },
      keyring: null,
      log: createLogger('silent'),
    });
    port = (await server.listen('127.0.0.1', 0)).port;
    base = settings.publicUrl.href;
  }

  const http = consoleClient(() => port);

  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
  const FORM = { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'http://console.test' };
  const cookieOf = (r: Res, name: string): string | undefined =>
    ([] as string[]).concat(r.headers['set-cookie'] ?? []).find((c) => c.startsWith(`${name}=`));

  async function login(name = 'root', password = PW): Promise<Res> {
    return http('POST', '/gw/login', { ...FORM, Cookie: 'postern_admin_check=1' }, form({ name, password, next: '/mailboxes' }));
  }

  async function session(): Promise<{ cookie: string; csrf: string }> {
    const r = await login();
    assert.equal(r.status, 303, r.body);
    const cookie = (cookieOf(r, 'postern_admin') as string).split(';')[0] as string;
    const me = JSON.parse((await http('GET', '/gw/api/v1/session', { Cookie: cookie })).body) as { csrfToken: string };
    return { cookie, csrf: me.csrfToken };
  }

  beforeEach(async () => {
    t = await openTempDirectory();
    await t.dir.addAdmin('root', await hashPassword(PW, CHEAP));
    await t.dir.addDomain('example.com');
    await t.dir.addMailbox({ address: 'bob@example.com', passwordHash: null });
    await start();
  });
  afterEach(async () => {
    await server.close();
    await t.cleanup();
  });

  it('the login page sets the check cookie in the public URL\'s scope, with strict headers', async () => {
    const r = await http('GET', '/gw/login');
    assert.equal(r.status, 200);
    assert.equal(cookieOf(r, 'postern_admin_check'), 'postern_admin_check=1; Path=/gw; HttpOnly; SameSite=Strict; Max-Age=3600');
    assert.equal(r.headers['cache-control'], 'no-store');
    assert.match(String(r.headers['content-security-policy']), /frame-ancestors 'none'/);
    assert.match(r.body, /action="http:\/\/console\.test\/gw\/login"/, 'links come from the public URL');
  });

  it('a login without the check cookie says cookie-not-returned and how to fix it, before any password check', async () => {
    const r = await http('POST', '/gw/login', FORM, form({ name: 'root', password: PW }));
    assert.equal(r.status, 400);
    assert.match(r.body, /data-code="cookie-not-returned"/);
    assert.match(r.body, /How to fix:/);
    assert.equal(cookieOf(r, 'postern_admin'), undefined);
  });

  it('a login posted from another origin is refused with origin-mismatch', async () => {
    const r = await http('POST', '/gw/login', { ...FORM, Origin: 'http://evil.test', Cookie: 'postern_admin_check=1' }, form({ name: 'root', password: PW }));
    assert.equal(r.status, 403);
    assert.match(r.body, /data-code="origin-mismatch"/);
  });

  it('an unknown name and a wrong password get the same answer; too many failures then wait', async () => {
    const wrong = await login('root', 'wrong one');
    const unknown = await login('nobody', 'wrong two');
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, 401);
    assert.equal(wrong.body.replace('value="root"', ''), unknown.body.replace('value="nobody"', ''));
    await login('root', 'wrong three');
    const limited = await login();
    assert.equal(limited.status, 429);
    assert.match(limited.body, /data-code="too-many-failures"/);
  });

  it('a good login sets a fresh HttpOnly SameSite=Strict session cookie at the public path and stores only its hash', async () => {
    const r = await login();
    assert.equal(r.status, 303);
    assert.equal(r.headers.location, 'http://console.test/gw/mailboxes');
    const c = cookieOf(r, 'postern_admin') as string;
    assert.match(c, /^postern_admin=[A-Za-z0-9_-]{43}; Path=\/gw; HttpOnly; SameSite=Strict$/);
    const id = c.slice('postern_admin='.length, c.indexOf(';'));
    const root = await t.dir.getAdmin('root');
    const stored = await t.dir.listSessions(root!.id, new Date().toISOString());
    assert.equal(stored.length, 1);
    assert.notEqual(stored[0]?.idHash, id);
    const again = await login();
    assert.notEqual(cookieOf(again, 'postern_admin'), c, 'every login gets a new id');
  });

  it('changes with a cookie need the Origin and the session CSRF token; the API changes a mailbox', async () => {
    const { cookie, csrf } = await session();
    const patch = (headers: Record<string, string>, body: string) =>
      http('PATCH', '/gw/api/v1/mailboxes/bob%40example.com', { 'Content-Type': 'application/json', Cookie: cookie, Origin: 'http://console.test', ...headers }, body);
    const noToken = await patch({}, '{"enabled":false}');
    assert.equal(noToken.status, 403);
    assert.equal(JSON.parse(noToken.body).error.code, 'csrf-token-mismatch');
    const crossSite = await patch({ 'X-CSRF-Token': csrf, 'Sec-Fetch-Site': 'cross-site' }, '{"enabled":false}');
    assert.equal(JSON.parse(crossSite.body).error.code, 'cross-site-request');
    const bad = await patch({ 'X-CSRF-Token': csrf }, '{"enabled":"no"}');
    assert.equal(bad.status, 400);
    assert.equal(JSON.parse(bad.body).error.code, 'invalid-body');
    const ok = await patch({ 'X-CSRF-Token': csrf }, '{"enabled":false}');
    assert.equal(ok.status, 200, ok.body);
    assert.equal(JSON.parse(ok.body).enabled, false);
    assert.equal((await t.dir.getMailbox('bob@example.com'))?.enabled, false);
    const missing = await patch({ 'X-CSRF-Token': csrf }, '{"enabled":true}').then(() => http('PATCH', '/gw/api/v1/mailboxes/nobody%40example.com', { 'Content-Type': 'application/json', Cookie: cookie, Origin: 'http://console.test', 'X-CSRF-Token': csrf }, '{"enabled":true}'));
    assert.equal(missing.status, 404);
  });

  it('API tokens authenticate scripts without cookies; a bad or revoked token is refused', async () => {
    const { token, tokenHash } = newApiToken();
    const created = await t.dir.createApiToken('root', 'test', tokenHash);
    const list = await http('GET', '/gw/api/v1/mailboxes', { Authorization: `Bearer ${token}` });
    assert.equal(list.status, 200);
    assert.deepEqual(JSON.parse(list.body).map((m: { address: string }) => m.address), ['bob@example.com']);
    assert.ok(!list.body.includes('passwordHash'));
    const patched = await http('PATCH', '/gw/api/v1/mailboxes/bob%40example.com', { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, '{"enabled":false}');
    assert.equal(patched.status, 200, 'a Bearer token needs no Origin or CSRF token');
    assert.equal(JSON.parse((await http('GET', '/gw/api/v1/session', { Authorization: `Bearer ${token}` })).body).via, 'token');
    assert.equal(JSON.parse((await http('GET', '/gw/api/v1/mailboxes', { Authorization: 'Bearer postern_nope' })).body).error.code, 'bad-token');
    await t.dir.revokeApiToken(created.id);
    assert.equal((await http('GET', '/gw/api/v1/mailboxes', { Authorization: `Bearer ${token}` })).status, 401);
    assert.equal((await http('GET', '/gw/api/v1/mailboxes')).status, 401);
  });

  it("a password change ends the admin's sessions: pages go back to the login, the API says revoked", async () => {
    const { cookie } = await session();
    assert.equal((await http('GET', '/gw/mailboxes', { Cookie: cookie })).status, 200);
    await t.dir.setAdminPassword('root', await hashPassword('another long one', CHEAP));
    const page = await http('GET', '/gw/mailboxes', { Cookie: cookie });
    assert.equal(page.status, 302);
    assert.equal(page.headers.location, 'http://console.test/gw/login?reason=revoked&next=%2Fmailboxes');
    assert.equal(JSON.parse((await http('GET', '/gw/api/v1/session', { Cookie: cookie })).body).error.code, 'revoked');
  });

  it('own sessions are listed and revoked through the API, never another admin\'s', async () => {
    const a = await session();
    const b = await session();
    const list = JSON.parse((await http('GET', '/gw/api/v1/sessions', { Cookie: a.cookie })).body) as Array<{ id: string; current: boolean; clientIp: string }>;
    assert.equal(list.length, 2);
    assert.deepEqual(list.map((s) => s.clientIp), ['127.0.0.1', '127.0.0.1']);
    const other = list.find((s) => !s.current)!;
    const del = await http('DELETE', `/gw/api/v1/sessions/${other.id}`, { Cookie: a.cookie, Origin: 'http://console.test', 'X-CSRF-Token': a.csrf });
    assert.equal(del.status, 204);
    assert.equal((await http('GET', '/gw/api/v1/session', { Cookie: b.cookie })).status, 401);
    assert.equal((await http('DELETE', '/gw/api/v1/sessions/0123456789abcdef', { Cookie: a.cookie, Origin: 'http://console.test', 'X-CSRF-Token': a.csrf })).status, 404);
  });

  it('maps paths: prefix kept or stripped both work; require mode redirects outside the cookie scope; outside the mount is 404', async () => {
    const { cookie } = await session();
    assert.equal((await http('GET', '/gw/diagnostics', { Cookie: cookie })).status, 200);
    assert.equal((await http('GET', '/diagnostics', { Cookie: cookie })).status, 200, 'auto mode: a stripping proxy works');
    await start({ prefix_mode: 'require' });
    const r = await http('GET', '/mailboxes?x=1');
    assert.equal(r.status, 302);
    assert.equal(r.headers.location, 'http://console.test/gw/mailboxes?x=1');
    await start({ path: '/admin/', public_url: 'http://console.test/' });
    assert.equal((await http('GET', '/admin/login')).status, 200);
    const outside = await http('GET', '/login');
    assert.equal(outside.status, 404);
    assert.match(outside.body, /^outside-mount: the console is mounted at \/admin\//);
  });

  it('serves an OpenAPI 3.1 document built from the API schemas', async () => {
    const r = await http('GET', '/gw/api/openapi.json');
    assert.equal(r.status, 200);
    const doc = JSON.parse(r.body);
    assert.equal(doc.openapi, '3.1.0');
    assert.equal(doc.servers[0].url, 'http://console.test/gw/api/v1');
    assert.deepEqual(Object.keys(doc.paths).sort(), ['/2fa', '/2fa/confirm', '/2fa/disable', '/2fa/enrol', '/2fa/recovery-codes', '/aliases', '/aliases/{address}', '/backends', '/backends/{name}', '/backends/{name}/master', '/bans', '/bans/{subject}', '/dashboard', '/diagnostics', '/domain-aliases/{alias}', '/domains', '/domains/{name}', '/domains/{name}/aliases', '/history', '/keys', '/mailboxes', '/mailboxes/{address}', '/mailboxes/{address}/app-passwords', '/mailboxes/{address}/app-passwords/{id}', '/routes', '/routes/{kind}', '/routes/{kind}/{subject}', '/session', '/sessions', '/sessions/{id}', '/tokens', '/tokens/{id}']);
    const patch = doc.components.schemas.MailboxPatch;
    assert.deepEqual([Object.keys(patch.properties), patch.properties.password.writeOnly, patch.additionalProperties], [['enabled', 'protocols', 'networks', 'backendLogin', 'password', 'reversibleCredential'], true, false]);
  });

  it('PROXY protocol: the header of a trusted proxy gives the client; without one the connection is closed', async () => {
    await start({ proxy_protocol: true });
    const { token, tokenHash } = newApiToken();
    await t.dir.createApiToken('root', 'pp', tokenHash);
    const raw = (payload: string | [string, string], localAddress = '127.0.0.1'): Promise<string> =>
      new Promise((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port, localAddress }, () => {
          if (typeof payload === 'string') return void s.end(payload);
          s.write(payload[0]);
          setTimeout(() => s.end(payload[1]), 50);
        });
        let out = '';
        s.on('data', (c: Buffer) => (out += c.toString()));
        s.on('close', () => resolve(out));
        s.on('error', reject);
      });
    const get = `GET /gw/api/v1/diagnostics HTTP/1.1\r\nHost: console.test\r\nAuthorization: Bearer ${token}\r\nX-Forwarded-For: 198.51.100.1\r\nConnection: close\r\n\r\n`;
    const through = await raw(`PROXY TCP4 203.0.113.5 127.0.0.1 5555 80\r\n${get}`);
    const body = JSON.parse(through.slice(through.indexOf('\r\n\r\n') + 4)) as { resolved: { clientIp: string }; proxyProtocol: { source: string } };
    assert.equal(body.resolved.clientIp, '203.0.113.5', 'the PROXY source, whose own X-Forwarded-For is not believed');
    assert.equal(body.proxyProtocol.source, '203.0.113.5');
    const split = await raw(['PROXY TCP4 203.0.113.6 127.0.0.1 5555 80\r\n', get]);
    assert.match(split, /"clientIp": "203\.0\.113\.6"/, 'the header and the request in separate packets');
    assert.equal(await raw(get), '', 'a trusted proxy must send the header');
    await start({ proxy_protocol: true, trusted_proxies: ['127.0.0.2'] });
    const direct = await raw(`PROXY TCP4 203.0.113.5 127.0.0.1 5555 80\r\n${get}`, '127.0.0.9');
    assert.match(direct, /^HTTP\/1\.1 400/, 'an untrusted peer cannot send a PROXY header: it is read as (bad) HTTP');
    const plain = await raw(get, '127.0.0.9');
    assert.match(plain, /"clientIp": "127\.0\.0\.9"/);
  });
});

