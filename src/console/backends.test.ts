/**
 * The backend pages and /api/v1/backends over real sockets with a real SQLite directory and a
 * real vault keyring: the list with each master login's state (set under a key, no password,
 * UNREADABLE), adding, changing host and ports, removing after a confirmation (refused while
 * routes use it, naming them), and the master login set (the password sealed under the active
 * key, bound to the backend, opened by the auth path's own backendLogin) and cleared. The vault
 * being off is a clear refusal. No password or ciphertext ever appears in a page or an answer.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { backendLogin } from '../decision/backend-login.js';
import { masterSecretBinding } from '../directory/types.js';
import { encrypt, type Keyring } from '../vault/index.js';
import { keySpellings, testKeyring, type TestKeys } from '../vault/test-support.js';
import { codeOf, ORIGIN, pageCode, startTestConsole, TEST_PASSWORD, type Session, type TestConsole } from './test-console.js';
import type { Res } from './test-support.js';

const MASTER = 'Dovecot master pw';
const OTHER = 'the API master pw';

describe('console backends', () => {
  let c: TestConsole;
  let s: Session;
  let keys: TestKeys;
  let ring: Keyring;
  let seen: Res[];

  async function start(keyring: Keyring | null): Promise<void> {
    c = await startTestConsole({ keyring });
    await c.t.dir.addDomain('example.com');
    await c.t.dir.addMailbox({ address: 'alice@example.com', passwordHash: null });
    s = await c.session();
  }

  beforeEach(async () => {
    keys = new Map();
    ring = testKeyring([['k1', 'active']], keys);
    seen = [];
    await start(ring);
  });
  afterEach(() => c.close());

  const keep = (r: Res): Res => (seen.push(r), r);
  const get = async (path: string) => keep(await c.http('GET', `/gw${path}`, { Cookie: s.cookie }));
  const form = async (path: string, fields: Record<string, string>, csrf: string | null = s.csrf) =>
    keep(await c.http('POST', `/gw${path}`, { 'Content-Type': 'application/x-www-form-urlencoded', Origin: ORIGIN, Cookie: s.cookie }, new URLSearchParams({ ...(csrf === null ? {} : { csrf }), ...fields }).toString()));
  const api = async (method: string, path: string, body?: unknown) => keep(await c.api(method, path, s, body));
  const ports = (p: Partial<Record<'imap' | 'pop3' | 'smtp' | 'mx', string>>) => ({ imap: '', pop3: '', smtp: '', mx: '', ...p });

  async function assertNoSecrets(): Promise<void> {
    const secrets = [MASTER, OTHER, TEST_PASSWORD, ...keySpellings(keys)];
    for (const b of await c.t.dir.listBackends()) if (b.masterSecret) secrets.push(b.masterSecret, b.masterSecret.slice(-24));
    for (const r of seen) for (const x of secrets) assert.ok(!r.body.includes(x), `an answer holds a secret: ${r.body.slice(0, 200)}`);
    for (const x of [MASTER, OTHER]) assert.ok(!c.logText().includes(x), 'no password in the log');
  }

  it('adds a backend with the form and with the API, the same way; refuses a duplicate, a bad host and a bad port with what was typed', async () => {
    const r = await form('/backends', { name: ' IMAP1 ', host: '10.0.0.11', ...ports({ imap: '143', smtp: '587' }) });
    assert.equal(r.status, 303, r.body);
    assert.equal(r.headers.location, 'http://console.test/gw/backends/imap1?done=added');
    const viaApi = await api('POST', '/backends', { name: 'imap2', host: '10.0.0.11', ports: { imap: 143, smtp: 587 } });
    assert.equal(viaApi.status, 201, viaApi.body);
    const one = JSON.parse((await api('GET', '/backends/imap1')).body);
    const two = JSON.parse(viaApi.body);
    assert.deepEqual({ ...one, name: 'x' }, { ...two, name: 'x' });
    assert.deepEqual(one.ports, { imap: 143, pop3: null, smtp: 587, mx: null });
    assert.equal(one.master, null);

    const dup = await form('/backends', { name: 'imap1', host: '10.0.0.12', ...ports({ imap: '143' }) });
    assert.deepEqual([dup.status, pageCode(dup)], [409, 'exists']);
    assert.match(dup.body, /id="new-host" name="host" type="text" value="10\.0\.0\.12"/);
    const badPort = await form('/backends', { name: 'imap3', host: '10.0.0.13', ...ports({ imap: 'abc' }) });
    assert.deepEqual([badPort.status, pageCode(badPort)], [400, 'invalid']);
    assert.match(badPort.body, /IMAP port must be a whole number from 1 to 65535, not &quot;abc&quot;/);
    assert.match(badPort.body, /id="new-imap" name="imap" type="text" inputmode="numeric" pattern="\[0-9\]\*" size="6" value="abc"/);
    const range = await form('/backends', { name: 'imap3', host: '10.0.0.13', ...ports({ pop3: '70000' }) });
    assert.equal(pageCode(range), 'invalid');
    const noPort = await form('/backends', { name: 'imap3', host: '10.0.0.13', ...ports({}) });
    assert.match(noPort.body, /a backend needs at least one port/);
    const badHost = await api('POST', '/backends', { name: 'imap3', host: '999.1.1.1', ports: { imap: 143 } });
    assert.deepEqual([badHost.status, codeOf(badHost)], [400, 'invalid']);
    const dupApi = await api('POST', '/backends', { name: 'imap1', host: '10.0.0.1', ports: { imap: 143 } });
    assert.deepEqual([dupApi.status, codeOf(dupApi)], [409, 'exists']);
    assert.equal(await c.t.dir.getBackend('imap3'), null);
    assert.deepEqual(c.logs.filter((l) => l.event === 'admin-backend-added').map((l) => [l.backend, l.via]), [['imap1', 'form'], ['imap2', 'session']]);
  });

  it('changes host and ports from its page and with PATCH; an empty port field stops serving it', async () => {
    await c.t.dir.addBackend({ name: 'imap1', host: '10.0.0.11', ports: { imap: 143, pop3: 110 } });
    await c.t.dir.addBackend({ name: 'imap2', host: '10.0.0.11', ports: { imap: 143, pop3: 110 } });
    const page = await get('/backends/imap1');
    assert.match(page.body, /id="edit-pop3" name="pop3" type="text" inputmode="numeric" pattern="\[0-9\]\*" size="6" value="110"/);
    const r = await form('/backends/imap1/settings', { host: 'Mail.Internal', ...ports({ imap: '993', mx: '25' }) });
    assert.equal(r.headers.location, 'http://console.test/gw/backends/imap1?done=saved');
    const p = await api('PATCH', '/backends/imap2', { host: 'mail.internal', ports: { imap: 993, pop3: null, mx: 25 } });
    assert.equal(p.status, 200, p.body);
    const strip = ({ id: _i, name: _n, ...rest }: Record<string, unknown>) => rest;
    assert.deepEqual(strip({ ...(await c.t.dir.getBackend('imap1')) }), strip({ ...(await c.t.dir.getBackend('imap2')) }));
    assert.deepEqual((await c.t.dir.getBackend('imap1'))?.ports, { imap: 993, pop3: null, smtp: null, mx: 25 });
    const bad = await form('/backends/imap1/settings', { host: '', ...ports({ imap: '993' }) });
    assert.deepEqual([bad.status, pageCode(bad)], [400, 'invalid']);
    assert.match(bad.body, /a backend host is required/);
    const nothing = await api('PATCH', '/backends/imap2', {});
    assert.deepEqual([nothing.status, codeOf(nothing)], [400, 'nothing-to-change']);
    assert.equal((await api('PATCH', '/backends/nope', { host: '10.0.0.1' })).status, 404);
    assert.equal((await get('/backends/nope')).status, 404);
  });

  it('lists each backend with its master login state: set under a key, no password, UNREADABLE', async () => {
    for (const n of ['a-set', 'b-reset', 'c-unreadable', 'd-none']) await c.t.dir.addBackend({ name: n, host: '10.0.0.1', ports: { imap: 143 } });
    const seal = async (name: string, keyring: Keyring) => {
      const b = (await c.t.dir.getBackend(name))!;
      await c.t.dir.setBackendMaster(name, { user: 'postern', ciphertext: encrypt(keyring, 'credentials', Buffer.from(MASTER), masterSecretBinding(b.id)) });
    };
    await seal('a-set', ring);
    await seal('b-reset', ring);
    await c.t.dir.clearSecretsOfKey('k1').then(() => seal('a-set', ring));
    await seal('c-unreadable', testKeyring([['k9', 'active']]));
    await c.t.dir.setRoute('default', null, 'a-set');
    const page = await get('/backends');
    const cell = (name: string) => new RegExp(`<tr data-backend="${name}">[\\s\\S]*?data-role="master">([\\s\\S]*?)</td>`).exec(page.body)?.[1] ?? '';
    assert.match(cell('a-set'), /<code>postern<\/code> <span class="badge on" data-role="master-password">password set · key k1<\/span>/);
    assert.match(cell('b-reset'), /no password/);
    assert.match(cell('c-unreadable'), /UNREADABLE · key k9/);
    assert.match(cell('d-none'), /none/);
    assert.match(page.body, /<tr data-backend="a-set">[\s\S]*?data-role="routes">1</);
    const list = JSON.parse((await api('GET', '/backends')).body) as Array<{ name: string; master: { password: { state: string; keyId: string | null } } | null }>;
    assert.deepEqual(list.map((b) => [b.name, b.master?.password.state ?? null, b.master?.password.keyId ?? null]), [
      ['a-set', 'set', 'k1'],
      ['b-reset', 'not-set', null],
      ['c-unreadable', 'unreadable', 'k9'],
      ['d-none', null, null],
    ]);
    const detail = await get('/backends/c-unreadable');
    assert.match(detail.body, /UNREADABLE · key k9<\/span>[\s\S]*?<br>UNREADABLE \(/);
    assert.match((await get('/backends/b-reset')).body, /no master password \(it was reset\)/);
    await assertNoSecrets();
  });

  it('sets the master login from its page (sealed under k1, usable by the auth path), replaces it with PUT, and clears it', async () => {
    await c.t.dir.addBackend({ name: 'dovecot', host: '10.0.0.1', ports: { imap: 143, pop3: 110 } });
    await c.t.dir.addBackend({ name: 'other', host: '10.0.0.2', ports: { imap: 143 } });
    const r = await form('/backends/dovecot/master', { user: 'postern', password: MASTER, separator: '*' });
    assert.equal(r.status, 303, r.body);
    assert.equal(r.headers.location, 'http://console.test/gw/backends/dovecot?done=master-set');
    const b = (await c.t.dir.getBackend('dovecot'))!;
    assert.equal(b.masterUser, 'postern');
    assert.match(b.masterSecret ?? '', /^pv1\.k1\./);
    const mailbox = (await c.t.dir.getMailbox('alice@example.com'))!;
    const login = backendLogin('imap', mailbox, b, ring, { user: 'alice@example.com', pass: 'x' });
    assert.deepEqual(login.ok && login.login.user, 'alice@example.com*postern');
    assert.equal(login.ok && login.login.pass, MASTER, 'the auth path opens what the console sealed');
    const page = await get('/backends/dovecot?done=master-set');
    assert.match(page.body, /role="status">The master login is set/);
    assert.match(page.body, /data-role="master"><code>postern<\/code> <span class="badge on" data-role="master-password">password set · key k1<\/span>/);
    assert.match(page.body, /<input id="master-password" name="password" type="password" autocomplete="new-password" required aria-describedby="master-password-hint">/, 'the password field is empty');

    const put = await api('PUT', '/backends/other/master', { user: 'proxy', password: OTHER, separator: '%' });
    assert.equal(put.status, 200, put.body);
    assert.deepEqual(JSON.parse(put.body).master, { user: 'proxy', separator: '%', password: { state: 'set', keyId: 'k1', changedAt: (await c.t.dir.getBackend('other'))?.masterChangedAt } });

    const badUser = await form('/backends/dovecot/master', { user: 'a*b', password: MASTER, separator: '*' });
    assert.deepEqual([badUser.status, pageCode(badUser)], [400, 'invalid']);
    assert.match(badUser.body, /id="master-user" name="user" type="text" value="a\*b"/, 'the user is kept, never the password');
    const badPw = await api('PUT', '/backends/other/master', { user: 'proxy', password: ' padded ' });
    assert.deepEqual([badPw.status, codeOf(badPw)], [400, 'invalid']);
    assert.match(JSON.parse(badPw.body).error.message, /starts or ends with a space/);
    assert.equal((await api('PUT', '/backends/nope/master', { user: 'x', password: OTHER })).status, 404);

    const clear = await form('/backends/dovecot/master/clear', {});
    assert.equal(clear.headers.location, 'http://console.test/gw/backends/dovecot?done=master-cleared');
    assert.equal((await c.t.dir.getBackend('dovecot'))?.masterUser, null);
    const del = await api('DELETE', '/backends/other/master');
    assert.equal(JSON.parse(del.body).master, null);
    assert.deepEqual(
      c.logs.filter((l) => String(l.event).startsWith('admin-backend-master')).map((l) => [l.event, l.backend, l.via, l.key_id ?? null]),
      [
        ['admin-backend-master-set', 'dovecot', 'form', 'k1'],
        ['admin-backend-master-set', 'other', 'session', 'k1'],
        ['admin-backend-master-cleared', 'dovecot', 'form', null],
        ['admin-backend-master-cleared', 'other', 'session', null],
      ],
    );
    await assertNoSecrets();
  });

  it('with the vault off, a master login is refused with vault-off and nothing is written', async () => {
    await c.close();
    await start(null);
    await c.t.dir.addBackend({ name: 'dovecot', host: '10.0.0.1', ports: { imap: 143 } });
    const page = await get('/backends/dovecot');
    assert.equal(pageCode(page), 'vault-off');
    assert.doesNotMatch(page.body, /id="master-password"/, 'no form that cannot work');
    const r = await form('/backends/dovecot/master', { user: 'postern', password: MASTER });
    assert.deepEqual([r.status, pageCode(r)], [409, 'vault-off']);
    const viaApi = await api('PUT', '/backends/dovecot/master', { user: 'postern', password: MASTER });
    assert.deepEqual([viaApi.status, codeOf(viaApi)], [409, 'vault-off']);
    assert.match(JSON.parse(viaApi.body).error.message, /the vault is off \(no \[vault\] keys in the configuration\), so a master password cannot be stored/);
    assert.equal((await c.t.dir.getBackend('dovecot'))?.masterUser, null);
    await assertNoSecrets();
  });

  it('removes a backend after a confirmation; one that routes use is refused, naming them (page and API)', async () => {
    await c.t.dir.addBackend({ name: 'imap1', host: '10.0.0.11', ports: { imap: 143 } });
    await c.t.dir.addBackend({ name: 'spare', host: '10.0.0.12', ports: { imap: 143 } });
    await c.t.dir.setRoute('mailbox', 'alice@example.com', 'imap1');
    await c.t.dir.setRoute('default', null, 'imap1');
    const confirm = await get('/backends/imap1/delete');
    assert.match(confirm.body, /It is still used by the default route; mailbox alice@example\.com: Postern refuses to remove it/);
    const refused = await form('/backends/imap1/delete', {});
    assert.deepEqual([refused.status, pageCode(refused)], [409, 'in-use']);
    assert.match(refused.body, /backend &quot;imap1&quot; is still used by 2 routes/);
    assert.match(refused.body, /How to fix:<\/strong> point those routes at another backend/);
    const refusedApi = await api('DELETE', '/backends/imap1');
    assert.deepEqual([refusedApi.status, codeOf(refusedApi)], [409, 'in-use']);
    assert.ok(await c.t.dir.getBackend('imap1'));
    const noCsrf = await form('/backends/spare/delete', {}, null);
    assert.deepEqual([noCsrf.status, pageCode(noCsrf)], [403, 'csrf-token-mismatch']);
    assert.ok(await c.t.dir.getBackend('spare'));
    const ok = await form('/backends/spare/delete', {});
    assert.equal(ok.headers.location, 'http://console.test/gw/backends?removed=spare');
    assert.equal(await c.t.dir.getBackend('spare'), null);
    assert.match((await get('/backends?removed=spare')).body, /role="status">Removed backend spare\.</);
    await c.t.dir.removeRoute('mailbox', 'alice@example.com');
    await c.t.dir.removeRoute('default', null);
    assert.equal((await api('DELETE', '/backends/imap1')).status, 204);
    assert.equal((await api('DELETE', '/backends/imap1')).status, 404);
  });
});
