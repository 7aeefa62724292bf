import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryCounters } from './memory-counters.js';

test('counts distinct members within a sliding window; a repeated member counts once', async () => {
  let now = 0;
  const c = createMemoryCounters({ maxKeys: 10, maxMembers: 100, now: () => now });
  assert.equal(await c.addDistinct('k', 'a', 1000), 1);
  assert.equal(await c.addDistinct('k', 'a', 1000), 1, 'the same member again');
  now = 500;
  assert.equal(await c.addDistinct('k', 'b', 1000), 2);
  now = 1200; // 'a' (last seen at 0) has left the window, 'b' (500) has not
  assert.equal(await c.addDistinct('k', 'c', 1000), 2);
  assert.equal(await c.hasMember('k', 'a', 1000), false);
  assert.equal(await c.hasMember('k', 'b', 1000), true);
  await c.reset('k');
  assert.equal(await c.hasMember('k', 'b', 1000), false);
  assert.equal(await c.addDistinct('k', 'b', 1000), 1);
});

test('memory stays bounded in keys and members', async () => {
  const c = createMemoryCounters({ maxKeys: 3, maxMembers: 2 });
  for (const m of ['a', 'b', 'c']) await c.addDistinct('k', m, 60_000);
  assert.equal(await c.hasMember('k', 'a', 60_000), false, 'the oldest member went');
  for (const k of ['x', 'y', 'z']) await c.addDistinct(k, 'm', 60_000);
  assert.equal(c.size(), 3);
  assert.equal(await c.hasMember('k', 'b', 60_000), false, 'the least recently used key went');
});

test('countDistinct counts the members within a window and records nothing', async () => {
  let now = 0;
  const c = createMemoryCounters({ maxKeys: 10, maxMembers: 100, now: () => now });
  assert.equal(await c.countDistinct('k', 1000), 0);
  await c.addDistinct('k', 'a', 1000);
  now = 600;
  await c.addDistinct('k', 'b', 1000);
  assert.equal(await c.countDistinct('k', 1000), 2);
  assert.equal(await c.countDistinct('k', 1000), 2, 'asking twice changes nothing');
  now = 1100;
  assert.equal(await c.countDistinct('k', 1000), 1, "'a' left the window");
});
