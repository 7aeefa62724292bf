/** The app password's shape, its randomness, the kind reading of what is typed back, and its hash. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { APP_PASSWORD_BITS, appPasswordHash, generateAppPassword, normaliseAppPassword } from './secret.js';

const SHAPE = /^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$/;

describe('app password secrets', () => {
  it('are four groups of four lower-case characters without i, l, o or u: 80 random bits', () => {
    assert.equal(APP_PASSWORD_BITS, 80);
    const seen = new Set<string>();
    const chars = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const { password } = generateAppPassword();
      assert.match(password, SHAPE);
      seen.add(password);
      for (const c of password.replace(/-/g, '')) chars.add(c);
    }
    assert.equal(seen.size, 2000, 'no repeats');
    assert.equal(chars.size, 32, 'every character of the alphabet is used');
    for (const c of 'ilou') assert.ok(!chars.has(c), `never ${c}`);
  });

  it('store a hex SHA-256 that the password, typed back, finds again', () => {
    const { password, hash } = generateAppPassword();
    assert.match(hash, /^[0-9a-f]{64}$/);
    assert.ok(!hash.includes(password.replace(/-/g, '')));
    assert.equal(appPasswordHash(password), hash);
    assert.equal(appPasswordHash(Buffer.from(password)), hash);
  });

  it('read case, dashes, spaces and the look-alikes o, i, l kindly', () => {
    const hash = appPasswordHash('k7pq-3vzm-a0hx-t9w1');
    assert.ok(hash);
    for (const typed of ['K7pq-3vzm-a0hx-t9w1', 'k7pq3vzma0hxt9w1', 'k7pq 3vzm a0hx t9w1', 'K7PQ-3VZM-AOHX-T9WL', 'k7pq-3vzm-a0hx-t9wi']) {
      assert.equal(appPasswordHash(typed), hash, typed);
    }
    assert.equal(normaliseAppPassword('K7PQ-3VZM-AOHX-T9WL'), 'k7pq3vzma0hxt9w1');
    assert.notEqual(appPasswordHash('k7pq-3vzm-a0hx-t9w2'), hash);
  });

  it('tell at once what cannot be an app password, so no lookup is made', () => {
    for (const pw of ['', 'correct horse', 'k7pq-3vzm-a0hx-t9w', 'k7pq-3vzm-a0hx-t9w12', 'k7pq-3vzm-a0hx-t9wu', 'k7pq-3vzm-a0hx-t9w!', 'k7pq-3vzm-a0hx-t9wé', `k7pq${'-'.repeat(40)}3vzma0hxt9w1`]) {
      assert.equal(appPasswordHash(pw), null, pw);
    }
    assert.equal(appPasswordHash(Buffer.from([0x6b, 0x37, 0x70, 0x71, 0xff, 0x76, 0x7a, 0x6d, 0x61, 0x30, 0x68, 0x78, 0x74, 0x39, 0x77, 0x31])), null, 'a byte above 0x7f');
  });
});
