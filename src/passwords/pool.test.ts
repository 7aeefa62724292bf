import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHashPool, HashPoolOverloaded } from './pool.js';

test('runs at most `concurrency` jobs at once, the rest in order, and refuses past the queue', async () => {
  const pool = createHashPool({ concurrency: 2, maxQueue: 2 });
  let running = 0;
  let peak = 0;
  const order: number[] = [];
  const gates: Array<() => void> = [];
  const job = (n: number) => () =>
    new Promise<number>((resolve) => {
      running++;
      peak = Math.max(peak, running);
      gates.push(() => {
        running--;
        order.push(n);
        resolve(n);
      });
    });
  const results = [1, 2, 3, 4].map((n) => pool.run(job(n)));
  assert.deepEqual(pool.load(), { running: 2, queued: 2 });
  await assert.rejects(pool.run(job(5)), HashPoolOverloaded);
  while (order.length < 4) {
    await new Promise((r) => setImmediate(r));
    gates.shift()?.();
  }
  assert.deepEqual(await Promise.all(results), [1, 2, 3, 4]);
  assert.deepEqual(order, [1, 2, 3, 4]);
  assert.equal(peak, 2);
  assert.deepEqual(pool.load(), { running: 0, queued: 0 });
});

test('a failing job frees its slot', async () => {
  const pool = createHashPool({ concurrency: 1, maxQueue: 0 });
  await assert.rejects(pool.run(async () => { throw new Error('boom'); }), /boom/);
  assert.equal(await pool.run(async () => 42), 42);
});
