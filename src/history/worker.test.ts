/**
 * openHistory over a real SQLite directory, which hands the writes to its worker thread: what
 * is buffered when the history closes is written before close resolves, and a history that
 * cannot be written is logged once while record() and flush() go on as if nothing happened;
 * once the database takes rows again, the buffered ones are written.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openSqlite } from '../store/sqlite-binding.js';
import { openTempDirectory } from '../store/test-support.js';
import { openHistory, type LoginAttempt } from './index.js';
import { memoryLog } from './test-support.js';

const attempt = (login: string): LoginAttempt => ({ login, mailbox: null, clientIp: '198.51.100.1', protocol: 'imap', method: 'plain', result: 'fail', reason: 'bad-credentials', cache: null, appPassword: null });

describe('login history written by the worker', () => {
  it('what is buffered when the history closes is written before close resolves', async () => {
    const t = await openTempDirectory();
    try {
      const { log } = memoryLog();
      const history = openHistory({ enabled: true, retentionDays: 30 }, t.dir, log);
      for (let i = 0; i < 12_345; i++) history.record(attempt(`b${i}@example.com`));
      await history.close(); // no flush first
      const [top] = await t.dir.topFailing('ip', '2000-01-01T00:00:00.000Z', 5);
      assert.equal(top?.failures, 12_345);
      history.record(attempt('late@example.com'));
      await history.flush();
      assert.equal((await t.dir.listLogins({ limit: 5, account: { value: 'late', match: 'contains' } })).entries.length, 0, 'nothing after close');
    } finally {
      await t.cleanup();
    }
  });

  it('a history that cannot be written is logged once; record and flush never throw; the rows follow once it can', async () => {
    const t = await openTempDirectory();
    const raw = openSqlite(t.file);
    try {
      raw.exec('ALTER TABLE login_history RENAME TO login_history_away');
      const { log, lines } = memoryLog();
      const history = openHistory({ enabled: true, retentionDays: 30 }, t.dir, log);
      assert.doesNotThrow(() => history.record(attempt('first@example.com')));
      await history.flush();
      assert.doesNotThrow(() => history.record(attempt('second@example.com')));
      await history.flush();
      const failed = lines.filter((l) => l.fields.event === 'history-write-failed');
      assert.equal(failed.length, 1, 'one line for the streak');
      assert.match(String((failed[0]?.fields.err as { message: string }).message), /login_history/);
      raw.exec('ALTER TABLE login_history_away RENAME TO login_history');
      await history.flush();
      assert.deepEqual(
        (await t.dir.listLogins({ limit: 5 })).entries.map((e) => e.login),
        ['second@example.com', 'first@example.com'],
      );
      assert.ok(lines.some((l) => l.fields.event === 'history-write-recovered'));
      await history.close();
    } finally {
      raw.close();
      await t.cleanup();
    }
  });
});
