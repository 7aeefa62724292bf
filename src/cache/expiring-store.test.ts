import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryStore } from './expiring-store.js';

test('entries expire after their TTL, and a TTL of 0 stores nothing', async () => {
  let now = 1000;
  const s = createMemoryStore<string>({ maxEntries: 10, now: () => now });
  await s.set('a', 'A', 500);
  await s.set('z', 'Z', 0);
  assert.equal(await s.get('a'), 'A');
  assert.equal(await s.get('z'), undefined);
  now += 499;
  assert.equal(await s.get('a'), 'A');
  now += 1;
  assert.equal(await s.get('a'), undefined);
  assert.equal(s.size(), 0);
});

test('the least recently used entry goes first when full', async () => {
  const s = createMemoryStore<number>({ maxEntries: 3 });
  for (const k of ['a', 'b', 'c']) await s.set(k, 1, 60_000);
  await s.get('a'); // a is now the most recently used
  await s.set('d', 1, 60_000);
  assert.equal(await s.get('b'), undefined);
  assert.deepEqual([await s.get('a'), await s.get('c'), await s.get('d')], [1, 1, 1]);
  await s.delete('a');
  assert.equal(await s.get('a'), undefined);
  assert.equal(s.size(), 2);
});
