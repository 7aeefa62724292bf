/**
 * The login recorder with a clock and timers moved by hand: recording never writes on the
 * caller's path, the buffer is written at most once per interval (at once when it holds a
 * batch, and at close), a failed write keeps its events for the next try and is logged once
 * per streak, a write that kept its first rows before failing has only the rest tried again,
 * a full buffer drops the oldest and says how many, and inbound mail routing is not a login.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LoginEvent } from '../store/index.js';
import { isoTimes } from '../log/iso-time.js';
import { createLoginRecorder, type LoginAttempt, type RecorderOptions } from './recorder.js';
import { fakeTime, memoryLog, settle } from './test-support.js';

const attempt = (login: string, over: Partial<LoginAttempt> = {}): LoginAttempt => ({
  login,
  mailbox: null,
  clientIp: '192.0.2.1',
  protocol: 'imap',
  method: 'plain',
  result: 'fail',
  reason: 'bad-credentials',
  cache: null,
  appPassword: null,
  ...over,
});

function setup(over: Partial<RecorderOptions> = {}) {
  const time = fakeTime();
  const { log, lines } = memoryLog();
  const writes: LoginEvent[][] = [];
  const state = { failing: false };
  const recorder = createLoginRecorder({
    write: async (events) => {
      if (state.failing) throw new Error('SQLITE_BUSY: database is locked');
      writes.push(events);
    },
    log,
    now: time.now,
    timers: time.timers,
    ...over,
  });
  return { time, lines, writes, state, recorder, logins: () => writes.flat().map((e) => e.login) };
}

describe('login recorder', () => {
  it('never writes on the caller\'s path; what arrives within a second goes in one write', async () => {
    const { time, writes, recorder, logins } = setup();
    recorder.record(attempt('a'));
    assert.equal(writes.length, 0, 'record only buffers');
    await time.advance(0);
    assert.deepEqual(writes.map((w) => w.length), [1], 'after a quiet spell the first event goes out at once');
    for (const l of ['b', 'c', 'd']) {
      await time.advance(200);
      recorder.record(attempt(l));
    }
    await time.advance(399);
    assert.equal(writes.length, 1, 'not before a second has passed since the last write');
    await time.advance(1);
    assert.deepEqual(writes.map((w) => w.length), [1, 3]);
    assert.deepEqual(logins(), ['a', 'b', 'c', 'd']);
    assert.equal(recorder.stats().buffered, 0);
  });

  it('writes at most once per second under steady traffic', async () => {
    const { time, writes, recorder } = setup();
    for (let i = 0; i < 500; i++) {
      recorder.record(attempt(`u${i}`));
      await time.advance(10);
    }
    await time.advance(1000);
    assert.ok(writes.length <= 6, `${writes.length} writes in 5 s`);
    assert.equal(writes.flat().length, 500);
  });

  it('stamps each event with the clock at record time, as ISO-8601 UTC', async () => {
    const { time, writes, recorder } = setup();
    await time.advance(1234);
    recorder.record(attempt('a'));
    await time.advance(0);
    assert.equal(writes[0]?.[0]?.at, '2030-01-01T09:00:01.234Z');
  });

  it('a full batch is written at once, without waiting for the second', async () => {
    const { time, writes, recorder } = setup({ batchSize: 5 });
    recorder.record(attempt('first'));
    await time.advance(0);
    for (let i = 0; i < 5; i++) recorder.record(attempt(`b${i}`));
    await time.advance(0);
    assert.deepEqual(writes.map((w) => w.length), [1, 5]);
  });

  it('a failed write is logged once per streak, never thrown, and its events are written when the database is back', async () => {
    const { time, writes, lines, state, recorder, logins } = setup();
    state.failing = true;
    recorder.record(attempt('a'));
    recorder.record(attempt('b'));
    await time.advance(0);
    await time.advance(1000);
    recorder.record(attempt('c'));
    await time.advance(3000);
    assert.equal(writes.length, 0);
    const failed = lines.filter((l) => l.fields.event === 'history-write-failed');
    assert.equal(failed.length, 1, 'one line for the whole streak');
    assert.equal(failed[0]?.level, 'warn');
    assert.deepEqual((failed[0]?.fields.err as { message: string }).message, 'SQLITE_BUSY: database is locked');
    assert.equal(recorder.stats().buffered, 3);
    state.failing = false;
    await time.advance(1000);
    assert.deepEqual(logins(), ['a', 'b', 'c'], 'in order, none lost');
    assert.equal(writes[0]?.[0]?.at, '2030-01-01T09:00:00.000Z', 'with the time they happened');
    assert.ok(lines.some((l) => l.fields.event === 'history-write-recovered' && l.level === 'info'));
    state.failing = true;
    recorder.record(attempt('d'));
    await time.advance(1000);
    assert.equal(lines.filter((l) => l.fields.event === 'history-write-failed').length, 2, 'a new streak is logged again');
  });

  it('beyond the hard cap the oldest events are dropped and counted in the log', async () => {
    const { time, lines, state, recorder, logins } = setup({ batchSize: 10, maxBuffered: 20 });
    state.failing = true;
    for (let i = 0; i < 50; i++) recorder.record(attempt(`u${i}`));
    await time.advance(0);
    const { buffered, dropped } = recorder.stats();
    assert.ok(buffered <= 20, `${buffered} buffered`);
    assert.equal(buffered + dropped, 50);
    state.failing = false;
    await time.advance(5000);
    const kept = logins();
    assert.equal(kept.length, buffered);
    assert.equal(kept[kept.length - 1], 'u49', 'the newest are kept');
    const line = lines.find((l) => l.fields.event === 'history-dropped');
    assert.equal(line?.fields.dropped, dropped);
  });

  it('close writes what is buffered and then ignores further records', async () => {
    const { time, writes, recorder, logins } = setup();
    recorder.record(attempt('a'));
    await time.advance(0);
    recorder.record(attempt('b'));
    recorder.record(attempt('c'));
    await recorder.close();
    assert.deepEqual(logins(), ['a', 'b', 'c'], 'without waiting for the second');
    recorder.record(attempt('late'));
    await time.advance(5000);
    assert.equal(writes.flat().length, 3);
    assert.equal(time.pending(), 0, 'no timer left behind');
  });

  it('close with a failing database says how many events were lost', async () => {
    const { lines, state, recorder } = setup();
    state.failing = true;
    recorder.record(attempt('a'));
    recorder.record(attempt('b'));
    await recorder.close();
    assert.equal(lines.find((l) => l.fields.event === 'history-lost')?.fields.lost, 2);
  });

  it('inbound mail routing (Auth-Method none) is not a login and is not recorded', async () => {
    const { time, recorder, logins } = setup();
    recorder.record(attempt('', { method: 'none', protocol: 'smtp', result: 'ok', reason: 'ok' }));
    recorder.record(attempt('bob@example.com', { method: 'plain', protocol: 'smtp' }));
    await time.advance(0);
    await settle();
    assert.deepEqual(logins(), ['bob@example.com']);
  });

  it('a write that kept its first events before failing has only the rest tried again, in order', async () => {
    const { time, recorder } = setup();
    const seen: string[][] = [];
    let fail = true;
    const r = createLoginRecorder({
      write: async (events) => {
        seen.push(events.map((e) => e.login));
        if (fail) {
          fail = false;
          throw Object.assign(new Error('SQLITE_FULL'), { written: 2 });
        }
      },
      log: memoryLog().log,
      now: time.now,
      timers: time.timers,
    });
    for (const l of ['a', 'b', 'c', 'd']) r.record(attempt(l));
    await time.advance(0);
    r.record(attempt('e'));
    await time.advance(1000);
    assert.deepEqual(seen, [['a', 'b', 'c', 'd'], ['c', 'd', 'e']]);
    assert.equal(r.stats().buffered, 0);
    await recorder.close();
  });

  it('close counts only the events a failing write did not keep as lost', async () => {
    const { log, lines } = memoryLog();
    const r = createLoginRecorder({
      write: async () => {
        throw Object.assign(new Error('no'), { written: 1 });
      },
      log,
      timers: fakeTime().timers,
    });
    for (const l of ['a', 'b', 'c']) r.record(attempt(l));
    await r.close();
    assert.equal(lines.find((l) => l.fields.event === 'history-lost')?.fields.lost, 2);
  });

  it('stamps are the same text as toISOString, the cached second included', () => {
    const iso = isoTimes();
    const base = Date.UTC(2030, 0, 1, 9, 59, 59, 990);
    const stamps = [base, base + 1, base + 9, base + 10, base + 11, base + 99, base + 100, 0, -1, -1000, -1001, Date.UTC(9999, 11, 31, 23, 59, 59, 999), Date.UTC(10000, 0, 1), Date.UTC(-1, 0, 1, 0, 0, 0, 5), base];
    for (let i = 0; i < 2000; i++) stamps.push(base + Math.floor(i * 3.7));
    for (const ms of stamps) assert.equal(iso(ms), new Date(ms).toISOString(), String(ms));
  });
});
