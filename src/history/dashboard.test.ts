/**
 * The dashboard's figures: 24 UTC hours ending with the current one, hours without logins at
 * zero, counts from a real SQLite file placed in the right hour, and the failure rate.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { LoginEvent } from '../store/index.js';
import { openTempDirectory, type TempDirectory } from '../store/test-support.js';
import { historySummary, hourBuckets, totalsOf, windowStart } from './dashboard.js';

const ev = (at: string, result: LoginEvent['result'], clientIp = '192.0.2.1'): LoginEvent => ({
  at,
  login: 'alice@example.com',
  mailbox: 'alice@example.com',
  clientIp,
  protocol: 'imap',
  method: 'plain',
  result,
  reason: result === 'ok' ? 'ok' : 'bad-credentials',
  cache: null,
  appPassword: null,
});

describe('dashboard figures', () => {
  let t: TempDirectory;
  beforeEach(async () => {
    t = await openTempDirectory();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('the window is the 24 whole UTC hours ending with the current one', () => {
    assert.equal(windowStart(new Date('2030-01-02T09:41:00Z')).toISOString(), '2030-01-01T10:00:00.000Z');
    const b = hourBuckets([{ hour: '2030-01-01T11:00:00.000Z', result: 'fail', count: 3 }], new Date('2030-01-01T10:00:00Z'));
    assert.equal(b.length, 24);
    assert.deepEqual(b[1], { hour: '2030-01-01T11:00:00.000Z', ok: 0, fail: 3, tempfail: 0 });
    assert.equal(b[23]?.hour, '2030-01-02T09:00:00.000Z');
    assert.deepEqual(totalsOf(b), { ok: 0, fail: 3, tempfail: 0, total: 3, failureRate: 1 });
    assert.equal(totalsOf([]).failureRate, 0);
  });

  it('counts the last 24 hours from the store, in their hours, and names who failed most', async () => {
    await t.dir.recordLogins([
      ev('2030-01-01T09:59:59.999Z', 'fail'), // before the window
      ev('2030-01-01T10:00:00.000Z', 'ok'),
      ev('2030-01-02T09:05:00.000Z', 'ok'),
      ev('2030-01-02T09:10:00.000Z', 'fail', '203.0.113.66'),
      ev('2030-01-02T09:11:00.000Z', 'fail', '203.0.113.66'),
      ev('2030-01-02T09:12:00.000Z', 'tempfail', '203.0.113.66'),
    ]);
    const s = await historySummary(t.dir, new Date('2030-01-02T09:41:00Z'));
    assert.equal(s.since, '2030-01-01T10:00:00.000Z');
    assert.equal(s.hours[0]?.ok, 1);
    assert.deepEqual(s.hours[23], { hour: '2030-01-02T09:00:00.000Z', ok: 1, fail: 2, tempfail: 1 });
    assert.deepEqual(s.totals, { ok: 2, fail: 2, tempfail: 1, total: 5, failureRate: 0.4 });
    assert.deepEqual(s.topIps, [{ subject: '203.0.113.66', failures: 2, lastAt: '2030-01-02T09:11:00.000Z' }]);
    assert.deepEqual(s.topAccounts.map((x) => [x.subject, x.failures]), [['alice@example.com', 2]]);
  });
});
