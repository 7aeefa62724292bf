/**
 * The Domains page and /api/v1/domains over real sockets with a real SQLite directory: domains
 * listed with their domain aliases and counts, added and removed by the page's forms and by the
 * API (the same store calls, the same audit line), and every refusal with its stable code: an
 * invalid name, a duplicate, a domain still in use, an unknown one, and a change without the
 * CSRF token.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { newApiToken } from '../admin/index.js';
import { codeOf, pageCode, startTestConsole, type Session, type TestConsole } from './test-console.js';

describe('console domains', () => {
  let c: TestConsole;
  let s: Session;

  beforeEach(async () => {
    c = await startTestConsole();
    await c.t.dir.addDomain('example.com');
    await c.t.dir.addDomainAlias('example.net', 'example.com');
    await c.t.dir.addMailbox({ address: 'alice@example.com', passwordHash: null });
    await c.t.dir.addMailbox({ address: 'bob@example.com', passwordHash: null });
    await c.t.dir.addAlias('info@example.com', 'alice@example.com');
    s = await c.session();
  });
  afterEach(() => c.close());

  const names = async () => (await c.t.dir.listDomains()).map((d) => d.name);

  it('lists each domain with its domain aliases, mailbox and alias counts', async () => {
    await c.t.dir.addDomain('empty.example');
    // The counts come from the directory's count query: the page never lists every mailbox or alias.
    c.t.dir.listMailboxes = () => Promise.reject(new Error('the domains page must not list mailboxes'));
    c.t.dir.listAliases = () => Promise.reject(new Error('the domains page must not list aliases'));
    const page = await c.http('GET', '/gw/domains', { Cookie: s.cookie });
    assert.equal(page.status, 200);
    assert.match(page.body, /<a href="http:\/\/console\.test\/gw\/domains" aria-current="page">Domains<\/a>/);
    const row = /<tr data-domain="example\.com">([\s\S]*?)<\/tr>/.exec(page.body)?.[1] ?? assert.fail('no row for example.com');
    assert.match(row, /<div data-alias="example\.net"><code>example\.net<\/code>/);
    assert.match(row, /data-role="mailboxes">2</);
    assert.match(row, /data-role="aliases">1</);
    assert.match(row, /aria-label="Remove the domain alias example\.net"/);
    assert.match(page.body, /<tr data-domain="empty\.example">[\s\S]*?data-role="mailboxes">0</);
    const api = JSON.parse((await c.api('GET', '/domains', s)).body);
    assert.deepEqual(api.map((d: { name: string; aliases: string[]; mailboxes: number; addressAliases: number }) => [d.name, d.aliases, d.mailboxes, d.addressAliases]), [
      ['empty.example', [], 0, 0],
      ['example.com', ['example.net'], 2, 1],
    ]);
  });

  it('the page adds a domain (303 with a flash, an audit line); an invalid or duplicate name comes back with its code and what was typed', async () => {
    const ok = await c.post(s, '/domains', { name: ' Example.ORG ' });
    assert.equal(ok.status, 303, ok.body);
    assert.equal(ok.headers.location, 'http://console.test/gw/domains?added=example.org');
    assert.deepEqual(await names(), ['example.com', 'example.org']);
    const after = await c.http('GET', String(ok.headers.location).replace('http://console.test', ''), { Cookie: s.cookie });
    assert.match(after.body, /role="status">Added domain example\.org\.</);
    assert.ok(c.logs.some((l) => l.event === 'admin-domain-added' && l.domain === 'example.org' && l.admin === 'root' && l.via === 'form' && l.client_ip === '127.0.0.1'));

    const bad = await c.post(s, '/domains', { name: 'not a domain!' });
    assert.equal(bad.status, 400);
    assert.equal(pageCode(bad), 'invalid');
    assert.match(bad.body, /id="domain-name" name="name" type="text" value="not a domain!"[^>]*aria-invalid="true"/, 'the field keeps what was typed');
    const dup = await c.post(s, '/domains', { name: 'example.org' });
    assert.equal(dup.status, 409);
    assert.equal(pageCode(dup), 'exists');
    const isAlias = await c.post(s, '/domains', { name: 'example.net' });
    assert.equal(pageCode(isAlias), 'exists');
    assert.match(isAlias.body, /already an alias of domain &quot;example\.com&quot;/);
    assert.deepEqual(await names(), ['example.com', 'example.org']);
  });

  it('without the CSRF token (or from another origin) the page changes nothing', async () => {
    const noToken = await c.post(s, '/domains', { name: 'example.org' }, { csrf: null });
    assert.equal(noToken.status, 403);
    assert.equal(pageCode(noToken), 'csrf-token-mismatch');
    const cross = await c.http('POST', '/gw/domains', { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'http://evil.test', Cookie: s.cookie }, new URLSearchParams({ csrf: s.csrf, name: 'example.org' }).toString());
    assert.equal(cross.status, 403);
    const removeNoToken = await c.post(s, '/domains/example.com/remove', {}, { csrf: null });
    assert.equal(removeNoToken.status, 403);
    assert.deepEqual(await names(), ['example.com']);
  });

  it('removing a domain that mailboxes use is refused with in-use, saying what to do; an empty one goes with its domain aliases', async () => {
    const refused = await c.post(s, '/domains/example.com/remove');
    assert.equal(refused.status, 409);
    assert.equal(pageCode(refused), 'in-use');
    assert.match(refused.body, /still has 2 mailboxes and 1 alias/);
    assert.match(refused.body, /How to fix:<\/strong> remove or move the mailboxes and aliases of the domain first/);
    assert.deepEqual(await names(), ['example.com']);
    const api = await c.api('DELETE', '/domains/example.com', s);
    assert.equal(api.status, 409);
    assert.equal(codeOf(api), 'in-use');

    await c.t.dir.removeAlias('info@example.com');
    await c.t.dir.removeMailbox('alice@example.com');
    await c.t.dir.removeMailbox('bob@example.com');
    const ok = await c.post(s, '/domains/example.com/remove');
    assert.equal(ok.status, 303, ok.body);
    assert.equal(ok.headers.location, 'http://console.test/gw/domains?removed=example.com');
    assert.deepEqual(await c.t.dir.listDomains(), []);
    assert.equal(await c.t.dir.findDomain('example.net'), null, 'its domain alias went with it');
    assert.ok(c.logs.some((l) => l.event === 'admin-domain-removed' && l.domain === 'example.com' && l.via === 'form'));
    const gone = await c.post(s, '/domains/example.com/remove');
    assert.equal(gone.status, 404);
    assert.equal(pageCode(gone), 'not-found');
  });

  it('the page adds and removes domain aliases; an alias of an unknown domain or a taken name is refused', async () => {
    await c.t.dir.addDomain('example.org');
    const ok = await c.post(s, '/domain-aliases', { alias: 'Example.EDU', domain: 'example.org' });
    assert.equal(ok.status, 303, ok.body);
    assert.equal(ok.headers.location, 'http://console.test/gw/domains?alias-added=example.edu&of=example.org');
    assert.equal((await c.t.dir.findDomain('example.edu'))?.name, 'example.org');
    const page = await c.http('GET', '/gw/domains?alias-added=example.edu&of=example.org', { Cookie: s.cookie });
    assert.match(page.body, /example\.edu is now an alias of example\.org\./);

    const unknown = await c.post(s, '/domain-aliases', { alias: 'example.info', domain: 'nowhere.example' });
    assert.equal(unknown.status, 404);
    assert.equal(pageCode(unknown), 'not-found');
    assert.match(unknown.body, /value="example\.info"/, 'the alias field keeps what was typed');
    const taken = await c.post(s, '/domain-aliases', { alias: 'example.net', domain: 'example.org' });
    assert.equal(taken.status, 409);
    assert.equal(pageCode(taken), 'exists');

    const removed = await c.post(s, '/domain-aliases/example.edu/remove');
    assert.equal(removed.status, 303);
    assert.equal(await c.t.dir.findDomain('example.edu'), null);
    assert.ok(c.logs.some((l) => l.event === 'admin-domain-alias-removed' && l.alias === 'example.edu'));
    const again = await c.post(s, '/domain-aliases/example.edu/remove');
    assert.equal(again.status, 404);
    assert.equal(pageCode(again), 'not-found');
  });

  it('the API adds and removes domains and domain aliases with a session (CSRF token required) or a Bearer token', async () => {
    const noCsrf = await c.api('POST', '/domains', s, { name: 'example.org' }, { csrf: null });
    assert.equal(noCsrf.status, 403);
    assert.equal(codeOf(noCsrf), 'csrf-token-mismatch');
    const created = await c.api('POST', '/domains', s, { name: 'Example.org' });
    assert.equal(created.status, 201, created.body);
    assert.deepEqual({ ...JSON.parse(created.body), createdAt: 'x' }, { name: 'example.org', aliases: [], mailboxes: 0, addressAliases: 0, createdAt: 'x' });
    assert.ok(c.logs.some((l) => l.event === 'admin-domain-added' && l.domain === 'example.org' && l.via === 'session'));
    assert.equal(codeOf(await c.api('POST', '/domains', s, { name: 'example.org' })), 'exists');
    assert.equal(codeOf(await c.api('POST', '/domains', s, { name: '-bad-' })), 'invalid');
    assert.equal(codeOf(await c.api('POST', '/domains', s, { domain: 'x.example' })), 'invalid-body');

    const { token, tokenHash } = newApiToken();
    await c.t.dir.createApiToken('root', 'script', tokenHash);
    const bearer = { token };
    const alias = await c.api('POST', '/domains/example.org/aliases', bearer, { alias: 'example.edu' });
    assert.equal(alias.status, 201, alias.body);
    assert.deepEqual(JSON.parse(alias.body), { alias: 'example.edu', domain: 'example.org' });
    assert.ok(c.logs.some((l) => l.event === 'admin-domain-alias-added' && l.alias === 'example.edu' && l.domain === 'example.org' && l.via === 'token'));
    assert.equal((await c.api('POST', '/domains/nowhere.example/aliases', bearer, { alias: 'example.info' })).status, 404);
    assert.equal((await c.api('POST', '/domains/example.org/aliases', bearer, { alias: 'example.net' })).status, 409);

    assert.equal((await c.api('DELETE', '/domain-aliases/example.edu', bearer)).status, 204);
    assert.equal(codeOf(await c.api('DELETE', '/domain-aliases/example.edu', bearer)), 'not-found');
    assert.equal((await c.api('DELETE', '/domains/example.org', bearer)).status, 204);
    assert.equal((await c.api('DELETE', '/domains/example.org', bearer)).status, 404);
    assert.equal(codeOf(await c.api('DELETE', '/domains/example.net', bearer)), 'invalid', 'the name of a domain alias is not a domain');
    assert.deepEqual(await names(), ['example.com']);
  });

  it('the OpenAPI document describes the domain routes', async () => {
    const doc = JSON.parse((await c.http('GET', '/gw/api/openapi.json')).body);
    assert.deepEqual(Object.keys(doc.paths['/domains']).sort(), ['get', 'post']);
    assert.deepEqual(Object.keys(doc.paths['/domains/{name}']), ['delete']);
    assert.deepEqual(Object.keys(doc.paths['/domains/{name}/aliases']), ['post']);
    assert.deepEqual(Object.keys(doc.paths['/domain-aliases/{alias}']), ['delete']);
    assert.ok(doc.paths['/domains/{name}'].delete.responses['409']);
    assert.deepEqual(doc.components.schemas.NewDomain, { type: 'object', properties: { name: { type: 'string', description: 'e.g. example.com' } }, required: ['name'], additionalProperties: false });
    assert.ok(doc.components.schemas.Domain.properties.mailboxes);
  });
});
