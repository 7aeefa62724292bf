/**
 * The Aliases page and /api/v1/aliases over real sockets with a real SQLite directory: aliases
 * listed and filtered by mailbox, added and removed by the page's forms and by the API (the
 * same store calls, the same audit line), and the refusals with their codes: an invalid
 * address, a duplicate, an address that is a mailbox, an unknown mailbox, a missing alias, a
 * change without the CSRF token. An alias then really logs in as its mailbox.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { newApiToken } from '../admin/index.js';
import { codeOf, pageCode, startTestConsole, type Session, type TestConsole } from './test-console.js';

describe('console aliases', () => {
  let c: TestConsole;
  let s: Session;

  beforeEach(async () => {
    c = await startTestConsole();
    await c.t.dir.addDomain('example.com');
    await c.t.dir.addMailbox({ address: 'alice@example.com', passwordHash: null });
    await c.t.dir.addMailbox({ address: 'bob@example.com', passwordHash: null });
    await c.t.dir.addAlias('info@example.com', 'alice@example.com');
    await c.t.dir.addAlias('sales@example.com', 'bob@example.com');
    s = await c.session();
  });
  afterEach(() => c.close());

  const aliases = async () => (await c.t.dir.listAliases()).map((a) => [a.address, a.mailboxAddress]);

  it('lists every alias, or those of one mailbox; an unknown mailbox says so', async () => {
    const all = await c.http('GET', '/gw/aliases', { Cookie: s.cookie });
    assert.equal(all.status, 200);
    assert.match(all.body, /<tr data-alias="info@example\.com">\s*<th scope="row">info@example\.com<\/th>\s*<td>alice@example\.com<\/td>/);
    assert.match(all.body, /data-alias="sales@example\.com"/);
    assert.match(all.body, /aria-label="Remove the alias info@example\.com"/);
    const bob = await c.http('GET', '/gw/aliases?mailbox=BOB%40example.com', { Cookie: s.cookie });
    assert.match(bob.body, /Aliases of bob@example\.com/);
    assert.doesNotMatch(bob.body, /data-alias="info@example\.com"/);
    assert.match(bob.body, /data-alias="sales@example\.com"/);
    assert.match(bob.body, /id="alias-mailbox" name="mailbox" type="text" value="bob@example\.com"/, 'the add form is ready for that mailbox');
    const nobody = await c.http('GET', '/gw/aliases?mailbox=nobody%40example.com', { Cookie: s.cookie });
    assert.equal(nobody.status, 404);
    assert.equal(pageCode(nobody), 'not-found');

    const api = await c.api('GET', '/aliases?mailbox=alice@example.com', s);
    assert.deepEqual(JSON.parse(api.body), [{ address: 'info@example.com', mailbox: 'alice@example.com' }]);
    assert.equal((await c.api('GET', '/aliases', s)).body.includes('sales@example.com'), true);
    assert.equal(codeOf(await c.api('GET', '/aliases?mailbox=nobody@example.com', s)), 'not-found');
  });

  it('the page adds an alias that then logs in as its mailbox, and removes it', async () => {
    const ok = await c.post(s, '/aliases', { address: 'Help@Example.com', mailbox: 'alice@example.com' });
    assert.equal(ok.status, 303, ok.body);
    assert.equal(ok.headers.location, 'http://console.test/gw/aliases?added=help%40example.com&to=alice%40example.com');
    const login = await c.t.dir.findLogin('help@example.com');
    assert.equal(login?.mailbox.address, 'alice@example.com');
    assert.equal(login?.via, 'alias');
    const page = await c.http('GET', '/gw/aliases?added=help%40example.com&to=alice%40example.com', { Cookie: s.cookie });
    assert.match(page.body, /help@example\.com now logs in as, and gets the mail of, alice@example\.com\./);
    assert.ok(c.logs.some((l) => l.event === 'admin-alias-added' && l.alias === 'help@example.com' && l.mailbox === 'alice@example.com' && l.via === 'form'));

    const removed = await c.post(s, '/aliases/help%40example.com/remove');
    assert.equal(removed.status, 303);
    assert.equal(await c.t.dir.findLogin('help@example.com'), null);
    assert.ok(c.logs.some((l) => l.event === 'admin-alias-removed' && l.alias === 'help@example.com'));
    const again = await c.post(s, '/aliases/help%40example.com/remove');
    assert.equal(again.status, 404);
    assert.equal(pageCode(again), 'not-found');
  });

  it('the page refuses invalid, duplicate and mailbox addresses and unknown mailboxes, keeping what was typed; nothing without the CSRF token', async () => {
    const invalid = await c.post(s, '/aliases', { address: 'no at sign', mailbox: 'alice@example.com' });
    assert.equal(invalid.status, 400);
    assert.equal(pageCode(invalid), 'invalid');
    assert.match(invalid.body, /value="no at sign"/);
    const dup = await c.post(s, '/aliases', { address: 'info@example.com', mailbox: 'bob@example.com' });
    assert.equal(dup.status, 409);
    assert.equal(pageCode(dup), 'exists');
    assert.match(dup.body, /already an alias of mailbox &quot;alice@example\.com&quot;/);
    const mailbox = await c.post(s, '/aliases', { address: 'bob@example.com', mailbox: 'alice@example.com' });
    assert.equal(pageCode(mailbox), 'exists');
    const unknown = await c.post(s, '/aliases', { address: 'new@example.com', mailbox: 'nobody@example.com' });
    assert.equal(unknown.status, 404);
    assert.match(unknown.body, /value="nobody@example\.com"/);
    const noToken = await c.post(s, '/aliases', { address: 'new@example.com', mailbox: 'alice@example.com' }, { csrf: null });
    assert.equal(noToken.status, 403);
    assert.equal(pageCode(noToken), 'csrf-token-mismatch');
    assert.equal((await c.post(s, '/aliases/info%40example.com/remove', {}, { csrf: null })).status, 403);
    assert.deepEqual(await aliases(), [['info@example.com', 'alice@example.com'], ['sales@example.com', 'bob@example.com']]);
  });

  it('the API adds and removes aliases ("@" as is or as %40) with a session or a token', async () => {
    assert.equal(codeOf(await c.api('POST', '/aliases', s, { address: 'x@example.com', mailbox: 'alice@example.com' }, { csrf: null })), 'csrf-token-mismatch');
    const created = await c.api('POST', '/aliases', s, { address: 'x@example.com', mailbox: 'alice@example.com' });
    assert.equal(created.status, 201, created.body);
    assert.deepEqual(JSON.parse(created.body), { address: 'x@example.com', mailbox: 'alice@example.com' });
    assert.equal(codeOf(await c.api('POST', '/aliases', s, { address: 'x@example.com', mailbox: 'bob@example.com' })), 'exists');
    assert.equal(codeOf(await c.api('POST', '/aliases', s, { address: 'x@example.com' })), 'invalid-body');
    assert.equal(codeOf(await c.api('POST', '/aliases', s, { address: 'y@nowhere.example', mailbox: 'alice@example.com' })), 'not-found');

    const { token, tokenHash } = newApiToken();
    await c.t.dir.createApiToken('root', 'script', tokenHash);
    assert.equal((await c.api('DELETE', '/aliases/x@example.com', { token })).status, 204);
    assert.equal((await c.api('DELETE', '/aliases/sales%40example.com', { token })).status, 204);
    assert.equal(codeOf(await c.api('DELETE', '/aliases/x@example.com', { token })), 'not-found');
    assert.ok(c.logs.some((l) => l.event === 'admin-alias-removed' && l.alias === 'sales@example.com' && l.via === 'token'));
    assert.deepEqual(await aliases(), [['info@example.com', 'alice@example.com']]);
  });

  it('the OpenAPI document describes the alias routes', async () => {
    const doc = JSON.parse((await c.http('GET', '/gw/api/openapi.json')).body);
    assert.deepEqual(Object.keys(doc.paths['/aliases']).sort(), ['get', 'post']);
    assert.deepEqual(Object.keys(doc.paths['/aliases/{address}']), ['delete']);
    assert.equal(doc.paths['/aliases'].get.parameters[0].name, 'mailbox');
    assert.deepEqual(doc.components.schemas.NewAlias.required, ['address', 'mailbox']);
  });
});
