/** Mailboxes, aliases and bulk import on a real SQLite file. */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { DirectoryError } from '../directory/types.js';
import { openTempDirectory, type TempDirectory } from './test-support.js';

function rejectsWith(code: DirectoryError['code'], pattern: RegExp) {
  return (err: unknown) => err instanceof DirectoryError && err.code === code && pattern.test(err.message);
}

describe('mailboxes', () => {
  let t: TempDirectory;
  beforeEach(async () => {
    t = await openTempDirectory();
    await t.dir.addDomain('example.com');
  });
  afterEach(async () => t.cleanup());

  it('adds with defaults and normalises address, protocols and networks', async () => {
    const m = await t.dir.addMailbox({ address: ' Alice@Example.COM ', passwordHash: '{SHA512-CRYPT}$6$x$y' });
    assert.equal(m.address, 'alice@example.com');
    assert.equal(m.enabled, true);
    assert.deepEqual(m.protocols, ['imap', 'pop3', 'smtp']);
    assert.deepEqual(m.networks, []);
    assert.equal(m.createdAt, m.updatedAt);
    const b = await t.dir.addMailbox({
      address: 'bob@example.com',
      passwordHash: null,
      enabled: false,
      protocols: ['smtp', 'IMAP' as 'imap', 'imap'],
      networks: ['10.0.0.0/8', '2001:DB8:0:0::/32', '192.0.2.7', '10.0.0.0/8'],
    });
    assert.equal(b.enabled, false);
    assert.equal(b.passwordHash, null);
    assert.deepEqual(b.protocols, ['imap', 'smtp']);
    assert.deepEqual(b.networks, ['10.0.0.0/8', '2001:db8::/32', '192.0.2.7']);
    assert.deepEqual(await t.dir.getMailbox('BOB@example.com'), b);
    assert.equal(await t.dir.getMailbox('nobody@example.com'), null);
  });

  it('rejects bad input with actionable errors', async () => {
    const add = (address: string, extra: object = {}) => t.dir.addMailbox({ address, passwordHash: null, ...extra });
    await assert.rejects(add('a@x.org'), rejectsWith('not-found', /^domain "x\.org" does not exist: add it first with "postern domain add x\.org"$/));
    await assert.rejects(add('no-at-sign'), rejectsWith('invalid', /local@domain/));
    await assert.rejects(add('a b@example.com'), rejectsWith('invalid', /without spaces/));
    await assert.rejects(add('a\u0001@example.com'), rejectsWith('invalid', /control/));
    await assert.rejects(add('a@example.com', { networks: ['10.0.0.0/33'] }), rejectsWith('invalid', /not a valid CIDR/));
    await assert.rejects(add('a@example.com', { networks: ['banana'] }), rejectsWith('invalid', /not an IP address or CIDR/));
    await assert.rejects(add('a@example.com', { networks: ['10.1.2.3/8'] }), rejectsWith('invalid', /did you mean "10\.0\.0\.0\/8"/));
    await assert.rejects(add('a@example.com', { protocols: ['imap', 'http'] }), rejectsWith('invalid', /unknown protocol "http"/));
    await assert.rejects(add('a@example.com', { protocols: [] }), rejectsWith('invalid', /at least one protocol/));
    await assert.rejects(t.dir.addMailbox({ address: 'a@example.com', passwordHash: 'has space' }), rejectsWith('invalid', /password hash/));
    await t.dir.addDomainAlias('example.net', 'example.com');
    await assert.rejects(add('a@example.net'), rejectsWith('invalid', /alias of domain "example\.com": use "example\.com"/));
    await add('a@example.com');
    await assert.rejects(add('A@example.com'), rejectsWith('exists', /already exists/));
    await t.dir.addAlias('info@example.com', 'a@example.com');
    await assert.rejects(add('info@example.com'), rejectsWith('exists', /already an alias of mailbox "a@example\.com"/));
  });

  it('lists, optionally by domain or domain alias', async () => {
    await t.dir.addDomain('other.org');
    await t.dir.addDomainAlias('example.net', 'example.com');
    for (const a of ['c@example.com', 'a@example.com', 'z@other.org']) await t.dir.addMailbox({ address: a, passwordHash: null });
    assert.deepEqual((await t.dir.listMailboxes()).map((m) => m.address), ['a@example.com', 'c@example.com', 'z@other.org']);
    assert.deepEqual((await t.dir.listMailboxes({ domain: 'Other.org' })).map((m) => m.address), ['z@other.org']);
    assert.deepEqual((await t.dir.listMailboxes({ domain: 'example.net' })).map((m) => m.address), ['a@example.com', 'c@example.com']);
    await assert.rejects(t.dir.listMailboxes({ domain: 'missing.org' }), rejectsWith('not-found', /does not exist/));
  });

  it('changes fields and bumps updatedAt', async () => {
    const m = await t.dir.addMailbox({ address: 'a@example.com', passwordHash: '{PLAIN}old' });
    await new Promise((r) => setTimeout(r, 5));
    const c = await t.dir.changeMailbox('A@example.com', { passwordHash: '{PLAIN}new', enabled: false, protocols: ['pop3'], networks: ['::1'] });
    assert.equal(c.passwordHash, '{PLAIN}new');
    assert.equal(c.enabled, false);
    assert.deepEqual(c.protocols, ['pop3']);
    assert.deepEqual(c.networks, ['::1']);
    assert.equal(c.createdAt, m.createdAt);
    assert.ok(c.updatedAt > m.updatedAt);
    const cleared = await t.dir.changeMailbox('a@example.com', { networks: [], passwordHash: null });
    assert.deepEqual(cleared.networks, []);
    assert.equal(cleared.passwordHash, null);
    assert.deepEqual(await t.dir.changeMailbox('a@example.com', {}), cleared);
    await assert.rejects(t.dir.changeMailbox('x@example.com', { enabled: true }), rejectsWith('not-found', /does not exist/));
    await assert.rejects(t.dir.changeMailbox('a@example.com', { networks: ['300.0.0.1'] }), rejectsWith('invalid', /not an IP/));
    await t.dir.addAlias('info@example.com', 'a@example.com');
    await assert.rejects(t.dir.changeMailbox('info@example.com', { enabled: true }), rejectsWith('not-found', /alias of mailbox "a@example\.com"/));
  });

  it('replacePasswordHash is compare-and-set', async () => {
    const m = await t.dir.addMailbox({ address: 'a@example.com', passwordHash: '{PLAIN}one' });
    assert.equal(await t.dir.replacePasswordHash(m.id, '{PLAIN}wrong', '{ARGON2ID}x'), false);
    assert.equal((await t.dir.getMailbox('a@example.com'))?.passwordHash, '{PLAIN}one');
    assert.equal(await t.dir.replacePasswordHash(m.id, '{PLAIN}one', '{ARGON2ID}x'), true);
    assert.equal((await t.dir.getMailbox('a@example.com'))?.passwordHash, '{ARGON2ID}x');
    assert.equal(await t.dir.replacePasswordHash(m.id, '{PLAIN}one', '{ARGON2ID}y'), false);
    assert.equal(await t.dir.replacePasswordHash(9999, '{ARGON2ID}x', '{ARGON2ID}y'), false);
  });

  it('removes a mailbox with its aliases, cert mappings and route', async () => {
    await t.dir.addMailbox({ address: 'a@example.com', passwordHash: null });
    await t.dir.addAlias('info@example.com', 'a@example.com');
    await t.dir.addCertMapping('subject', 'CN=a', 'a@example.com');
    await t.dir.addBackend({ name: 'b1', host: '192.0.2.1', ports: { imap: 143 } });
    await t.dir.setRoute('mailbox', 'a@example.com', 'b1');
    await t.dir.removeMailbox('A@EXAMPLE.COM');
    assert.equal(await t.dir.getMailbox('a@example.com'), null);
    assert.deepEqual(await t.dir.listAliases(), []);
    assert.deepEqual(await t.dir.listCertMappings(), []);
    assert.deepEqual(await t.dir.listRoutes(), []);
    await assert.rejects(t.dir.removeMailbox('a@example.com'), rejectsWith('not-found', /does not exist/));
  });
});

