/**
 * The Routes page and /api/v1/routes over real sockets with a real SQLite directory: routes
 * listed most specific first in the store's wording, set with a backend chosen from those that
 * exist and removed, by the page and by the API (the same store calls, the same audit line),
 * and then really applied by the directory's routeFor and unknownRoute. Refusals keep their
 * codes: a subject the kind forbids or lacks, an unknown backend, mailbox or route, a bad kind,
 * a change without the CSRF token.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { newApiToken } from '../admin/index.js';
import { codeOf, pageCode, startTestConsole, type Session, type TestConsole } from './test-console.js';

describe('console routes', () => {
  let c: TestConsole;
  let s: Session;

  beforeEach(async () => {
    c = await startTestConsole();
    await c.t.dir.addDomain('example.com');
    await c.t.dir.addDomain('example.org');
    await c.t.dir.addMailbox({ address: 'alice@example.com', passwordHash: null });
    await c.t.dir.addMailbox({ address: 'bob@example.com', passwordHash: null });
    await c.t.dir.addBackend({ name: 'imap1', host: '10.0.0.11', ports: { imap: 143 } });
    await c.t.dir.addBackend({ name: 'imap2', host: 'mail2.internal', ports: { imap: 143 } });
    await c.t.dir.addBackend({ name: 'legacy', host: '10.0.0.99', ports: { imap: 143 } });
    s = await c.session();
  });
  afterEach(() => c.close());

  const backendOf = async (address: string) => {
    const m = await c.t.dir.getMailbox(address);
    return (await c.t.dir.routeFor(m!))?.name ?? null;
  };

  it('explains precedence and offers the existing backends; with none, says to add one first', async () => {
    const page = await c.http('GET', '/gw/routes', { Cookie: s.cookie });
    assert.equal(page.status, 200);
    assert.match(page.body, /data-role="precedence">A login goes to the backend of its mailbox's own route, else of its domain's route, else of the default route/);
    assert.match(page.body, /<option value="imap2">imap2 \(mail2\.internal\)<\/option>/);
    assert.match(page.body, /No routes yet/);
    for (const name of ['imap1', 'imap2', 'legacy']) await c.t.dir.removeBackend(name);
    const none = await c.http('GET', '/gw/routes', { Cookie: s.cookie });
    assert.match(none.body, /No backends yet/);
    assert.doesNotMatch(none.body, /id="route-backend"/);
  });

  it('the page sets routes that the directory then applies, lists them most specific first, and removes them', async () => {
    const set = (kind: string, subject: string, backend: string) => c.post(s, '/routes', { kind, subject, backend });
    const def = await set('default', '', 'imap1');
    assert.equal(def.status, 303, def.body);
    assert.equal(def.headers.location, 'http://console.test/gw/routes?set=default&subject=&backend=imap1');
    assert.equal(await backendOf('alice@example.com'), 'imap1');
    assert.equal((await set('domain', 'Example.com', 'imap2')).status, 303);
    assert.equal(await backendOf('bob@example.com'), 'imap2', 'the domain beats the default');
    assert.equal((await set('mailbox', 'alice@example.com', 'legacy')).status, 303);
    assert.equal(await backendOf('alice@example.com'), 'legacy', 'the mailbox beats the domain');
    assert.equal((await set('unknown', '', 'legacy')).status, 303);
    assert.equal((await set('unknown', 'example.org', 'imap2')).status, 303);
    assert.equal((await c.t.dir.unknownRoute('example.org'))?.name, 'imap2');
    assert.equal((await c.t.dir.unknownRoute('other.example'))?.name, 'legacy');
    assert.ok(c.logs.some((l) => l.event === 'admin-route-set' && l.kind === 'mailbox' && l.subject === 'alice@example.com' && l.backend === 'legacy' && l.via === 'form'));

    const page = await c.http('GET', '/gw/routes?set=domain&subject=example.com&backend=imap2', { Cookie: s.cookie });
    assert.match(page.body, /Route set: domain example\.com goes to imap2\./);
    const order = [...page.body.matchAll(/<tr data-route="[^"]*">\s*<th scope="row">([^<]+)<\/th>/g)].map((m) => m[1]);
    assert.deepEqual(order, ['mailbox alice@example.com', 'domain example.com', 'default', 'unknown users of example.org', 'unknown users (all domains)']);
    assert.match(page.body, /aria-label="Remove the route of unknown users \(all domains\)"/);

    const repoint = await set('default', '', 'imap2');
    assert.equal(repoint.status, 303);
    assert.equal((await c.t.dir.listRoutes()).filter((r) => r.kind === 'default').length, 1, 'setting again repoints, never duplicates');

    const rm = await c.post(s, '/routes/remove', { kind: 'mailbox', subject: 'alice@example.com' });
    assert.equal(rm.status, 303, rm.body);
    assert.equal(rm.headers.location, 'http://console.test/gw/routes?removed=mailbox&subject=alice%40example.com');
    assert.equal(await backendOf('alice@example.com'), 'imap2');
    assert.ok(c.logs.some((l) => l.event === 'admin-route-removed' && l.kind === 'mailbox' && l.subject === 'alice@example.com'));
    const rmDefault = await c.post(s, '/routes/remove', { kind: 'default', subject: '' });
    assert.equal(rmDefault.status, 303);
    const gone = await c.post(s, '/routes/remove', { kind: 'default', subject: '' });
    assert.equal(gone.status, 404);
    assert.equal(pageCode(gone), 'not-found');
    assert.match(gone.body, /there is no default route/);
  });

  it('removing a route from the page asks first, saying where its logins go afterwards; showing the question removes nothing', async () => {
    for (const [kind, subject, backend] of [['mailbox', 'alice@example.com', 'legacy'], ['domain', 'example.com', 'imap2'], ['default', '', 'imap1'], ['unknown', 'example.org', 'imap2'], ['unknown', '', 'legacy']]) {
      assert.equal((await c.post(s, '/routes', { kind: kind!, subject: subject!, backend: backend! })).status, 303);
    }
    const get = (q: string) => c.http('GET', `/gw/routes/remove?${q}`, { Cookie: s.cookie });
    const list = await c.http('GET', '/gw/routes', { Cookie: s.cookie });
    assert.match(list.body, /<a class="button danger" href="http:\/\/console\.test\/gw\/routes\/remove\?kind=mailbox&amp;subject=alice%40example\.com" aria-label="Remove the route of mailbox alice@example\.com">/);
    assert.doesNotMatch(list.body, /action="http:\/\/console\.test\/gw\/routes\/remove"/, 'no one-click removal on the list');

    const after = async (q: string) => {
      const r = await get(q);
      assert.equal(r.status, 200, r.body);
      return (/<p data-role="after-removal">([\s\S]*?)<\/p>/.exec(r.body)?.[1] ?? assert.fail('no consequence on the page')).replace(/<[^>]+>/g, '');
    };
    const mailbox = await get('kind=mailbox&subject=alice%40example.com');
    assert.match(mailbox.body, /<h1 id="confirm-title">Remove the route of mailbox alice@example\.com\?<\/h1>/);
    assert.match(mailbox.body, /It sends these logins to backend <strong>legacy<\/strong>/);
    assert.match(mailbox.body, /<input type="hidden" name="kind" value="mailbox"><input type="hidden" name="subject" value="alice@example\.com">/);
    assert.match(mailbox.body, /<button type="submit" class="button danger">Remove the route<\/button> <a href="http:\/\/console\.test\/gw\/routes">Cancel<\/a>/);
    assert.equal(await after('kind=mailbox&subject=Alice@Example.com'), 'Logins of alice@example.com then go to backend imap2 (the domain example.com route).');
    assert.equal(await after('kind=domain&subject=example.com'), 'Mailboxes of example.com without a route of their own then go to backend imap1 (the default route).');
    assert.equal(await after('kind=default&subject='), 'Mailboxes without a mailbox or domain route then reach no backend: their logins fail temporarily.');
    assert.equal(await after('kind=unknown&subject=example.org'), 'Users the directory does not know in example.org then go to backend legacy (the unknown users (all domains) route).');
    assert.equal(await after('kind=unknown'), 'Users the directory does not know, in domains without an unknown-user route of their own, are then refused.');
    assert.equal((await c.t.dir.listRoutes()).length, 5, 'asking removes nothing');

    // Confirming posts the form the page holds.
    const form = /<form method="post" action="[^"]+\/routes\/remove" class="buttons"><input type="hidden" name="csrf" value="([^"]+)">/.exec(mailbox.body);
    assert.ok(form, 'the confirmation holds the form with the CSRF token');
    const rm = await c.post(s, '/routes/remove', { kind: 'mailbox', subject: 'alice@example.com' });
    assert.equal(rm.status, 303);
    assert.equal(await backendOf('alice@example.com'), 'imap2');
    // With the domain route gone too, a mailbox route would fall through to the default.
    assert.equal((await c.post(s, '/routes/remove', { kind: 'domain', subject: 'example.com' })).status, 303);
    assert.equal((await c.post(s, '/routes', { kind: 'mailbox', subject: 'bob@example.com', backend: 'legacy' })).status, 303);
    assert.equal(await after('kind=mailbox&subject=bob%40example.com'), 'Logins of bob@example.com then go to backend imap1 (the default route).');
    assert.equal((await c.post(s, '/routes/remove', { kind: 'default', subject: '' })).status, 303);
    assert.equal(await after('kind=mailbox&subject=bob%40example.com'), 'Logins of bob@example.com then reach no backend: they fail temporarily until a route reaches the mailbox.');

    const gone = await get('kind=mailbox&subject=alice%40example.com');
    assert.equal(gone.status, 404);
    assert.equal(pageCode(gone), 'not-found');
    const bad = await get('kind=everyone');
    assert.equal(bad.status, 400);
    assert.equal(pageCode(bad), 'invalid');
  });

  it('the page refuses what the store refuses, keeping what was typed; nothing without the CSRF token', async () => {
    const subjectOnDefault = await c.post(s, '/routes', { kind: 'default', subject: 'example.com', backend: 'imap1' });
    assert.equal(subjectOnDefault.status, 400);
    assert.equal(pageCode(subjectOnDefault), 'invalid');
    assert.match(subjectOnDefault.body, /the default route has no subject/);
    assert.match(subjectOnDefault.body, /<option value="default" selected>/);
    assert.match(subjectOnDefault.body, /value="example\.com"/);
    const noSubject = await c.post(s, '/routes', { kind: 'mailbox', subject: '', backend: 'imap1' });
    assert.equal(pageCode(noSubject), 'invalid');
    const unknownBackend = await c.post(s, '/routes', { kind: 'default', subject: '', backend: 'nope' });
    assert.equal(unknownBackend.status, 404);
    const unknownMailbox = await c.post(s, '/routes', { kind: 'mailbox', subject: 'nobody@example.com', backend: 'imap1' });
    assert.equal(unknownMailbox.status, 404);
    const badKind = await c.post(s, '/routes', { kind: 'everyone', subject: '', backend: 'imap1' });
    assert.equal(pageCode(badKind), 'invalid');
    const noToken = await c.post(s, '/routes', { kind: 'default', subject: '', backend: 'imap1' }, { csrf: null });
    assert.equal(noToken.status, 403);
    assert.deepEqual(await c.t.dir.listRoutes(), []);
  });

  it('the API puts, lists and deletes routes by kind and subject ("@" as is or as %40)', async () => {
    assert.equal(codeOf(await c.api('PUT', '/routes/default', s, { backend: 'imap1' }, { csrf: null })), 'csrf-token-mismatch');
    const def = await c.api('PUT', '/routes/default', s, { backend: 'imap1' });
    assert.equal(def.status, 200, def.body);
    assert.deepEqual(JSON.parse(def.body), { kind: 'default', subject: null, backend: 'imap1', description: 'default' });
    const { token, tokenHash } = newApiToken();
    await c.t.dir.createApiToken('root', 'script', tokenHash);
    const bearer = { token };
    const mine = await c.api('PUT', '/routes/mailbox/alice@example.com', bearer, { backend: 'imap2' });
    assert.equal(mine.status, 200, mine.body);
    assert.deepEqual(JSON.parse(mine.body), { kind: 'mailbox', subject: 'alice@example.com', backend: 'imap2', description: 'mailbox alice@example.com' });
    assert.equal((await c.api('PUT', '/routes/domain/example.com', bearer, { backend: 'legacy' })).status, 200);
    assert.equal((await c.api('PUT', '/routes/unknown', bearer, { backend: 'legacy' })).status, 200);
    assert.equal((await c.api('PUT', '/routes/unknown/example.org', bearer, { backend: 'imap1' })).status, 200);
    assert.equal(await backendOf('alice@example.com'), 'imap2');
    assert.equal(await backendOf('bob@example.com'), 'legacy');
    assert.ok(c.logs.some((l) => l.event === 'admin-route-set' && l.kind === 'mailbox' && l.via === 'token'));

    const list = JSON.parse((await c.api('GET', '/routes', bearer)).body) as Array<{ description: string }>;
    assert.deepEqual(list.map((r) => r.description), ['mailbox alice@example.com', 'domain example.com', 'default', 'unknown users of example.org', 'unknown users (all domains)']);

    assert.equal(codeOf(await c.api('PUT', '/routes/everyone', bearer, { backend: 'imap1' })), 'invalid');
    assert.equal(codeOf(await c.api('PUT', '/routes/default/example.com', bearer, { backend: 'imap1' })), 'invalid');
    assert.equal(codeOf(await c.api('PUT', '/routes/mailbox', bearer, { backend: 'imap1' })), 'invalid');
    assert.equal(codeOf(await c.api('PUT', '/routes/default', bearer, { backend: 'nope' })), 'not-found');
    assert.equal(codeOf(await c.api('PUT', '/routes/default', bearer, { server: 'imap1' })), 'invalid-body');
    assert.equal(codeOf(await c.api('PUT', '/routes/domain/example.net', bearer, { backend: 'imap1' })), 'not-found');

    assert.equal((await c.api('DELETE', '/routes/mailbox/alice%40example.com', bearer)).status, 204);
    assert.equal((await c.api('DELETE', '/routes/unknown/example.org', bearer)).status, 204);
    assert.equal((await c.api('DELETE', '/routes/unknown', bearer)).status, 204);
    assert.equal(codeOf(await c.api('DELETE', '/routes/unknown', bearer)), 'not-found');
    assert.equal(await backendOf('alice@example.com'), 'legacy');
    assert.deepEqual((await c.t.dir.listRoutes()).map((r) => r.kind).sort(), ['default', 'domain']);
  });

  it('the OpenAPI document describes the route addresses', async () => {
    const doc = JSON.parse((await c.http('GET', '/gw/api/openapi.json')).body);
    assert.deepEqual(Object.keys(doc.paths['/routes']), ['get']);
    assert.deepEqual(Object.keys(doc.paths['/routes/{kind}']).sort(), ['delete', 'put']);
    assert.deepEqual(Object.keys(doc.paths['/routes/{kind}/{subject}']).sort(), ['delete', 'put']);
    assert.deepEqual(doc.paths['/routes/{kind}'].put.parameters[0].schema.enum, ['default', 'unknown']);
    assert.deepEqual(doc.paths['/routes/{kind}/{subject}'].put.parameters[0].schema.enum, ['mailbox', 'domain', 'unknown']);
    assert.deepEqual(doc.components.schemas.Route.properties.kind.enum, ['mailbox', 'domain', 'default', 'unknown']);
  });
});
