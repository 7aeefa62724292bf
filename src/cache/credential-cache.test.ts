import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Mailbox } from '../directory/types.js';
import { createCredentialCache, type CacheEntry } from './credential-cache.js';
import { createMemoryStore } from './expiring-store.js';

const HASH = '{SHA512-CRYPT}$6$AW/.fhfwHHRt1GOO$abJduIjDGRViFrPcmaxBSJJyeBTHMMn2cELemKWlXG59fz.i2SUYnqS/6SsthrdhW/pI14Ro.Now66nEyulTJ1';

function mailbox(over: Partial<Mailbox> = {}): Mailbox {
  return { id: 7, address: 'alice@example.com', domainId: 1, passwordHash: HASH, enabled: true, protocols: ['imap', 'smtp'], networks: [], createdAt: '', updatedAt: '', reversibleSecret: null, secretChangedAt: null, backendLogin: null, ...over };
}

function setup(settings = { ttlSeconds: 3600, negativeTtlSeconds: 300, staleSeconds: 7200 }) {
  let now = 1_000_000;
  const store = createMemoryStore<CacheEntry>({ maxEntries: 100, now: () => now });
  const cache = createCredentialCache(store, settings, () => now)!;
  return { cache, store, advance: (s: number) => (now += s * 1000) };
}

const route = { backend: 'b1', server: '10.0.0.1', port: 143, rewritten: false };

test('a cache with a TTL of 0 is off', () => {
  assert.equal(createCredentialCache(createMemoryStore<CacheEntry>({ maxEntries: 1 }), { ttlSeconds: 0, negativeTtlSeconds: 0, staleSeconds: 0 }), undefined);
});

test('fingerprints are keyed hashes: stable in one process, different per login and password, never the password', () => {
  const { cache } = setup();
  const other = setup().cache;
  const fp = cache.fingerprint('alice@example.com', Buffer.from('secret'));
  assert.equal(fp, cache.fingerprint('alice@example.com', Buffer.from('secret')));
  assert.notEqual(fp, cache.fingerprint('alice@example.com', Buffer.from('Secret')));
  assert.notEqual(fp, cache.fingerprint('bob@example.com', Buffer.from('secret')));
  assert.notEqual(fp, other.fingerprint('alice@example.com', Buffer.from('secret')), 'the key is random per process');
  assert.ok(!fp.includes('secret'));
});

test('a verified password is good until the TTL, and only for the same mailbox and stored hash', async () => {
  const { cache, store, advance } = setup();
  const fp = cache.fingerprint('alice@example.com', Buffer.from('secret'));
  await cache.rememberGood(fp, mailbox(), 'imap', route);
  assert.ok(await cache.knownGood(fp, mailbox()));
  assert.equal(await cache.knownGood(fp, mailbox({ passwordHash: '{PLAIN}secret' })), undefined, 'a password change kills it at once');
  assert.equal(await cache.knownGood(fp, mailbox({ id: 8 })), undefined, 'another mailbox of the same name');
  const stored = JSON.stringify(await store.get(`good:${fp}`));
  assert.ok(!stored.includes('secret') && !stored.includes('AW/.fhfwHHRt1GOO'), 'neither the password nor the hash is stored');
  advance(3599);
  assert.ok(await cache.knownGood(fp, mailbox()));
  advance(1);
  assert.equal(await cache.knownGood(fp, mailbox()), undefined);
});

test('a cached login hands its hit back: nothing is read again unless the entry must change', async () => {
  const { cache, store, advance } = setup();
  let reads = 0;
  const counted = { ...store, get: (key: string) => (reads++, store.get(key)) };
  const c = createCredentialCache(counted, { ttlSeconds: 3600, negativeTtlSeconds: 300, staleSeconds: 7200 }, () => 1_000_000)!;
  const fp = c.fingerprint('alice@example.com', Buffer.from('secret'));
  const box = mailbox();
  await c.rememberGood(fp, box, 'imap', route);
  const hit = await c.knownGood(fp, box);
  reads = 0;
  await c.rememberGood(fp, box, 'imap', route, hit);
  assert.equal(reads, 0, 'the same mailbox, rules and route: the hit is enough');
  const smtp = { backend: 'b1', server: '10.0.0.1', port: 587, rewritten: false };
  await c.rememberGood(fp, box, 'smtp', smtp, hit);
  assert.equal(reads, 1, 'a new route is written over a fresh read');
  assert.deepEqual((await c.stale(fp))?.routes, { imap: route, smtp });
  // A hit past the TTL is not taken as current: the entry is read and renewed.
  const late = await cache.rememberGood(fp, box, 'imap', route).then(() => cache.knownGood(fp, box));
  advance(3600);
  await cache.rememberGood(fp, box, 'imap', route, late);
  assert.ok(await cache.knownGood(fp, box), 'renewed, not skipped');
});

test('a wrong password is remembered for the negative TTL, for that mailbox and hash (or for an unknown login)', async () => {
  const { cache, advance } = setup();
  const fp = cache.fingerprint('alice@example.com', Buffer.from('guess'));
  await cache.rememberBad(fp, mailbox());
  assert.equal(await cache.knownBad(fp, mailbox()), true);
  assert.equal(await cache.knownBad(fp, mailbox({ passwordHash: '{PLAIN}guess' })), false, 'the password was changed to this one');
  assert.equal(await cache.knownBad(fp, null), false);
  const unknown = cache.fingerprint('nobody@example.com', Buffer.from('guess'));
  await cache.rememberBad(unknown, null);
  assert.equal(await cache.knownBad(unknown, null), true);
  assert.equal(await cache.knownBad(unknown, mailbox({ address: 'nobody@example.com' })), false, 'the mailbox was created since');
  advance(300);
  assert.equal(await cache.knownBad(fp, mailbox()), false);
  await cache.rememberBad(fp, mailbox());
  await cache.rememberGood(fp, mailbox(), 'imap', route);
  assert.equal(await cache.knownBad(fp, mailbox()), false, 'a success clears the failure');
});

test('stale entries keep the rules and the route per protocol, for stale_seconds after the last verification', async () => {
  const { cache, advance } = setup();
  const fp = cache.fingerprint('alice@example.com', Buffer.from('secret'));
  assert.equal(await cache.stale(fp), undefined);
  await cache.rememberGood(fp, mailbox(), 'imap', route);
  advance(60);
  await cache.rememberGood(fp, mailbox(), 'smtp', { backend: 'b1', server: '10.0.0.1', port: 587, rewritten: false });
  const s = await cache.stale(fp);
  assert.deepEqual(s?.routes, { imap: route, smtp: { backend: 'b1', server: '10.0.0.1', port: 587, rewritten: false } });
  assert.deepEqual([s?.address, s?.enabled, s?.protocols], ['alice@example.com', true, ['imap', 'smtp']]);
  advance(7200 - 60 - 1);
  assert.ok(await cache.stale(fp), 'the TTL passed but the stale window has not');
  advance(1);
  assert.equal(await cache.stale(fp), undefined);
});
