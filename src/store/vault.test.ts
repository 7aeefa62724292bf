/** The vault's tables: canaries, and counting stored secrets per key id without decrypting. */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { DirectoryError, reversibleSecretBinding } from '../directory/types.js';
import { encrypt, makeCanary } from '../vault/index.js';
import { testKeyring } from '../vault/test-support.js';
import { openTempDirectory, type TempDirectory } from './test-support.js';
import { secretsPerKeyId } from './vault.js';
import { Kysely } from 'kysely';
import { openSqliteEngine } from './sqlite.js';
import type { DB } from './schema.js';

describe('vault store', () => {
  let t: TempDirectory;
  beforeEach(async () => {
    t = await openTempDirectory();
    await t.dir.addDomain('example.com');
  });
  afterEach(() => t.cleanup());

  async function withSecret(address: string, keyring: ReturnType<typeof testKeyring>): Promise<void> {
    const m = await t.dir.addMailbox({ address, passwordHash: null });
    await t.dir.setReversibleSecret(address, encrypt(keyring, 'credentials', Buffer.from('pw'), reversibleSecretBinding(m.id)));
  }

  it('starts with no canaries and no secrets', async () => {
    assert.deepEqual(await t.dir.listCanaries(), []);
    assert.deepEqual(await t.dir.secretsPerKeyId(), new Map());
  });

  it('saves a canary per key id, replacing the one already there', async () => {
    const keys = new Map();
    const ring = testKeyring([['k2', 'active'], ['k1', 'decrypt-only']], keys);
    const c1 = makeCanary(ring, 'k1');
    const c2 = makeCanary(ring, 'k2');
    await t.dir.saveCanary(c2.keyId, c2.ciphertext);
    await t.dir.saveCanary(c1.keyId, c1.ciphertext);
    const listed = await t.dir.listCanaries();
    assert.deepEqual(listed.map((c) => [c.keyId, c.ciphertext]), [['k1', c1.ciphertext], ['k2', c2.ciphertext]]);
    assert.match(listed[0]?.createdAt ?? '', /^\d{4}-\d\d-\d\dT/);
    const again = makeCanary(ring, 'k1');
    await t.dir.saveCanary('k1', again.ciphertext);
    assert.deepEqual((await t.dir.listCanaries()).map((c) => [c.keyId, c.ciphertext]), [['k1', again.ciphertext], ['k2', c2.ciphertext]]);
  });

  it('refuses a canary that is not a vault ciphertext naming its key id', async () => {
    const ring = testKeyring([['k1', 'active'], ['k2', 'decrypt-only']]);
    await assert.rejects(t.dir.saveCanary('k1', 'clear text'), DirectoryError);
    await assert.rejects(t.dir.saveCanary('k2', makeCanary(ring, 'k1').ciphertext), DirectoryError);
    await assert.rejects(t.dir.saveCanary('Bad Id', makeCanary(ring, 'k1').ciphertext), DirectoryError);
    assert.deepEqual(await t.dir.listCanaries(), []);
  });

  it('counts stored secrets per key id, ignoring mailboxes without one', async () => {
    const keys = new Map();
    const k1 = testKeyring([['k1', 'active']], keys);
    const k2 = testKeyring([['k2', 'active'], ['k1', 'decrypt-only']], keys);
    const long = testKeyring([['a-very-long-key-id-of-32-chars-x', 'active']]);
    await withSecret('a@example.com', k1);
    await withSecret('b@example.com', k1);
    await withSecret('c@example.com', k2);
    await withSecret('d@example.com', long);
    await t.dir.addMailbox({ address: 'e@example.com', passwordHash: null });
    await withSecret('f@example.com', k1);
    await t.dir.setReversibleSecret('f@example.com', null);
    assert.deepEqual(
      await t.dir.secretsPerKeyId(),
      new Map([
        ['k1', 2],
        ['k2', 1],
        ['a-very-long-key-id-of-32-chars-x', 1],
      ]),
    );
  });

  it('counts in batches (keyset pagination) and skips malformed values', async () => {
    const k1 = testKeyring([['k1', 'active']]);
    for (let i = 0; i < 7; i++) await withSecret(`m${i}@example.com`, k1);
    await t.dir.addMailbox({ address: 'bad@example.com', passwordHash: null });
    // A damaged row (written behind Postern's back): it names no key id, so it is not counted.
    const engine = openSqliteEngine(t.file);
    const db = new Kysely<DB>({ dialect: engine.dialect });
    try {
      await db.updateTable('mailboxes').set({ reversible_secret: 'garbage' }).where('address', '=', 'bad@example.com').execute();
      for (const batch of [1, 2, 3, 7, 100]) {
        assert.deepEqual(await secretsPerKeyId({ db, engine }, batch), new Map([['k1', 7]]), `batch ${batch}`);
      }
    } finally {
      await db.destroy();
    }
  });

  it('lists secrets a page at a time, by id, skipping mailboxes without one', async () => {
    const k1 = testKeyring([['k1', 'active']]);
    for (const a of ['a', 'b', 'c', 'd']) await withSecret(`${a}@example.com`, k1);
    await t.dir.setReversibleSecret('b@example.com', null);
    await t.dir.addMailbox({ address: 'e@example.com', passwordHash: null });
    const all = await t.dir.listSecretsPage('mailbox-credential', 0, 100);
    assert.deepEqual(all.map((r) => r.owner), ['a@example.com', 'c@example.com', 'd@example.com']);
    const a = await t.dir.getMailbox('a@example.com');
    assert.equal(all[0]?.id, a?.id);
    assert.equal(all[0]?.ciphertext, a?.reversibleSecret);
    const first = await t.dir.listSecretsPage('mailbox-credential', 0, 2);
    assert.deepEqual(first.map((r) => r.owner), ['a@example.com', 'c@example.com']);
    const second = await t.dir.listSecretsPage('mailbox-credential', first[1]?.id ?? 0, 2);
    assert.deepEqual(second.map((r) => r.owner), ['d@example.com']);
    assert.deepEqual(await t.dir.listSecretsPage('mailbox-credential', second[0]?.id ?? 0, 2), []);
    await assert.rejects(t.dir.listSecretsPage('mailbox-credential', 0, 0), DirectoryError);
  });

  it('replaces a secret only while it is unchanged, keeping when it was last changed', async () => {
    const keys = new Map();
    const k1 = testKeyring([['k1', 'active']], keys);
    const k2 = testKeyring([['k2', 'active'], ['k1', 'decrypt-only']], keys);
    await withSecret('a@example.com', k1);
    const before = await t.dir.getMailbox('a@example.com');
    assert.ok(before?.reversibleSecret);
    const next = encrypt(k2, 'credentials', Buffer.from('pw'), reversibleSecretBinding(before.id));
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(await t.dir.replaceSecret('mailbox-credential', before.id, before.reversibleSecret, next), true);
    const after = await t.dir.getMailbox('a@example.com');
    assert.equal(after?.reversibleSecret, next);
    assert.equal(after?.secretChangedAt, before.secretChangedAt);
    assert.equal(after?.updatedAt, before.updatedAt);
    // The expected value is gone now (a concurrent `secret set` would look like this): no write.
    const other = encrypt(k2, 'credentials', Buffer.from('other'), reversibleSecretBinding(before.id));
    assert.equal(await t.dir.replaceSecret('mailbox-credential', before.id, before.reversibleSecret, other), false);
    assert.equal((await t.dir.getMailbox('a@example.com'))?.reversibleSecret, next);
    // Cleared meanwhile: no write either, and clear text is never stored.
    await t.dir.setReversibleSecret('a@example.com', null);
    assert.equal(await t.dir.replaceSecret('mailbox-credential', before.id, next, other), false);
    assert.equal((await t.dir.getMailbox('a@example.com'))?.reversibleSecret, null);
    await assert.rejects(t.dir.replaceSecret('mailbox-credential', before.id, next, 'clear text'), DirectoryError);
  });

  it('clears only the secrets under one key id', async () => {
    const keys = new Map();
    const k1 = testKeyring([['k1', 'active']], keys);
    const k2 = testKeyring([['k2', 'active'], ['k1', 'decrypt-only']], keys);
    const k10 = testKeyring([['k10', 'active']], keys);
    await withSecret('a@example.com', k1);
    await withSecret('b@example.com', k2);
    await withSecret('c@example.com', k1);
    await withSecret('d@example.com', k10);
    assert.deepEqual(await t.dir.clearSecretsOfKey('k1'), { 'mailbox-credential': 2, 'backend-master': 0, 'admin-totp': 0 });
    for (const a of ['a@example.com', 'c@example.com']) {
      const m = await t.dir.getMailbox(a);
      assert.equal(m?.reversibleSecret, null);
      assert.equal(m?.secretChangedAt, null);
    }
    assert.deepEqual(await t.dir.secretsPerKeyId(), new Map([['k2', 1], ['k10', 1]]));
    assert.deepEqual(await t.dir.clearSecretsOfKey('k1'), { 'mailbox-credential': 0, 'backend-master': 0, 'admin-totp': 0 });
    await assert.rejects(t.dir.clearSecretsOfKey('K1%'), DirectoryError);
  });
});
