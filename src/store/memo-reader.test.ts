/**
 * The remembered lookups must never answer with something the database no longer says:
 * a change from this process shows at once, one from another connection (the CLI, another
 * instance) within RECHECK_MS. Real SQLite files, two connections.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { DirectoryReader } from '../directory/types.js';
import { openDirectory, type DirectoryWithBans } from './index.js';
import { memoisedReader, RECHECK_MS } from './memo-reader.js';
import { openTempDirectory, type TempDirectory } from './test-support.js';

const later = (): Promise<void> => new Promise((r) => setTimeout(r, RECHECK_MS + 1));

describe('remembered directory lookups', () => {
  let t: TempDirectory;
  let other: DirectoryWithBans;
  beforeEach(async () => {
    t = await openTempDirectory();
    await t.dir.addDomain('example.com');
    await t.dir.addBackend({ name: 'one', host: '127.0.0.1', ports: { imap: 143 } });
    await t.dir.addBackend({ name: 'two', host: '127.0.0.2', ports: { imap: 143 } });
    await t.dir.setRoute('default', null, 'one');
    await t.dir.addMailbox({ address: 'alice@example.com', passwordHash: '{PLAIN}old' });
    other = await openDirectory({ kind: 'sqlite', path: t.file });
  });
  afterEach(async () => {
    await other.close();
    await t.cleanup();
  });

  it('hands out the same frozen result while nothing changes', async () => {
    const a = await t.dir.findLogin('alice@example.com');
    const b = await t.dir.findLogin('alice@example.com');
    assert.equal(a, b);
    assert.ok(Object.isFrozen(a) && Object.isFrozen(a?.mailbox) && Object.isFrozen(a?.mailbox.protocols));
    assert.throws(() => {
      (a!.mailbox as { passwordHash: string | null }).passwordHash = 'changed';
    }, TypeError);
  });

  it("sees this process's own change on the very next lookup", async () => {
    assert.equal((await t.dir.findLogin('alice@example.com'))?.mailbox.passwordHash, '{PLAIN}old');
    await t.dir.changeMailbox('alice@example.com', { passwordHash: '{PLAIN}new' });
    assert.equal((await t.dir.findLogin('alice@example.com'))?.mailbox.passwordHash, '{PLAIN}new');
    await t.dir.changeMailbox('alice@example.com', { enabled: false });
    assert.equal((await t.dir.findLogin('alice@example.com'))?.mailbox.enabled, false);
  });

  it("sees another connection's password change, disabling and new route", async () => {
    const before = await t.dir.findLogin('alice@example.com');
    assert.equal((await t.dir.routeFor(before!.mailbox))?.name, 'one');
    await other.changeMailbox('alice@example.com', { passwordHash: '{PLAIN}new', enabled: false });
    await other.setRoute('default', null, 'two');
    await later();
    const after = await t.dir.findLogin('alice@example.com');
    assert.equal(after?.mailbox.passwordHash, '{PLAIN}new');
    assert.equal(after?.mailbox.enabled, false);
    assert.equal((await t.dir.routeFor(after!.mailbox))?.name, 'two');
  });

  it('remembers that a login names nothing, until the mailbox is created elsewhere', async () => {
    assert.equal(await t.dir.findLogin('bob@example.com'), null);
    await other.addMailbox({ address: 'bob@example.com', passwordHash: '{PLAIN}pw' });
    await later();
    assert.equal((await t.dir.findLogin('bob@example.com'))?.mailbox.address, 'bob@example.com');
  });

  it('keeps at most maxEntries results and asks the database for the others', async () => {
    let loads = 0;
    const counting: DirectoryReader = { ...t.dir, findLogin: async (login) => (loads++, t.dir.findLogin(login)) };
    const memo = memoisedReader(counting, () => 'unchanged', 2);
    for (const name of ['a', 'b', 'c', 'a']) await memo.findLogin(`${name}@example.com`);
    assert.equal(loads, 4); // 'a' was pushed out by 'c'
    await memo.findLogin('c@example.com');
    assert.equal(loads, 4);
  });

  it('drops what it holds when the version moves, even between the lookup and its answer', async () => {
    let version = 1;
    const slow: DirectoryReader = {
      ...t.dir,
      findLogin: async (login) => {
        const out = await t.dir.findLogin(login);
        version++; // a write lands while the query runs
        return out;
      },
    };
    const memo = memoisedReader(slow, () => String(version));
    await memo.findLogin('alice@example.com');
    await memo.findLogin('alice@example.com');
    assert.equal(version, 3, 'the answer loaded under an older version was not reused');
  });
});
