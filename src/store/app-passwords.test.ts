/**
 * App passwords on a real SQLite file: what is stored (a digest, never a password), validation
 * with errors that say what to do, listing, revoking, last-used, removal with the mailbox, and
 * the auth path's lookup by (mailbox, hash) with its lookup memory dropped by every change.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { appPasswordHash, generateAppPassword } from '../app-passwords/index.js';
import { DirectoryError } from '../directory/types.js';
import { openDirectory, type DirectoryWithBans } from './index.js';
import { RECHECK_MS } from './memo-reader.js';
import { openTempDirectory, type TempDirectory } from './test-support.js';

function rejectsWith(code: DirectoryError['code'], pattern: RegExp) {
  return (err: unknown) => err instanceof DirectoryError && err.code === code && pattern.test(err.message);
}

describe('app passwords in the store', () => {
  let t: TempDirectory;
  let aliceId: number;
  beforeEach(async () => {
    t = await openTempDirectory();
    await t.dir.addDomain('example.com');
    aliceId = (await t.dir.addMailbox({ address: 'alice@example.com', passwordHash: null, protocols: ['imap', 'smtp'] })).id;
    await t.dir.addMailbox({ address: 'bob@example.com', passwordHash: null });
    await t.dir.addAlias('info@example.com', 'alice@example.com');
  });
  afterEach(async () => t.cleanup());

  it("adds with the mailbox's protocols by default, normalised networks, and lists by mailbox then id", async () => {
    const one = generateAppPassword();
    const a = await t.dir.addAppPassword({ mailbox: ' Alice@Example.com', label: "  alice's phone ", hash: one.hash });
    assert.equal(a.mailboxAddress, 'alice@example.com');
    assert.equal(a.mailboxId, aliceId);
    assert.equal(a.label, "alice's phone");
    assert.deepEqual(a.protocols, ['imap', 'smtp']);
    assert.deepEqual(a.networks, []);
    assert.equal(a.expiresAt, null);
    assert.equal(a.lastUsedAt, null);
    assert.equal(a.revokedAt, null);
    const b = await t.dir.addAppPassword({ mailbox: 'bob@example.com', label: 'scanner', protocols: ['SMTP'], networks: ['192.0.2.0/24', '2001:DB8::/32'], expiresAt: '2031-01-01T00:00:00Z', hash: generateAppPassword().hash });
    assert.deepEqual(b.protocols, ['smtp']);
    assert.deepEqual(b.networks, ['192.0.2.0/24', '2001:db8::/32']);
    assert.equal(b.expiresAt, '2031-01-01T00:00:00.000Z');
    const c = await t.dir.addAppPassword({ mailbox: 'alice@example.com', label: 'laptop', protocols: ['imap'], hash: generateAppPassword().hash });
    assert.deepEqual((await t.dir.listAppPasswords()).map((x) => [x.mailboxAddress, x.id]), [['alice@example.com', a.id], ['alice@example.com', c.id], ['bob@example.com', b.id]]);
    assert.deepEqual((await t.dir.listAppPasswords({ mailbox: 'BOB@example.com' })).map((x) => x.label), ['scanner']);
    assert.ok(!JSON.stringify(await t.dir.listAppPasswords()).includes(one.hash), 'listings never carry the hash');
  });

  it('stores only a digest: a password handed over by mistake is refused, not kept', async () => {
    const { password } = generateAppPassword();
    await assert.rejects(t.dir.addAppPassword({ mailbox: 'alice@example.com', label: 'x', hash: password }), rejectsWith('invalid', /stored only as its hex SHA-256/));
    assert.deepEqual(await t.dir.listAppPasswords(), []);
  });

  it('refuses what it cannot store, saying what to do', async () => {
    const add = (over: object) => t.dir.addAppPassword({ mailbox: 'alice@example.com', label: 'phone', hash: generateAppPassword().hash, ...over });
    await assert.rejects(add({ mailbox: 'nobody@example.com' }), rejectsWith('not-found', /mailbox "nobody@example\.com" does not exist/));
    await assert.rejects(add({ mailbox: 'info@example.com' }), rejectsWith('not-found', /is an alias of mailbox "alice@example\.com".*use "alice@example\.com"/));
    await assert.rejects(add({ label: '  ' }), rejectsWith('invalid', /label must be 1-64 characters/));
    await assert.rejects(add({ label: 'a\u0007b' }), rejectsWith('invalid', /without control characters/));
    await assert.rejects(add({ label: 'x'.repeat(65) }), rejectsWith('invalid', /1-64 characters/));
    await assert.rejects(add({ protocols: [] }), rejectsWith('invalid', /at least one protocol/));
    await assert.rejects(add({ protocols: ['imap', 'pop3'] }), rejectsWith('invalid', /may not use pop3 \(it allows imap, smtp\).*postern mailbox change alice@example\.com --protocols/));
    await assert.rejects(add({ networks: ['10.1.2.3/8'] }), rejectsWith('invalid', /did you mean "10\.0\.0\.0\/8"/));
    await assert.rejects(add({ expiresAt: 'soon' }), rejectsWith('invalid', /not an ISO-8601 time/));
    await add({});
    await assert.rejects(add({ label: ' phone' }), rejectsWith('exists', /already has an app password labelled "phone" \(id \d+\): choose another label, or revoke that one first/));
    assert.equal((await t.dir.listAppPasswords()).length, 1);
  });

  it('revokes once (of the right mailbox), keeps the row, and lets the label be used again', async () => {
    const a = await t.dir.addAppPassword({ mailbox: 'alice@example.com', label: 'phone', hash: generateAppPassword().hash });
    await assert.rejects(t.dir.revokeAppPassword(a.id, { mailbox: 'bob@example.com' }), rejectsWith('not-found', /no app password \d+ of mailbox "bob@example\.com"/));
    await assert.rejects(t.dir.revokeAppPassword(a.id + 100), rejectsWith('not-found', /there is no app password/));
    await assert.rejects(t.dir.revokeAppPassword(0), rejectsWith('not-found', /not an app password id/));
    const r = await t.dir.revokeAppPassword(a.id, { mailbox: 'Alice@example.com' });
    assert.equal(r.already, false);
    assert.match(r.appPassword.revokedAt ?? '', /^\d{4}-\d{2}-\d{2}T/);
    const again = await t.dir.revokeAppPassword(a.id);
    assert.equal(again.already, true);
    assert.equal(again.appPassword.revokedAt, r.appPassword.revokedAt);
    const b = await t.dir.addAppPassword({ mailbox: 'alice@example.com', label: 'phone', hash: generateAppPassword().hash });
    assert.deepEqual((await t.dir.listAppPasswords()).map((x) => [x.id, x.revokedAt === null]), [[a.id, false], [b.id, true]]);
  });

  it('records the last use, never moving it backwards', async () => {
    const a = await t.dir.addAppPassword({ mailbox: 'alice@example.com', label: 'phone', hash: generateAppPassword().hash });
    await t.dir.touchAppPassword(a.id, '2030-01-01T00:01:00.000Z');
    await t.dir.touchAppPassword(a.id, '2030-01-01T00:00:00.000Z');
    assert.equal((await t.dir.listAppPasswords())[0]?.lastUsedAt, '2030-01-01T00:01:00.000Z');
  });

  it('goes with its mailbox', async () => {
    await t.dir.addAppPassword({ mailbox: 'alice@example.com', label: 'phone', hash: generateAppPassword().hash });
    await t.dir.addAppPassword({ mailbox: 'bob@example.com', label: 'phone', hash: generateAppPassword().hash });
    await t.dir.removeMailbox('alice@example.com');
    assert.deepEqual((await t.dir.listAppPasswords()).map((x) => x.mailboxAddress), ['bob@example.com']);
  });

  it('the auth path finds an app password by its mailbox and hash only', async () => {
    const { password, hash } = generateAppPassword();
    const a = await t.dir.addAppPassword({ mailbox: 'alice@example.com', label: 'phone', networks: ['192.0.2.0/24'], hash });
    const bob = (await t.dir.getMailbox('bob@example.com'))!;
    const found = await t.dir.findAppPassword(aliceId, appPasswordHash(password.toUpperCase())!);
    assert.deepEqual(found, { id: a.id, mailboxId: aliceId, label: 'phone', protocols: ['imap', 'smtp'], networks: ['192.0.2.0/24'], expiresAt: null, createdAt: a.createdAt, lastUsedAt: null, revokedAt: null });
    assert.equal(await t.dir.findAppPassword(bob.id, hash), null, "not another mailbox's");
    assert.equal(await t.dir.findAppPassword(aliceId, generateAppPassword().hash), null);
  });

  describe('with a second connection (the CLI beside the server)', () => {
    let other: DirectoryWithBans;
    beforeEach(async () => {
      other = await openDirectory({ kind: 'sqlite', path: t.file });
    });
    afterEach(async () => other.close());

    it('a revocation made elsewhere shows in the remembered lookup at once', async () => {
      const { hash } = generateAppPassword();
      const a = await t.dir.addAppPassword({ mailbox: 'alice@example.com', label: 'phone', hash });
      const first = await t.dir.findAppPassword(aliceId, hash);
      assert.equal(first?.revokedAt, null);
      assert.equal(await t.dir.findAppPassword(aliceId, hash), first, 'remembered while nothing changes');
      await other.revokeAppPassword(a.id);
      await new Promise((r) => setTimeout(r, RECHECK_MS + 1));
      assert.notEqual((await t.dir.findAppPassword(aliceId, hash))?.revokedAt, null);
    });
  });
});
