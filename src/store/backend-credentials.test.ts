/**
 * Backend credentials in the store: a backend's master login (its password only ever as a vault
 * ciphertext) and a mailbox's backend login, and that the vault's bookkeeping (count per key id,
 * pages, compare-and-set, reset) covers backend master passwords like mailbox credentials.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { DirectoryError, masterSecretBinding, reversibleSecretBinding } from '../directory/types.js';
import { encrypt, type Keyring } from '../vault/index.js';
import { testKeyring } from '../vault/test-support.js';
import { openTempDirectory, type TempDirectory } from './test-support.js';

describe('backend master logins and mailbox backend logins', () => {
  let t: TempDirectory;
  let keys: Map<string, Buffer>;
  let k1: Keyring;
  let k2: Keyring;

  beforeEach(async () => {
    t = await openTempDirectory();
    keys = new Map();
    k1 = testKeyring([['k1', 'active']], keys);
    k2 = testKeyring([['k2', 'active'], ['k1', 'decrypt-only']], keys);
    await t.dir.addDomain('example.com');
    for (const name of ['imap1', 'imap2', 'imap3']) await t.dir.addBackend({ name, host: '10.0.0.1', ports: { imap: 143 } });
  });
  afterEach(() => t.cleanup());

  async function master(name: string, ring: Keyring, user = 'postern', separator?: string): Promise<string> {
    const b = (await t.dir.getBackend(name))!;
    const ciphertext = encrypt(ring, 'credentials', Buffer.from(`pw of ${name}`), masterSecretBinding(b.id));
    await t.dir.setBackendMaster(name, { user, ciphertext, ...(separator ? { separator } : {}) });
    return ciphertext;
  }

  it('sets and clears a master login; only a vault ciphertext is ever stored', async () => {
    const ct = await master('imap1', k1);
    const b = await t.dir.getBackend('imap1');
    assert.deepEqual([b?.masterUser, b?.masterSecret, b?.masterSeparator], ['postern', ct, '*']);
    assert.match(b?.masterChangedAt ?? '', /^\d{4}-\d\d-\d\dT/);
    await assert.rejects(t.dir.setBackendMaster('imap1', { user: 'postern', ciphertext: 'clear text' }), /must be stored as a vault ciphertext/);
    assert.equal((await t.dir.getBackend('imap1'))?.masterSecret, ct, 'a refused write changes nothing');

    await master('imap2', k1, 'admin', '%');
    assert.deepEqual([(await t.dir.getBackend('imap2'))?.masterUser, (await t.dir.getBackend('imap2'))?.masterSeparator], ['admin', '%']);
    const cleared = await t.dir.setBackendMaster('imap2', null);
    assert.deepEqual([cleared.masterUser, cleared.masterSecret, cleared.masterSeparator], [null, null, '%']);
    await assert.rejects(t.dir.setBackendMaster('nope', null), (e: unknown) => e instanceof DirectoryError && e.code === 'not-found');
  });

  it('refuses master user names and separators a backend could not split', async () => {
    const ciphertext = encrypt(k1, 'credentials', Buffer.from('x'), masterSecretBinding(1));
    for (const [user, separator, pattern] of [
      ['post*ern', undefined, /contains the separator "\*"/],
      ['post ern', undefined, /without spaces or control characters/],
      ['', undefined, /without spaces or control characters/],
      ['postern', '**', /one character such as "\*"/],
      ['postern', 'a', /one character such as "\*"/],
      ['postern', '@', /one character such as "\*"/],
    ] as const) {
      await assert.rejects(t.dir.setBackendMaster('imap1', { user, ciphertext, ...(separator ? { separator } : {}) }), pattern, `${user} ${separator}`);
    }
  });

  it("sets and clears a mailbox's backend login, keeping its case", async () => {
    await t.dir.addMailbox({ address: 'alice@example.com', passwordHash: null });
    assert.equal((await t.dir.getMailbox('alice@example.com'))?.backendLogin, null);
    assert.equal((await t.dir.changeMailbox('alice@example.com', { backendLogin: ' Alice.Smith ' })).backendLogin, 'Alice.Smith');
    assert.equal((await t.dir.findLogin('alice@example.com'))?.mailbox.backendLogin, 'Alice.Smith', 'the auth path reads it');
    await assert.rejects(t.dir.changeMailbox('alice@example.com', { backendLogin: 'alice smith' }), /without spaces or control characters/);
    await assert.rejects(t.dir.changeMailbox('alice@example.com', { backendLogin: 'x'.repeat(256) }), /1-255 characters/);
    assert.equal((await t.dir.changeMailbox('alice@example.com', { backendLogin: null })).backendLogin, null);
  });

  it('counts, pages, re-encrypts (compare-and-set) and resets backend master passwords with the other secrets', async () => {
    const m = await t.dir.addMailbox({ address: 'alice@example.com', passwordHash: null });
    await t.dir.setReversibleSecret(m.address, encrypt(k1, 'credentials', Buffer.from('apop'), reversibleSecretBinding(m.id)));
    const ct1 = await master('imap1', k1);
    await master('imap2', k2);
    await master('imap3', k1);
    assert.deepEqual(await t.dir.secretsPerKeyId(), new Map([['k1', 3], ['k2', 1]]));

    const page = await t.dir.listSecretsPage('backend-master', 0, 2);
    assert.deepEqual(page.map((r) => [r.field, r.owner]), [['backend-master', 'imap1'], ['backend-master', 'imap2']]);
    assert.deepEqual((await t.dir.listSecretsPage('backend-master', page[1]!.id, 2)).map((r) => r.owner), ['imap3']);

    const imap1 = (await t.dir.getBackend('imap1'))!;
    const moved = encrypt(k2, 'credentials', Buffer.from('pw of imap1'), masterSecretBinding(imap1.id));
    assert.equal(await t.dir.replaceSecret('backend-master', imap1.id, ct1, moved), true);
    const after = await t.dir.getBackend('imap1');
    assert.deepEqual([after?.masterSecret, after?.masterChangedAt], [moved, imap1.masterChangedAt], 'the password is the same: not "changed"');
    assert.equal(await t.dir.replaceSecret('backend-master', imap1.id, ct1, moved), false, 'a stale expected value writes nothing');
    await assert.rejects(t.dir.replaceSecret('backend-master', imap1.id, moved, 'clear text'), DirectoryError);

    assert.deepEqual(await t.dir.clearSecretsOfKey('k1'), { 'mailbox-credential': 1, 'backend-master': 1, 'admin-totp': 0 });
    const reset = await t.dir.getBackend('imap3');
    assert.deepEqual([reset?.masterUser, reset?.masterSecret], ['postern', null], 'the master user stays: logins fail until it is set again');
    assert.deepEqual(await t.dir.secretsPerKeyId(), new Map([['k2', 2]]));
  });
});
