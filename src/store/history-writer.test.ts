/**
 * The login history's worker writer on a real SQLite file: what it writes is readable on the
 * main connection as soon as the call resolves (rows and hourly counts, in order, across
 * slices); it prunes; its commits leave the lookups kept in memory alone while another
 * process's change still drops them (also one made while the worker writes); a failure comes
 * back as a HistoryWriteError saying how many rows were kept, and the writer goes on once the
 * database is writable again; a worker that dies mid-job or cannot open the database fails the
 * call, not the process, and the next call starts another; close waits for the last write and
 * ends the worker.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { WorkerCommitFence } from './history-fence.js';
import { HistoryWriteError, POST_SLICE, openHistoryWriter, type HistoryWriter } from './history-writer.js';
import { openDirectory, type LoginEvent } from './index.js';
import { RECHECK_MS } from './memo-reader.js';
import { openSqlite } from './sqlite-binding.js';
import { openTempDirectory, type TempDirectory } from './test-support.js';

const T = (h: number, m = 0, s = 0) => new Date(Date.UTC(2030, 0, 1, h, m, s)).toISOString();

function ev(at: string, over: Partial<LoginEvent> = {}): LoginEvent {
  return { at, login: 'alice@example.com', mailbox: 'alice@example.com', clientIp: '192.0.2.10', protocol: 'imap', method: 'plain', result: 'ok', reason: 'ok', cache: null, appPassword: null, ...over };
}

/** Longer than RECHECK_MS: another connection's commit is looked for again. */
const recheck = () => sleep(RECHECK_MS * 3);

