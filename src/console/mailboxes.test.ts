/**
 * The mailbox pages and /api/v1/mailboxes over real sockets with a real SQLite directory and a
 * real vault keyring: the list with its search and domain filter, adding (form and API, with the
 * same result), the mailbox's page with every edit form, deleting after a confirmation, and every
 * refusal with its stable code and what was typed kept (a duplicate, an invalid address, an
 * unserved domain, a bad network or password, no CSRF token). Through all of it, no password,
 * hash or ciphertext ever appears in a page or an API answer.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { adminSettings, createLoginDefence, newApiToken } from '../admin/index.js';
import { configSchema } from '../config/schema.js';
import { createMemoryCounters } from '../defence/memory-counters.js';
import { reversibleSecretBinding } from '../directory/types.js';
import { createLogger } from '../log/logger.js';
import { dummyVerify, hashPassword, verifyPassword } from '../passwords/index.js';
import { openTempDirectory } from '../store/test-support.js';
import { encrypt, type Keyring } from '../vault/index.js';
import { keySpellings, testKeyring, type TestKeys } from '../vault/test-support.js';
import { createConsoleServer } from './index.js';
import { codeOf, ORIGIN, pageCode, startTestConsole, TEST_PASSWORD, type Session, type TestConsole } from './test-console.js';
import { consoleClient, type Res } from './test-support.js';

const ALICE_PW = 'Alice new pw 1';
const BOB_PW = 'bob pässword 2';
const APOP = 'apop secret value';

describe('console mailboxes', () => {
  let c: TestConsole;
  let s: Session;
  let keys: TestKeys;
  let ring: Keyring;
  /** Every answer a test saw, to prove no secret ever left the console. */
  let seen: Res[];

  beforeEach(async () => {
    keys = new Map();
    ring = testKeyring([['k1', 'active']], keys);
    c = await startTestConsole({ keyring: ring });
    await c.t.dir.addDomain('example.com');
    await c.t.dir.addDomain('example.org');
    await c.t.dir.addDomainAlias('example.net', 'example.com');
    s = await c.session();
    seen = [];
  });
  afterEach(() => c.close());

  const keep = (r: Res): Res => (seen.push(r), r);
  const get = async (path: string) => keep(await c.http('GET', `/gw${path}`, { Cookie: s.cookie }));
  /** A form post with repeated fields (checkboxes), under /gw, with the session's CSRF token. */
  const form = async (path: string, fields: Array<[string, string]>, csrf: string | null = s.csrf) =>
    keep(await c.http('POST', `/gw${path}`, { 'Content-Type': 'application/x-www-form-urlencoded', Origin: ORIGIN, Cookie: s.cookie }, new URLSearchParams([...(csrf === null ? [] : [['csrf', csrf] as [string, string]]), ...fields]).toString()));
  const api = async (method: string, path: string, body?: unknown, who: Session | { token: string } = s) => keep(await c.api(method, path, who, body));
  const addForm = (address: string, more: Array<[string, string]> = []) =>
    form('/mailboxes', [['address', address], ['password', ALICE_PW], ['protocols', 'imap'], ['protocols', 'smtp'], ['networks', '192.0.2.0/24, 2001:DB8::/32'], ['enabled', '1'], ...more]);

  /** No answer seen holds a password, a stored hash, a ciphertext or key material. */
  async function assertNoSecrets(): Promise<void> {
    const stored = await c.t.dir.listMailboxes();
    const secrets = [ALICE_PW, BOB_PW, APOP, TEST_PASSWORD, ...keySpellings(keys)];
    for (const m of stored) {
      if (m.passwordHash) secrets.push(m.passwordHash, m.passwordHash.split('$').pop() as string);
      if (m.reversibleSecret) secrets.push(m.reversibleSecret);
    }
    for (const r of seen) for (const x of secrets) assert.ok(!r.body.includes(x), `an answer holds a secret (${x.slice(0, 12)}…): ${r.body.slice(0, 200)}`);
    for (const x of [ALICE_PW, BOB_PW, APOP]) assert.ok(!c.logText().includes(x), 'no password in the log');
  }

  it('adds a mailbox with the form: argon2id hash, normalised values, 303 to its page, an audit line; the password is never shown', async () => {
    const r = await addForm(' Alice@Example.COM ');
    assert.equal(r.status, 303, r.body);
    assert.equal(r.headers.location, 'http://console.test/gw/mailboxes/alice%40example.com?done=added');
    const m = await c.t.dir.getMailbox('alice@example.com');
    assert.ok(m);
    assert.match(m.passwordHash ?? '', /^\{ARGON2ID\}\$argon2id\$v=19\$/);
    assert.ok(await verifyPassword(m.passwordHash as string, Buffer.from(ALICE_PW)), 'the typed password verifies');
    assert.deepEqual(m.protocols, ['imap', 'smtp']);
    assert.deepEqual(m.networks, ['192.0.2.0/24', '2001:db8::/32']);
    assert.equal(m.enabled, true);
    const page = await get('/mailboxes/alice%40example.com?done=added');
    assert.equal(page.status, 200);
    assert.match(page.body, /role="status">Mailbox added\.</);
    assert.match(page.body, /data-role="password"><code>ARGON2ID<\/code> hash/);
    assert.match(page.body, /<a class="button" href="http:\/\/console\.test\/gw\/mailboxes\/alice%40example\.com\/app-passwords">App passwords<\/a>/);
    assert.ok(c.logs.some((l) => l.event === 'admin-mailbox-added' && l.mailbox === 'alice@example.com' && l.with_password === true && l.via === 'form' && l.admin === 'root'));
    const none = await form('/mailboxes', [['address', 'nopw@example.com'], ['password', ''], ['protocols', 'imap']]);
    assert.equal(none.status, 303, 'an empty password field: no password logins');
    const created = await c.t.dir.getMailbox('nopw@example.com');
    assert.equal(created?.passwordHash, null);
    assert.equal(created?.enabled, false, 'the unticked Enabled box creates it disabled');
    await assertNoSecrets();
  });

  it('the API adds the same mailbox the form does; GET answers the same detail the page shows', async () => {
    await addForm('alice@example.com');
    const r = await api('POST', '/mailboxes', { address: 'bob@example.com', password: BOB_PW, protocols: ['smtp', 'imap'], networks: ['192.0.2.0/24', '2001:DB8::/32'] });
    assert.equal(r.status, 201, r.body);
    const strip = (d: Record<string, unknown>) => {
      const { address: _a, createdAt: _c, updatedAt: _u, loginAtBackend: _l, ...rest } = d;
      return rest;
    };
    const alice = JSON.parse((await api('GET', '/mailboxes/alice%40example.com')).body);
    const bob = JSON.parse(r.body);
    assert.deepEqual(strip(bob), strip(alice));
    assert.deepEqual(bob.networks, ['192.0.2.0/24', '2001:db8::/32'], 'normalised as the form\'s are');
    assert.equal(bob.passwordScheme, 'ARGON2ID');
    assert.ok(await verifyPassword((await c.t.dir.getMailbox('bob@example.com'))!.passwordHash as string, Buffer.from(BOB_PW)));
    assert.ok(c.logs.some((l) => l.event === 'admin-mailbox-added' && l.mailbox === 'bob@example.com' && l.via === 'session'));
    await assertNoSecrets();
  });

  it('refuses a duplicate, an alias address, an invalid address, an unserved domain, a bad network and a bad password, with the values kept (never the password)', async () => {
    await addForm('alice@example.com');
    await c.t.dir.addAlias('info@example.com', 'alice@example.com');
    const cases: Array<[string, Array<[string, string]>, number, string]> = [
      ['alice@example.com', [], 409, 'exists'],
      ['info@example.com', [], 409, 'exists'],
      ['not an address', [], 400, 'invalid'],
      ['carol@unserved.example', [], 404, 'not-found'],
    ];
    for (const [address, more, status, code] of cases) {
      const r = await addForm(address, more);
      assert.equal(r.status, status, `${address}: ${r.body.slice(0, 300)}`);
      assert.equal(pageCode(r), code, address);
      assert.match(r.body, new RegExp(`id="address" name="address" type="text" value="${address.replace(/\./g, '\\.')}"`), 'the address is kept');
      assert.match(r.body, /<input type="checkbox" id="new-imap" name="protocols" value="imap" checked>/);
      assert.match(r.body, /<input type="checkbox" id="new-pop3" name="protocols" value="pop3">/, 'unticked stays unticked');
      assert.match(r.body, /value="192\.0\.2\.0\/24, 2001:DB8::\/32"/, 'the networks as typed');
    }
    const unserved = await addForm('carol@unserved.example');
    assert.match(unserved.body, /How to fix:<\/strong> add the domain first on the Domains page/);
    const badNet = await form('/mailboxes', [['address', 'carol@example.com'], ['protocols', 'imap'], ['networks', '10.0.0.1/8']]);
    assert.equal(badNet.status, 400);
    assert.match(badNet.body, /has host bits set: did you mean &quot;10\.0\.0\.0\/8&quot;/);
    const noProtocol = await form('/mailboxes', [['address', 'carol@example.com']]);
    assert.equal(pageCode(noProtocol), 'invalid');
    assert.match(noProtocol.body, /at least one protocol is required/);
    const badPw = await api('POST', '/mailboxes', { address: 'carol@example.com', password: 'line\nbreak' });
    assert.equal(badPw.status, 400);
    assert.equal(codeOf(badPw), 'invalid');
    assert.match(JSON.parse(badPw.body).error.message, /control character/);
    // The API gives the same codes and statuses as the page.
    const dupApi = await api('POST', '/mailboxes', { address: 'alice@example.com' });
    assert.deepEqual([dupApi.status, codeOf(dupApi)], [409, 'exists']);
    const unservedApi = await api('POST', '/mailboxes', { address: 'carol@unserved.example' });
    assert.deepEqual([unservedApi.status, codeOf(unservedApi)], [404, 'not-found']);
    const invalidApi = await api('POST', '/mailboxes', { address: 'nope' });
    assert.deepEqual([invalidApi.status, codeOf(invalidApi)], [400, 'invalid']);
    const badBody = await api('POST', '/mailboxes', { address: 'carol@example.com', protocols: ['imap', 'nntp'] });
    assert.deepEqual([badBody.status, codeOf(badBody)], [400, 'invalid-body']);
    const extra = await api('POST', '/mailboxes', { address: 'carol@example.com', passwordHash: '{PLAIN}x' });
    assert.deepEqual([extra.status, codeOf(extra)], [400, 'invalid-body'], 'a hash cannot be smuggled in');
    assert.equal(await c.t.dir.getMailbox('carol@example.com'), null);
    await assertNoSecrets();
  });

  it('without the CSRF token nothing is added, changed or deleted', async () => {
    await addForm('alice@example.com');
    const before = await c.t.dir.getMailbox('alice@example.com');
    const add = await form('/mailboxes', [['address', 'eve@example.com'], ['protocols', 'imap']], null);
    assert.deepEqual([add.status, pageCode(add)], [403, 'csrf-token-mismatch']);
    for (const [path, fields] of [
      ['/mailboxes/alice%40example.com/settings', [['protocols', 'pop3']]],
      ['/mailboxes/alice%40example.com/password', [['password', 'evil password']]],
      ['/mailboxes/alice%40example.com/state', [['enabled', '0'], ['return', 'mailbox']]],
      ['/mailboxes/alice%40example.com/credential/clear', []],
      ['/mailboxes/alice%40example.com/delete', []],
    ] as Array<[string, Array<[string, string]>]>) {
      const r = await form(path, fields, null);
      assert.deepEqual([r.status, pageCode(r)], [403, 'csrf-token-mismatch'], path);
    }
    const apiAdd = await c.api('POST', '/mailboxes', s, { address: 'eve@example.com' }, { csrf: null });
    assert.deepEqual([apiAdd.status, codeOf(apiAdd)], [403, 'csrf-token-mismatch']);
    const apiDel = await c.api('DELETE', '/mailboxes/alice%40example.com', s, undefined, { csrf: null });
    assert.equal(apiDel.status, 403);
    assert.equal(await c.t.dir.getMailbox('eve@example.com'), null);
    assert.deepEqual(await c.t.dir.getMailbox('alice@example.com'), before);
  });

  it('lists with a search and a domain filter (page and API); an unknown domain is said, not a crash', async () => {
    for (const a of ['alice@example.com', 'albert@example.org', 'bob@example.com']) await c.t.dir.addMailbox({ address: a, passwordHash: null });
    const rows = (r: Res) => [...r.body.matchAll(/<tr data-address="([^"]+)">/g)].map((m) => m[1]);
    assert.deepEqual(rows(await get('/mailboxes')), ['albert@example.org', 'alice@example.com', 'bob@example.com']);
    const q = await get('/mailboxes?q=AL');
    assert.deepEqual(rows(q), ['albert@example.org', 'alice@example.com']);
    assert.match(q.body, /id="q" name="q" type="search" value="AL"/);
    const d = await get('/mailboxes?q=&domain=example.com');
    assert.deepEqual(rows(d), ['alice@example.com', 'bob@example.com']);
    assert.match(d.body, /<option value="example\.com" selected>example\.com<\/option>/);
    assert.deepEqual(rows(await get('/mailboxes?q=al&domain=example.net')), ['alice@example.com'], 'a domain alias lists its domain');
    const none = await get('/mailboxes?q=zzz');
    assert.match(none.body, /No mailbox matches\./);
    const unknown = await get('/mailboxes?domain=nope.example');
    assert.equal(unknown.status, 200);
    assert.equal(pageCode(unknown), 'not-found');
    const viaApi = JSON.parse((await api('GET', '/mailboxes?q=al&domain=example.org')).body) as Array<{ address: string }>;
    assert.deepEqual(viaApi.map((m) => m.address), ['albert@example.org']);
    assert.equal((await api('GET', '/mailboxes?domain=nope.example')).status, 404);
  });

  it("the mailbox's page shows its state, route, backend login, aliases and credential state, never the credential", async () => {
    await addForm('alice@example.com');
    const m = (await c.t.dir.getMailbox('alice@example.com'))!;
    await c.t.dir.setReversibleSecret(m.address, encrypt(ring, 'credentials', Buffer.from(APOP), reversibleSecretBinding(m.id)));
    await c.t.dir.addAlias('info@example.com', m.address);
    await c.t.dir.addBackend({ name: 'imap1', host: '10.0.0.11', ports: { imap: 143 } });
    await c.t.dir.setRoute('domain', 'example.com', 'imap1');
    const page = await get('/mailboxes/alice%40example.com');
    assert.match(page.body, /data-role="credential">set \(key k1, changed /);
    assert.match(page.body, /data-role="route">backend <strong>imap1<\/strong> <span class="muted">\(the domain route of example\.com\)/);
    assert.match(page.body, /data-role="aliases">info@example\.com</);
    assert.match(page.body, /data-role="login-at-backend">IMAP\/POP3 <code>alice@example\.com<\/code>/);
    const detail = JSON.parse((await api('GET', '/mailboxes/alice%40example.com')).body);
    assert.deepEqual(detail.credential.state, 'set');
    assert.equal(detail.credential.keyId, 'k1');
    assert.equal(detail.reversibleCredential, true);
    assert.deepEqual(detail.route, { kind: 'domain', subject: 'example.com', backend: 'imap1' });
    const none = await get('/mailboxes/nobody%40example.com');
    assert.equal(none.status, 404);
    assert.equal((await api('GET', '/mailboxes/nobody%40example.com')).status, 404);
    await assertNoSecrets();
  });

  it('the page edits access, the password, the state and the credential; the API PATCH does the same', async () => {
    await addForm('alice@example.com');
    await c.t.dir.addMailbox({ address: 'bob@example.com', passwordHash: await hashPassword(BOB_PW) });
    for (const a of ['alice@example.com', 'bob@example.com']) {
      const m = (await c.t.dir.getMailbox(a))!;
      await c.t.dir.setReversibleSecret(a, encrypt(ring, 'credentials', Buffer.from(APOP), reversibleSecretBinding(m.id)));
    }
    const settings = await form('/mailboxes/alice%40example.com/settings', [['protocols', 'pop3'], ['protocols', 'imap'], ['networks', ''], ['backendLogin', ' alice ']]);
    assert.equal(settings.status, 303, settings.body);
    assert.equal(settings.headers.location, 'http://console.test/gw/mailboxes/alice%40example.com?done=saved');
    const patched = await api('PATCH', '/mailboxes/bob%40example.com', { protocols: ['imap', 'pop3'], networks: [], backendLogin: 'alice' });
    assert.equal(patched.status, 200, patched.body);
    const after = async (a: string) => {
      const { id: _i, address: _a, createdAt: _c, updatedAt: _u, passwordHash: _p, reversibleSecret: _r, secretChangedAt: _s, ...rest } = (await c.t.dir.getMailbox(a))!;
      return rest;
    };
    assert.deepEqual(await after('alice@example.com'), await after('bob@example.com'), 'the form and PATCH made the same change');
    assert.deepEqual((await c.t.dir.getMailbox('alice@example.com'))?.protocols, ['imap', 'pop3']);
    assert.equal((await c.t.dir.getMailbox('alice@example.com'))?.backendLogin, 'alice');

    const bad = await form('/mailboxes/alice%40example.com/settings', [['protocols', 'smtp'], ['networks', '192.0.2.300'], ['backendLogin', '']]);
    assert.equal(bad.status, 400);
    assert.equal(pageCode(bad), 'invalid');
    assert.match(bad.body, /id="edit-networks" name="networks" type="text" value="192\.0\.2\.300"/, 'what was typed comes back');
    assert.match(bad.body, /<input type="checkbox" id="edit-smtp" name="protocols" value="smtp" checked>/);
    assert.match(bad.body, /<input type="checkbox" id="edit-imap" name="protocols" value="imap">/);
    assert.deepEqual((await c.t.dir.getMailbox('alice@example.com'))?.protocols, ['imap', 'pop3'], 'nothing changed');
    const badApi = await api('PATCH', '/mailboxes/alice%40example.com', { networks: ['192.0.2.300'] });
    assert.deepEqual([badApi.status, codeOf(badApi)], [400, 'invalid']);

    const NEW = 'a brand new one';
    const pw = await form('/mailboxes/alice%40example.com/password', [['password', NEW]]);
    assert.equal(pw.headers.location, 'http://console.test/gw/mailboxes/alice%40example.com?done=password');
    assert.ok(await verifyPassword((await c.t.dir.getMailbox('alice@example.com'))!.passwordHash as string, Buffer.from(NEW)));
    const empty = await form('/mailboxes/alice%40example.com/password', [['password', '']]);
    assert.deepEqual([empty.status, pageCode(empty)], [400, 'invalid']);
    assert.match(empty.body, /<section class="card" aria-labelledby="password-title"><h2 id="password-title">Password<\/h2>\n<div class="error" role="alert" data-code="invalid"><p><code class="code">invalid<\/code> the password is empty/);
    const pwApi = await api('PATCH', '/mailboxes/bob%40example.com', { password: NEW });
    assert.equal(pwApi.status, 200);
    assert.ok(await verifyPassword((await c.t.dir.getMailbox('bob@example.com'))!.passwordHash as string, Buffer.from(NEW)));
    assert.ok(!pwApi.body.includes(NEW));

    const off = await form('/mailboxes/alice%40example.com/state', [['enabled', '0'], ['return', 'mailbox']]);
    assert.equal(off.headers.location, 'http://console.test/gw/mailboxes/alice%40example.com?done=disabled');
    assert.equal((await c.t.dir.getMailbox('alice@example.com'))?.enabled, false);
    const fromList = await form('/mailboxes/alice%40example.com/state', [['enabled', '1']]);
    assert.equal(fromList.headers.location, 'http://console.test/gw/mailboxes?changed=alice%40example.com&enabled=1', 'the list keeps its own redirect');
    const badState = await form('/mailboxes/alice%40example.com/state', [['enabled', 'yes']]);
    assert.deepEqual([badState.status, pageCode(badState)], [400, 'invalid-form']);

    const clear = await form('/mailboxes/alice%40example.com/credential/clear', []);
    assert.equal(clear.headers.location, 'http://console.test/gw/mailboxes/alice%40example.com?done=credential-cleared');
    assert.equal((await c.t.dir.getMailbox('alice@example.com'))?.reversibleSecret, null);
    const clearApi = await api('PATCH', '/mailboxes/bob%40example.com', { reversibleCredential: false });
    assert.equal(JSON.parse(clearApi.body).credential.state, 'not-set');
    assert.equal((await c.t.dir.getMailbox('bob@example.com'))?.reversibleSecret, null);
    const setViaApi = await api('PATCH', '/mailboxes/bob%40example.com', { reversibleCredential: true });
    assert.deepEqual([setViaApi.status, codeOf(setViaApi)], [400, 'invalid-body'], 'a credential is set on the server, not through the API');
    const nothing = await api('PATCH', '/mailboxes/bob%40example.com', {});
    assert.deepEqual([nothing.status, codeOf(nothing)], [400, 'nothing-to-change']);
    const missing = await api('PATCH', '/mailboxes/nobody%40example.com', { enabled: true });
    assert.equal(missing.status, 404);

    const changed = c.logs.filter((l) => l.event === 'admin-mailbox-changed').map((l) => [l.mailbox, (l.changed as string[]).join(','), l.via]);
    assert.deepEqual(changed, [
      ['alice@example.com', 'protocols,networks,backendLogin', 'form'],
      ['bob@example.com', 'protocols,networks,backendLogin', 'session'],
      ['alice@example.com', 'password', 'form'],
      ['bob@example.com', 'password', 'session'],
      ['alice@example.com', 'enabled', 'form'],
      ['alice@example.com', 'enabled', 'form'],
      ['alice@example.com', 'clearCredential', 'form'],
      ['bob@example.com', 'clearCredential', 'session'],
    ]);
    await assertNoSecrets();
  });

  it('deletes after a confirmation page (form and API), with its aliases; a token needs no CSRF', async () => {
    await addForm('alice@example.com');
    await c.t.dir.addAlias('info@example.com', 'alice@example.com');
    await c.t.dir.addMailbox({ address: 'bob@example.com', passwordHash: null });
    const confirm = await get('/mailboxes/alice%40example.com/delete');
    assert.equal(confirm.status, 200);
    assert.match(confirm.body, /<h1 id="confirm-title">Delete alice@example\.com\?<\/h1>/);
    assert.match(confirm.body, /1 alias: info@example\.com/);
    assert.match(confirm.body, /<button type="submit" class="button danger">Delete alice@example\.com<\/button>/);
    assert.ok(await c.t.dir.getMailbox('alice@example.com'), 'showing the confirmation deletes nothing');
    const del = await form('/mailboxes/alice%40example.com/delete', []);
    assert.equal(del.status, 303);
    assert.equal(del.headers.location, 'http://console.test/gw/mailboxes?deleted=alice%40example.com');
    assert.equal(await c.t.dir.getMailbox('alice@example.com'), null);
    assert.deepEqual(await c.t.dir.listAliases(), []);
    assert.match((await get('/mailboxes?deleted=alice%40example.com')).body, /role="status">Deleted mailbox alice@example\.com\.</);
    const again = await form('/mailboxes/alice%40example.com/delete', []);
    assert.equal(again.status, 404);

    const { token, tokenHash } = newApiToken();
    await c.t.dir.createApiToken('root', 'script', tokenHash);
    const viaToken = await api('DELETE', '/mailboxes/bob%40example.com', undefined, { token });
    assert.equal(viaToken.status, 204);
    assert.equal(await c.t.dir.getMailbox('bob@example.com'), null);
    assert.equal((await api('DELETE', '/mailboxes/bob%40example.com', undefined, { token })).status, 404);
    assert.deepEqual(
      c.logs.filter((l) => l.event === 'admin-mailbox-removed').map((l) => [l.mailbox, l.via]),
      [['alice@example.com', 'form'], ['bob@example.com', 'token']],
    );
  });

  it('the OpenAPI document describes every mailbox and backend operation; passwords are write-only', async () => {
    const doc = JSON.parse((await c.http('GET', '/gw/api/openapi.json')).body);
    const methods = (path: string) => Object.keys(doc.paths[path] ?? {}).sort();
    assert.deepEqual(methods('/mailboxes'), ['get', 'post']);
    assert.deepEqual(methods('/mailboxes/{address}'), ['delete', 'get', 'patch']);
    assert.deepEqual(methods('/backends'), ['get', 'post']);
    assert.deepEqual(methods('/backends/{name}'), ['delete', 'get', 'patch']);
    assert.deepEqual(methods('/backends/{name}/master'), ['delete', 'put']);
    const schemas = doc.components.schemas;
    for (const [schema, field] of [['NewMailbox', 'password'], ['MailboxPatch', 'password'], ['BackendMaster', 'password']] as const) {
      assert.equal(schemas[schema].properties[field].writeOnly, true, `${schema}.${field}`);
    }
    assert.deepEqual(doc.paths['/mailboxes/{address}'].get.responses['200'].content['application/json'].schema, { $ref: '#/components/schemas/MailboxDetail' });
    assert.deepEqual(schemas.MailboxDetail.properties.credential, { $ref: '#/components/schemas/SecretStatus' });
    assert.ok(!JSON.stringify(schemas.MailboxDetail).includes('passwordHash') && !JSON.stringify(schemas.Backend).includes('masterSecret'), 'no answer can hold a hash or a ciphertext');
    assert.equal(doc.paths['/backends/{name}/master'].put.responses['409'].description, 'the vault is off (`vault-off`): configure a key first');
  });

  it('hashes with the argon2 parameters the console is given (serve passes the configured ones)', async () => {
    const t = await openTempDirectory();
    await t.dir.addDomain('example.com');
    const settings = adminSettings(configSchema.parse({ admin: { public_url: 'http://console.test/gw/' } }).admin);
    const params = { memoryKiB: 2048, iterations: 3, parallelism: 1 };
    const server = createConsoleServer({
      settings,
      store: t.dir,
      defence: createLoginDefence(settings.login, createMemoryCounters({ maxKeys: 10, maxMembers: 10 })),
      passwords: { verify: (h, p) => verifyPassword(h, Buffer.from(p)), dummyVerify: (p) => dummyVerify(Buffer.from(p)), hash: (p) => hashPassword(p, params) },
      keyring: null,
      log: createLogger('silent'),
    });
    try {
      const port = (await server.listen('127.0.0.1', 0)).port;
      const { token, tokenHash } = newApiToken();
      await t.dir.addAdmin('root', await hashPassword(TEST_PASSWORD, params));
      await t.dir.createApiToken('root', 'script', tokenHash);
      const r = await consoleClient(() => port)('POST', '/gw/api/v1/mailboxes', { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, JSON.stringify({ address: 'a@example.com', password: ALICE_PW }));
      assert.equal(r.status, 201, r.body);
      assert.match((await t.dir.getMailbox('a@example.com'))?.passwordHash ?? '', /^\{ARGON2ID\}\$argon2id\$v=19\$m=2048,t=3,p=1\$/);
    } finally {
      await server.close();
      await t.cleanup();
    }
  });
});