describe('aliases', () => {
  let t: TempDirectory;
  beforeEach(async () => {
    t = await openTempDirectory();
    await t.dir.addDomain('example.com');
    await t.dir.addMailbox({ address: 'a@example.com', passwordHash: null });
    await t.dir.addMailbox({ address: 'b@example.com', passwordHash: null });
  });
  afterEach(async () => t.cleanup());

  it('adds, lists (optionally by mailbox) and removes', async () => {
    const al = await t.dir.addAlias('Info@Example.com', 'A@example.com');
    assert.equal(al.address, 'info@example.com');
    assert.equal(al.mailboxAddress, 'a@example.com');
    await t.dir.addAlias('sales@example.com', 'b@example.com');
    assert.deepEqual((await t.dir.listAliases()).map((x) => x.address), ['info@example.com', 'sales@example.com']);
    assert.deepEqual((await t.dir.listAliases({ mailbox: 'b@example.com' })).map((x) => x.address), ['sales@example.com']);
    await t.dir.removeAlias('INFO@example.com');
    await assert.rejects(t.dir.removeAlias('info@example.com'), rejectsWith('not-found', /alias list/));
  });

  it('rejects clashes and unknown targets', async () => {
    await t.dir.addAlias('info@example.com', 'a@example.com');
    await assert.rejects(t.dir.addAlias('info@example.com', 'b@example.com'), rejectsWith('exists', /already an alias of mailbox "a@example\.com"/));
    await assert.rejects(t.dir.addAlias('b@example.com', 'a@example.com'), rejectsWith('exists', /already a mailbox/));
    await assert.rejects(t.dir.addAlias('x@example.com', 'nobody@example.com'), rejectsWith('not-found', /mailbox "nobody@example\.com" does not exist/));
    await assert.rejects(t.dir.addAlias('x@example.com', 'info@example.com'), rejectsWith('not-found', /alias of mailbox "a@example\.com"/));
    await assert.rejects(t.dir.addAlias('x@nowhere.org', 'a@example.com'), rejectsWith('not-found', /postern domain add nowhere\.org/));
    await t.dir.addDomainAlias('example.net', 'example.com');
    await assert.rejects(t.dir.addAlias('x@example.net', 'a@example.com'), rejectsWith('invalid', /alias of domain "example\.com"/));
    await assert.rejects(t.dir.addAlias('a@example.com', 'a@example.com'), rejectsWith('invalid', /itself/));
    await assert.rejects(t.dir.listAliases({ mailbox: 'nobody@example.com' }), rejectsWith('not-found', /does not exist/));
  });
});

