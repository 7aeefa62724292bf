/**
 * Retention with a clock and timers moved by hand, against a real SQLite file: a prune at
 * start and every hour removes exactly what is older than retention_days, a failing prune is
 * logged once per streak, and openHistory with recording off still prunes.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { LoginEvent } from '../store/index.js';
import { openTempDirectory, type TempDirectory } from '../store/test-support.js';
import { openHistory } from './index.js';
import { PRUNE_EVERY_MS, retentionCutoff, startRetention } from './retention.js';
import { fakeTime, memoryLog, settle } from './test-support.js';

const DAY = 86_400_000;
const ev = (at: number, login: string): LoginEvent => ({
  at: new Date(at).toISOString(),
  login,
  mailbox: null,
  clientIp: '192.0.2.1',
  protocol: 'imap',
  method: 'plain',
  result: 'ok',
  reason: 'ok',
  cache: null,
  appPassword: null,
});

describe('login history retention', () => {
  let t: TempDirectory;
  beforeEach(async () => {
    t = await openTempDirectory();
  });
  afterEach(async () => {
    await t.cleanup();
  });
  const logins = async () => (await t.dir.listLogins({ limit: 100 })).entries.map((e) => e.login).sort();

  it('the cutoff is retention_days before now', () => {
    assert.equal(retentionCutoff(Date.UTC(2030, 0, 31), 30), '2030-01-01T00:00:00.000Z');
  });

  it('prunes at start and every hour what is older than retention_days', async () => {
    const time = fakeTime();
    const now = time.now();
    await t.dir.recordLogins([ev(now - 31 * DAY, 'old'), ev(now - 30 * DAY + 30 * 60_000, 'edge'), ev(now - DAY, 'recent')]);
    const { log, lines } = memoryLog();
    const r = startRetention({ prune: (b) => t.dir.pruneLogins(b), retentionDays: 30, log, now: time.now, timers: time.timers });
    await settle();
    assert.deepEqual(await logins(), ['edge', 'recent'], 'at start');
    assert.equal(lines[0]?.fields.event, 'history-pruned');
    assert.equal(lines[0]?.fields.deleted, 1);
    await time.advance(PRUNE_EVERY_MS - 1);
    assert.deepEqual(await logins(), ['edge', 'recent']);
    await time.advance(1);
    await settle();
    assert.deepEqual(await logins(), ['recent'], 'an hour later the edge entry is 30 days and 30 minutes old');
    await r.stop();
    assert.equal(time.pending(), 0);
  });

  it('a failing prune is logged once per streak and tried again the next hour', async () => {
    const time = fakeTime();
    const { log, lines } = memoryLog();
    let calls = 0;
    const r = startRetention({
      prune: async () => {
        calls++;
        throw new Error('disk I/O error');
      },
      retentionDays: 7,
      log,
      now: time.now,
      timers: time.timers,
    });
    await time.advance(3 * PRUNE_EVERY_MS);
    await settle();
    assert.equal(calls, 4);
    assert.equal(lines.filter((l) => l.fields.event === 'history-prune-failed').length, 1);
    await r.stop();
  });

  it('with recording off nothing is recorded, and what was kept still ages out', async () => {
    const time = fakeTime();
    const now = time.now();
    await t.dir.recordLogins([ev(now - 40 * DAY, 'old'), ev(now - DAY, 'recent')]);
    const { log } = memoryLog();
    const h = openHistory({ enabled: false, retentionDays: 30 }, t.dir, log, { now: time.now, timers: time.timers });
    h.record({ login: 'new', mailbox: null, clientIp: '192.0.2.1', protocol: 'imap', method: 'plain', result: 'ok', reason: 'ok', cache: null, appPassword: null });
    await time.advance(5000);
    await h.close();
    assert.deepEqual(await logins(), ['recent']);
  });
});
