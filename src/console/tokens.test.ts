/**
 * The API tokens page and /api/v1/tokens over real sockets with a real SQLite directory: a token
 * created in the page or through the API works as `Authorization: Bearer` at once and stops at
 * its revocation; its value is in the creation answer and nowhere else (no page, listing, log or
 * redirect); an admin sees and revokes only their own tokens; a token cannot mint tokens.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { newApiToken } from '../admin/index.js';
import { codeOf, pageCode, startTestConsole, type Session, type TestConsole } from './test-console.js';

describe('console API tokens', () => {
  let c: TestConsole;
  let s: Session;

  beforeEach(async () => {
    c = await startTestConsole({ admins: ['root', 'eve'] });
    await c.t.dir.addDomain('example.com');
    s = await c.session();
  });
  afterEach(() => c.close());

  const worksAsBearer = async (token: string) => (await c.api('GET', '/domains', { token })).status === 200;

  it('the page creates a token shown once, which works at once as a Bearer token and stops when revoked in the page', async () => {
    const empty = await c.http('GET', '/gw/tokens', { Cookie: s.cookie });
    assert.equal(empty.status, 200);
    assert.match(empty.body, /<a href="http:\/\/console\.test\/gw\/tokens" aria-current="page">API tokens<\/a>/);
    assert.match(empty.body, /No API tokens yet\./);

    const made = await c.post(s, '/tokens', { label: 'backup script' });
    assert.equal(made.status, 200, 'the answer itself shows the token: no redirect that could carry it');
    assert.equal(made.headers.location, undefined);
    assert.equal(made.headers['cache-control'], 'no-store');
    assert.match(made.body, /you will not see it again/);
    const token = /data-role="new-token">(postern_[A-Za-z0-9_-]{43})</.exec(made.body)?.[1] ?? assert.fail('no token on the page');
    assert.equal(await worksAsBearer(token), true, 'usable right away');

    const list = await c.http('GET', '/gw/tokens', { Cookie: s.cookie });
    const row = /<tr data-token="(\d+)">([\s\S]*?)<\/tr>/.exec(list.body) ?? assert.fail('no token row');
    assert.match(row[2] as string, /<th scope="row">backup script<\/th>/);
    assert.match(row[2] as string, /data-role="state">Active</);
    assert.doesNotMatch(row[2] as string, /never/, 'used once already');
    const id = row[1] as string;
    assert.ok(c.logs.some((l) => l.event === 'admin-token-created' && l.token_id === Number(id) && l.label === 'backup script' && l.via === 'form'));

    const revoked = await c.post(s, `/tokens/${id}/revoke`);
    assert.equal(revoked.status, 303);
    assert.equal(revoked.headers.location, `http://console.test/gw/tokens?revoked=${id}`);
    assert.equal(await worksAsBearer(token), false, 'refused at once');
    const after = await c.http('GET', `/gw/tokens?revoked=${id}`, { Cookie: s.cookie });
    assert.match(after.body, new RegExp(`Revoked API token ${id}`));
    assert.match(after.body, /data-role="state">Revoked</);
    assert.doesNotMatch(after.body, /aria-label="Revoke the token/, 'no Revoke button on a revoked token');

    // The value was in the creation answer only.
    const elsewhere = [list.body, after.body, (await c.http('GET', '/gw/sessions', { Cookie: s.cookie })).body, (await c.api('GET', '/tokens', s)).body, c.logText()];
    for (const text of elsewhere) assert.ok(!text.includes(token), 'the token value appears nowhere else');
  });

  it('the sessions page links to the tokens page instead of listing tokens', async () => {
    const { tokenHash } = newApiToken();
    await c.t.dir.createApiToken('root', 'listed elsewhere', tokenHash);
    const page = await c.http('GET', '/gw/sessions', { Cookie: s.cookie });
    assert.equal(page.status, 200);
    assert.match(page.body, /<a href="http:\/\/console\.test\/gw\/tokens">your API tokens<\/a>/);
    assert.doesNotMatch(page.body, /listed elsewhere/);
  });

  it('the page refuses an empty label and a token of another admin; nothing without the CSRF token', async () => {
    const empty = await c.post(s, '/tokens', { label: '   ' });
    assert.equal(empty.status, 400);
    assert.equal(pageCode(empty), 'invalid');
    assert.doesNotMatch(empty.body, /data-role="new-token"/);
    const noToken = await c.post(s, '/tokens', { label: 'x' }, { csrf: null });
    assert.equal(noToken.status, 403);
    assert.equal(pageCode(noToken), 'csrf-token-mismatch');
    assert.deepEqual(await c.t.dir.listApiTokens('root'), []);

    const { token, tokenHash } = newApiToken();
    const eves = await c.t.dir.createApiToken('eve', 'eve only', tokenHash);
    const list = await c.http('GET', '/gw/tokens', { Cookie: s.cookie });
    assert.doesNotMatch(list.body, /eve only/, "another admin's tokens are not listed");
    const steal = await c.post(s, `/tokens/${eves.id}/revoke`);
    assert.equal(steal.status, 404);
    assert.equal(pageCode(steal), 'token-not-found');
    assert.equal(await worksAsBearer(token), true, "another admin's token is not revoked");
    assert.equal(pageCode(await c.post(s, '/tokens/abc/revoke')), 'token-not-found');
  });

  it('the API creates (with a session only), lists and revokes own tokens; never another admin\'s', async () => {
    assert.equal(codeOf(await c.api('POST', '/tokens', s, { label: 'ci' }, { csrf: null })), 'csrf-token-mismatch');
    const created = await c.api('POST', '/tokens', s, { label: 'ci' });
    assert.equal(created.status, 201, created.body);
    const body = JSON.parse(created.body) as { id: number; label: string; state: string; lastUsedAt: null; token: string };
    assert.equal(body.label, 'ci');
    assert.equal(body.state, 'active');
    assert.equal(body.lastUsedAt, null);
    assert.match(body.token, /^postern_[A-Za-z0-9_-]{43}$/);
    assert.ok(c.logs.some((l) => l.event === 'admin-token-created' && l.token_id === body.id && l.via === 'session'));
    const bearer = { token: body.token };
    assert.equal(await worksAsBearer(body.token), true);

    const minted = await c.api('POST', '/tokens', bearer, { label: 'successor' });
    assert.equal(minted.status, 403);
    assert.equal(codeOf(minted), 'token-cannot-create-tokens');
    assert.equal(codeOf(await c.api('POST', '/tokens', s, { label: '' })), 'invalid');
    assert.equal(codeOf(await c.api('POST', '/tokens', s, { name: 'x' })), 'invalid-body');

    const { token: eveToken, tokenHash } = newApiToken();
    const eves = await c.t.dir.createApiToken('eve', 'eve only', tokenHash);
    const listed = JSON.parse((await c.api('GET', '/tokens', bearer)).body) as Array<{ id: number; label: string; token?: string }>;
    assert.deepEqual(listed.map((t) => t.label), ['ci']);
    assert.ok(listed.every((t) => t.token === undefined), 'a listing never holds a value');
    const steal = await c.api('DELETE', `/tokens/${eves.id}`, bearer);
    assert.equal(steal.status, 404);
    assert.equal(codeOf(steal), 'token-not-found');
    assert.equal(await worksAsBearer(eveToken), true);
    assert.equal(codeOf(await c.api('DELETE', '/tokens/0', s)), 'token-not-found');

    assert.equal((await c.api('DELETE', `/tokens/${body.id}`, bearer)).status, 204, 'a token may revoke itself');
    assert.equal(await worksAsBearer(body.token), false);
    assert.equal((await c.api('DELETE', `/tokens/${body.id}`, s)).status, 204, 'revoking again is fine');
    assert.equal(c.logs.filter((l) => l.event === 'admin-token-revoked' && l.token_id === body.id).length, 1);
    assert.ok(!c.logText().includes(body.token), 'the log never holds the value');
  });

  it('the OpenAPI document describes the token routes', async () => {
    const doc = JSON.parse((await c.http('GET', '/gw/api/openapi.json')).body);
    assert.deepEqual(Object.keys(doc.paths['/tokens']).sort(), ['get', 'post']);
    assert.deepEqual(Object.keys(doc.paths['/tokens/{id}']), ['delete']);
    assert.ok(doc.components.schemas.CreatedApiToken.properties.token);
    assert.equal(doc.components.schemas.ApiToken.properties.token, undefined);
  });
});