describe('login history worker writer', () => {
  let t: TempDirectory;
  let writer: HistoryWriter;

  beforeEach(async () => {
    t = await openTempDirectory();
    assert.ok(t.dir.openHistoryWriter, 'the SQLite directory offers a worker writer');
    writer = t.dir.openHistoryWriter();
  });
  afterEach(async () => {
    await writer.close();
    await t.cleanup();
  });

  it('what it writes is readable on the main connection when the call resolves: rows, hourly counts, order', async () => {
    const n = POST_SLICE * 4 + 17;
    await writer.recordLogins(Array.from({ length: n }, (_, i) => ev(T(9, 0, i % 60), { login: `u${i}`, result: i % 3 === 0 ? 'fail' : 'ok' })));
    const all = await t.dir.listLogins({ limit: 500, since: T(9), until: T(10) });
    assert.equal(all.entries.length, 500);
    assert.equal((await t.dir.countLoginsPerHour(T(0), T(23))).reduce((s, c) => s + c.count, 0), n);
    assert.deepEqual(
      (await t.dir.countLoginsPerHour(T(0), T(23))).map((c) => [c.hour, c.result, c.count]),
      [
        [T(9), 'ok', n - Math.ceil(n / 3)],
        [T(9), 'fail', Math.ceil(n / 3)],
      ],
    );
    const ids = new Map<string, number>();
    let cursor = undefined as undefined | { at: string; id: number };
    for (;;) {
      const page = await t.dir.listLogins({ limit: 500, ...(cursor ? { before: cursor } : {}) });
      for (const e of page.entries) ids.set(e.login, e.id);
      if (!page.next) break;
      cursor = page.next;
    }
    assert.equal(ids.size, n, 'each row once');
    assert.ok((ids.get('u0') ?? 0) < (ids.get(`u${n - 1}`) ?? 0), 'written in order');
  });

  it('prunes what is older than the cutoff, with its hourly counts', async () => {
    await writer.recordLogins([ev(T(1)), ev(T(1, 30)), ev(T(5))]);
    assert.equal(await writer.pruneLogins(T(2)), 2);
    assert.deepEqual((await t.dir.listLogins({ limit: 10 })).entries.map((e) => e.at), [T(5)]);
    assert.deepEqual((await t.dir.countLoginsPerHour(T(0), T(23))).map((c) => c.hour), [T(5)]);
  });

  it("its commits leave the lookups kept in memory alone; another process's change still drops them", async () => {
    await t.dir.addDomain('example.com');
    await t.dir.addMailbox({ address: 'alice@example.com', passwordHash: '{PLAIN}pw' });
    const first = await t.dir.findLogin('alice@example.com');
    assert.ok(first);
    for (let round = 0; round < 3; round++) {
      await writer.recordLogins(Array.from({ length: POST_SLICE * 2 }, (_, i) => ev(T(1, round, i % 60))));
      await recheck();
      assert.equal(await t.dir.findLogin('alice@example.com'), first, `round ${round}: the same remembered object`);
    }
    await writer.pruneLogins(T(1, 1));
    await recheck();
    assert.equal(await t.dir.findLogin('alice@example.com'), first, 'a prune neither');

    const other = await openDirectory({ kind: 'sqlite', path: t.file });
    try {
      await other.changeMailbox('alice@example.com', { enabled: false });
      await recheck();
      const after = await t.dir.findLogin('alice@example.com');
      assert.notEqual(after, first);
      assert.equal(after?.mailbox.enabled, false, 'another process\'s change shows');

      // The same while the worker writes: the change must not be taken for the worker's.
      const writing = writer.recordLogins(Array.from({ length: POST_SLICE * 8 }, (_, i) => ev(T(3, 0, i % 60))));
      await other.changeMailbox('alice@example.com', { enabled: true });
      await writing;
      await recheck();
      const again = await t.dir.findLogin('alice@example.com');
      assert.equal(again?.mailbox.enabled, true, 'a change made while the worker wrote shows once it has answered');
    } finally {
      await other.close();
    }
  });

  it('a failure says how many rows were kept; the rest are written once the database takes them again', async () => {
    const raw = openSqlite(t.file);
    raw.exec(`CREATE TRIGGER refuse_poison BEFORE INSERT ON login_history WHEN NEW.login = 'poison' BEGIN SELECT RAISE(ABORT, 'poison refused'); END`);
    const events = Array.from({ length: POST_SLICE * 3 }, (_, i) => ev(T(4, 0, i % 60), { login: i === POST_SLICE + 5 ? 'poison' : `u${i}` }));
    const err = await writer.recordLogins(events).then(
      () => assert.fail('the write was refused'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof HistoryWriteError);
    assert.match(err.message, /poison refused/);
    assert.equal(err.written, POST_SLICE, 'the first slice was committed, nothing after the failed one');
    assert.equal((await t.dir.countLoginsPerHour(T(0), T(23))).reduce((s, c) => s + c.count, 0), POST_SLICE, 'counts match the rows');

    raw.exec('DROP TABLE login_history_hours');
    await assert.rejects(writer.recordLogins([ev(T(4))]), (e: unknown) => e instanceof HistoryWriteError && /login_history_hours/.test(e.message) && e.written === 0);
    raw.exec(`CREATE TABLE login_history_hours (hour TEXT NOT NULL, result TEXT NOT NULL, logins INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (hour, result))`);
    raw.exec('DROP TRIGGER refuse_poison');
    raw.close();
    await writer.recordLogins(events.slice(err.written));
    const { entries } = await t.dir.listLogins({ limit: 500, account: { value: 'poison', match: 'exact' } });
    assert.equal(entries.length, 1);
    assert.equal((await t.dir.listLogins({ limit: 500, since: T(4), until: T(5) })).entries.length, 500);
  });

  it('close waits for the write in flight, then ends the worker; later calls are refused', async () => {
    const writing = writer.recordLogins(Array.from({ length: POST_SLICE * 6 }, (_, i) => ev(T(6, 0, i % 60))));
    await writer.close();
    await writing;
    assert.equal((await t.dir.countLoginsPerHour(T(0), T(23))).reduce((s, c) => s + c.count, 0), POST_SLICE * 6);
    await assert.rejects(writer.recordLogins([ev(T(7))]), /closed/);
  });
});

/**
 * A stand-in for history-worker.js that commits nothing and dies in the middle of its first
 * job, after saying it had written 100 rows; a second instance (a restart) works normally
 * enough to answer.
 */
const DYING_WORKER = new URL(
  'data:text/javascript,' +
    encodeURIComponent(`
import { parentPort } from 'node:worker_threads';
parentPort.postMessage({ type: 'ready' });
parentPort.on('message', (m) => {
  if (m.type === 'rows') {
    parentPort.postMessage({ type: 'progress', job: m.job, written: 100 });
    process.exit(3);
  }
  if (m.type === 'prune') parentPort.postMessage({ type: 'pruned', job: m.job, deleted: 0 });
  if (m.type === 'probe') parentPort.postMessage({ type: 'probe', seq: m.seq, foreign: false });
  if (m.type === 'close') parentPort.close();
});
`),
);

describe('login history worker writer when the worker dies', () => {
  it('the job in flight fails with what was committed, the lookup memory is dropped, and the next call starts a new worker', async () => {
    let dv = 1;
    const fence = new WorkerCommitFence(() => String(dv));
    const v0 = fence.version();
    const writer = openHistoryWriter('/nonexistent/ignored.db', fence, { workerUrl: DYING_WORKER });
    try {
      const err = await writer.recordLogins(Array.from({ length: POST_SLICE * 2 }, (_, i) => ev(T(1, 0, i % 60)))).then(
        () => assert.fail('the worker died'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof HistoryWriteError);
      assert.match(err.message, /stopped \(exit code 3\)/);
      assert.equal(err.written, 100, 'as far as it said it had come');
      assert.notEqual(fence.version(), v0, 'it may have committed more: the memory is dropped');
      const v1 = fence.version();
      assert.equal(await writer.pruneLogins(T(1)), 0, 'a new worker answers');
      dv++; // nothing outstanding: somebody else's change
      assert.notEqual(fence.version(), v1);
    } finally {
      await writer.close();
    }
  });
});

describe('login history worker writer without a database', () => {
  it('a worker that cannot open the database fails the call, not the process, and is tried again', async () => {
    const fence = new WorkerCommitFence(() => '1');
    const writer = openHistoryWriter('/dev/null/not-a-folder/directory.db', fence);
    try {
      await assert.rejects(writer.recordLogins([ev(T(1))]), /could not open the database|ENOTDIR|not a directory/);
      await assert.rejects(writer.pruneLogins(T(1)), /could not open the database|ENOTDIR|not a directory/);
    } finally {
      await writer.close();
    }
  });
});
