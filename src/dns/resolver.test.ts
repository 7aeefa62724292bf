import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createResolver } from './resolver.js';

test('IP literals pass through untouched (IPv6 without brackets), without any lookup', async () => {
  const r = createResolver({ ttlSeconds: 60, lookup: async () => assert.fail('no lookup expected') });
  assert.equal(await r.resolve('192.0.2.5'), '192.0.2.5');
  assert.equal(await r.resolve('2001:db8::1'), '2001:db8::1');
  assert.equal(await r.resolve('[2001:db8::1]'), '2001:db8::1');
});

test('names are looked up once per TTL, concurrent lookups are shared, and failures retried soon', async () => {
  let now = 0;
  const calls: string[] = [];
  let fail = false;
  const r = createResolver({
    ttlSeconds: 60,
    now: () => now,
    lookup: async (host) => {
      calls.push(host);
      if (fail) throw new Error('ENOTFOUND');
      return '10.0.0.7';
    },
  });
  assert.deepEqual(await Promise.all([r.resolve('mail.internal'), r.resolve('mail.internal')]), ['10.0.0.7', '10.0.0.7']);
  assert.equal(calls.length, 1);
  now += 59_000;
  await r.resolve('mail.internal');
  assert.equal(calls.length, 1, 'still cached within the TTL');
  now += 2_000;
  fail = true;
  await assert.rejects(r.resolve('mail.internal'));
  assert.equal(calls.length, 2);
  await assert.rejects(r.resolve('mail.internal'), 'a failure is reused for a moment');
  assert.equal(calls.length, 2);
  now += 6_000;
  fail = false;
  assert.equal(await r.resolve('mail.internal'), '10.0.0.7');
  assert.equal(calls.length, 3, 'and retried after a few seconds');
});

test('a lookup that returns something other than an IP is a failure', async () => {
  const r = createResolver({ ttlSeconds: 60, lookup: async () => 'not-an-ip' });
  await assert.rejects(r.resolve('odd.example'), /gave no IP address/);
});
