/** The last-used writes: at most one per app password per interval, never thrown, bounded. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLastUsedRecorder } from './last-used.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('createLastUsedRecorder', () => {
  it('writes the first use, then at most once a minute per app password', async () => {
    let t = Date.parse('2030-01-01T00:00:00Z');
    const writes: Array<[number, string]> = [];
    const used = createLastUsedRecorder({ write: async (id, at) => void writes.push([id, at]), log: { warn: () => {} }, now: () => t });
    used(1);
    used(1);
    used(2);
    t += 59_999;
    used(1);
    t += 1;
    used(1);
    used(2);
    assert.deepEqual(writes, [
      [1, '2030-01-01T00:00:00.000Z'],
      [2, '2030-01-01T00:00:00.000Z'],
      [1, '2030-01-01T00:01:00.000Z'],
      [2, '2030-01-01T00:01:00.000Z'],
    ]);
  });

  it('logs a failed write (no password, no throw) and forgets the oldest beyond its bound', async () => {
    const warnings: Array<Record<string, unknown>> = [];
    let calls = 0;
    const t = 0;
    const used = createLastUsedRecorder({
      write: async () => {
        calls++;
        throw new Error('database is locked');
      },
      log: { warn: ((o: Record<string, unknown>) => void warnings.push(o)) as never },
      now: () => t,
      maxEntries: 2,
    });
    used(1);
    used(2);
    used(3); // 1 is forgotten: a fourth use of it writes again
    used(1);
    used(3);
    await tick();
    assert.equal(calls, 4);
    assert.equal(warnings.length, 4);
    assert.equal(warnings[0]?.event, 'app-password-last-used-failed');
    assert.equal(warnings[0]?.app_password_id, 1);
  });
});
