/** Domains and domain aliases on a real SQLite file. */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { DirectoryError } from '../directory/types.js';
import { openTempDirectory, type TempDirectory } from './test-support.js';

function rejectsWith(code: DirectoryError['code'], pattern: RegExp) {
  return (err: unknown) => err instanceof DirectoryError && err.code === code && pattern.test(err.message);
}

describe('domains', () => {
  let t: TempDirectory;
  beforeEach(async () => {
    t = await openTempDirectory();
  });
  afterEach(async () => t.cleanup());

  it('adds, lower-cases, lists and finds domains', async () => {
    const d = await t.dir.addDomain('  Example.COM ');
    assert.equal(d.name, 'example.com');
    assert.deepEqual(d.aliases, []);
    assert.match(d.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    await t.dir.addDomain('b.org');
    assert.deepEqual((await t.dir.listDomains()).map((x) => x.name), ['b.org', 'example.com']);
    assert.equal((await t.dir.findDomain('EXAMPLE.com'))?.id, d.id);
    assert.equal(await t.dir.findDomain('nope.org'), null);
    assert.equal(await t.dir.findDomain('not a domain'), null);
  });

  it('rejects duplicates and invalid names', async () => {
    await t.dir.addDomain('example.com');
    await assert.rejects(t.dir.addDomain('EXAMPLE.com'), rejectsWith('exists', /already exists/));
    await assert.rejects(t.dir.addDomain('bad domain'), rejectsWith('invalid', /not a valid domain/));
    await assert.rejects(t.dir.addDomain('-x.org'), rejectsWith('invalid', /not a valid domain/));
    await assert.rejects(t.dir.addDomain(''), rejectsWith('invalid', /required/));
  });

  it('manages domain aliases and resolves them in findDomain', async () => {
    await t.dir.addDomain('example.com');
    await t.dir.addDomainAlias('Example.NET', 'example.com');
    const d = await t.dir.findDomain('example.net');
    assert.equal(d?.name, 'example.com');
    assert.deepEqual(d?.aliases, ['example.net']);
    assert.deepEqual((await t.dir.listDomains())[0]?.aliases, ['example.net']);

    await assert.rejects(t.dir.addDomainAlias('example.net', 'example.com'), rejectsWith('exists', /already an alias/));
    await assert.rejects(t.dir.addDomainAlias('x.org', 'missing.org'), rejectsWith('not-found', /postern domain add missing\.org/));
    await assert.rejects(t.dir.addDomainAlias('x.org', 'example.net'), rejectsWith('invalid', /alias of domain "example\.com"/));
    await assert.rejects(t.dir.addDomainAlias('example.com', 'example.com'), rejectsWith('invalid', /itself/));
    await t.dir.addDomain('other.org');
    await assert.rejects(t.dir.addDomainAlias('other.org', 'example.com'), rejectsWith('exists', /domain of its own/));
    await assert.rejects(t.dir.addDomain('example.net'), rejectsWith('exists', /domain alias remove example\.net/));

    await t.dir.removeDomainAlias('EXAMPLE.net');
    assert.equal(await t.dir.findDomain('example.net'), null);
    await assert.rejects(t.dir.removeDomainAlias('example.net'), rejectsWith('not-found', /not a domain alias/));
  });

  it('removes an empty domain with its aliases and routes, refuses one in use', async () => {
    await t.dir.addDomain('example.com');
    await t.dir.addDomainAlias('example.net', 'example.com');
    await t.dir.addBackend({ name: 'b1', host: '192.0.2.1', ports: { imap: 143 } });
    await t.dir.setRoute('domain', 'example.com', 'b1');
    await t.dir.addMailbox({ address: 'a@example.com', passwordHash: null });
    await t.dir.addMailbox({ address: 'b@example.com', passwordHash: null });
    await assert.rejects(t.dir.removeDomain('example.com'), rejectsWith('in-use', /still has 2 mailboxes: remove them first .*mailbox list --domain example\.com/));
    await t.dir.removeMailbox('a@example.com');
    await t.dir.removeMailbox('b@example.com');
    await assert.rejects(t.dir.removeDomain('example.net'), rejectsWith('invalid', /domain alias remove example\.net/));
    await t.dir.removeDomain('example.com');
    assert.deepEqual(await t.dir.listDomains(), []);
    assert.deepEqual(await t.dir.listRoutes(), []);
    assert.equal(await t.dir.findDomain('example.net'), null);
    await assert.rejects(t.dir.removeDomain('example.com'), rejectsWith('not-found', /does not exist/));
  });

  it('counts aliases living in a domain as in use', async () => {
    await t.dir.addDomain('example.com');
    await t.dir.addDomain('other.org');
    await t.dir.addMailbox({ address: 'a@example.com', passwordHash: null });
    await t.dir.addAlias('sales@other.org', 'a@example.com');
    await assert.rejects(t.dir.removeDomain('other.org'), rejectsWith('in-use', /1 alias\b/));
  });

  it('counts the mailboxes and address aliases of every domain (its domain aliases count as the domain)', async () => {
    for (const d of ['example.com', 'other.org', 'empty.net']) await t.dir.addDomain(d);
    await t.dir.addDomainAlias('example.de', 'example.com');
    for (const a of ['a@example.com', 'b@example.com', 'c@example.com', 'x@other.org']) await t.dir.addMailbox({ address: a, passwordHash: null });
    await t.dir.addAlias('sales@other.org', 'a@example.com');
    await t.dir.addAlias('info@example.com', 'b@example.com');
    await t.dir.addAlias('help@other.org', 'x@other.org');
    assert.deepEqual(await t.dir.countPerDomain(), [
      { domain: 'empty.net', mailboxes: 0, aliases: 0 },
      { domain: 'example.com', mailboxes: 3, aliases: 1 },
      { domain: 'other.org', mailboxes: 1, aliases: 2 },
    ]);
    await t.dir.removeMailbox('c@example.com');
    assert.equal((await t.dir.countPerDomain()).find((c) => c.domain === 'example.com')?.mailboxes, 2);
  });
});