describe('importMailboxes', () => {
  let t: TempDirectory;
  beforeEach(async () => {
    t = await openTempDirectory();
    await t.dir.addDomain('example.com');
  });
  afterEach(async () => t.cleanup());

  it('inserts new rows, reports existing and repeated ones', async () => {
    await t.dir.addMailbox({ address: 'old@example.com', passwordHash: '{PLAIN}keep' });
    const result = await t.dir.importMailboxes([
      { address: 'new1@example.com', passwordHash: '{PLAIN}a', protocols: ['imap'] },
      { address: 'OLD@example.com', passwordHash: '{PLAIN}overwrite?' },
      { address: 'new2@example.com', passwordHash: null, enabled: false },
      { address: 'new1@example.com', passwordHash: '{PLAIN}dup' },
    ]);
    assert.deepEqual(result, { added: 2, existing: ['new1@example.com', 'old@example.com'] });
    assert.equal((await t.dir.getMailbox('old@example.com'))?.passwordHash, '{PLAIN}keep');
    assert.equal((await t.dir.getMailbox('new1@example.com'))?.passwordHash, '{PLAIN}a');
    assert.deepEqual((await t.dir.getMailbox('new1@example.com'))?.protocols, ['imap']);
    assert.equal((await t.dir.getMailbox('new2@example.com'))?.enabled, false);
  });

  it('imports nothing when a row is invalid, a domain is missing or an alias clashes', async () => {
    await assert.rejects(
      t.dir.importMailboxes([{ address: 'ok@example.com', passwordHash: null }, { address: 'bad', passwordHash: null }]),
      rejectsWith('invalid', /^1 row\(s\) are invalid, nothing was imported: row 2: "bad" is not an address/),
    );
    await assert.rejects(
      t.dir.importMailboxes([{ address: 'ok@example.com', passwordHash: null }, { address: 'x@missing.org', passwordHash: null }]),
      rejectsWith('not-found', /domain "missing\.org" does not exist, nothing was imported: add it first with "postern domain add missing\.org"/),
    );
    await t.dir.addMailbox({ address: 'a@example.com', passwordHash: null });
    await t.dir.addAlias('info@example.com', 'a@example.com');
    await assert.rejects(
      t.dir.importMailboxes([{ address: 'ok@example.com', passwordHash: null }, { address: 'info@example.com', passwordHash: null }]),
      rejectsWith('exists', /"info@example\.com" is already an alias address, nothing was imported/),
    );
    assert.equal(await t.dir.getMailbox('ok@example.com'), null);
  });
});

describe('reversible credentials (APOP, CRAM-MD5)', () => {
  let t: TempDirectory;
  beforeEach(async () => {
    t = await openTempDirectory();
    await t.dir.addDomain('example.com');
  });
  afterEach(async () => t.cleanup());

  it('stores a vault ciphertext, is fetched by findLogin (also through an alias), and clears', async () => {
    const m = await t.dir.addMailbox({ address: 'a@example.com', passwordHash: null });
    assert.equal(m.reversibleSecret, null);
    assert.equal(m.secretChangedAt, null);
    await t.dir.addAlias('info@example.com', 'a@example.com');
    const ct = 'pv1.k1.' + 'A'.repeat(80) + '.' + 'B'.repeat(40);
    const set = await t.dir.setReversibleSecret('A@example.com', ct);
    assert.equal(set.reversibleSecret, ct);
    assert.ok(set.secretChangedAt && set.secretChangedAt >= m.createdAt);
    assert.equal((await t.dir.findLogin('info@example.com'))?.mailbox.reversibleSecret, ct);
    const cleared = await t.dir.setReversibleSecret('a@example.com', null);
    assert.equal(cleared.reversibleSecret, null);
    assert.ok(cleared.secretChangedAt);
  });

  it('refuses anything that is not a vault ciphertext, so clear text is never stored', async () => {
    await t.dir.addMailbox({ address: 'a@example.com', passwordHash: null });
    for (const v of ['tanstaaf', '', 'pv1.', 'pv1.K1.x.y']) {
      await assert.rejects(t.dir.setReversibleSecret('a@example.com', v), rejectsWith('invalid', /vault ciphertext; nothing was written/), v);
    }
    assert.equal((await t.dir.getMailbox('a@example.com'))?.reversibleSecret, null);
    await assert.rejects(t.dir.setReversibleSecret('nobody@example.com', null), rejectsWith('not-found', /does not exist/));
  });
});
