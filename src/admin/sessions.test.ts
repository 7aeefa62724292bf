/** Session ids, timeouts, the client binding and CSRF tokens, without sockets or a database. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bindingHolds, checkSession, csrfToken, hashSessionId, newSession, sessionHandle, shouldTouch, type SessionPolicy } from './sessions.js';
import type { SessionRecord } from './types.js';

const POLICY: SessionPolicy = { idleMs: 30 * 60_000, maxMs: 12 * 3_600_000, binding: 'off' };
const T0 = new Date('2030-01-01T00:00:00.000Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

function session(policy = POLICY, clientIp = '198.51.100.20'): { id: string; rec: SessionRecord } {
  const s = newSession({ adminId: 1, clientIp, userAgent: 'ua', now: T0, policy });
  return { id: s.id, rec: { ...s.record, revoked: false } };
}

test('a new session id is 256 random bits; only its SHA-256 is stored, and a new login makes a new id', () => {
  const a = session();
  const b = session();
  assert.match(a.id, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a.id, b.id);
  assert.equal(a.rec.idHash, hashSessionId(a.id));
  assert.match(a.rec.idHash, /^[0-9a-f]{64}$/);
  assert.ok(!a.rec.idHash.includes(a.id));
  assert.equal(a.rec.expiresAt, '2030-01-01T12:00:00.000Z', 'absolute end = login + max');
  assert.equal(hashSessionId('not-an-id'), null, 'a forged cookie value is never looked up');
  assert.equal(sessionHandle(a.rec.idHash).length, 16);
});

test('idle and absolute timeouts end a session, with the reason', () => {
  const { rec } = session();
  assert.deepEqual(checkSession(rec, '198.51.100.20', at(29), POLICY), { ok: true });
  assert.equal(checkSession(rec, '198.51.100.20', at(30), POLICY).ok, false);
  const idle = checkSession(rec, '198.51.100.20', at(31), POLICY);
  assert.ok(!idle.ok && idle.reason === 'idle' && /30 minutes/.test(idle.detail));
  // Kept busy, it still ends at the absolute limit.
  const busy = { ...rec, lastSeenAt: at(12 * 60 - 1).toISOString() };
  assert.deepEqual(checkSession(busy, '198.51.100.20', at(12 * 60 - 1), POLICY), { ok: true });
  const end = checkSession(busy, '198.51.100.20', at(12 * 60), POLICY);
  assert.ok(!end.ok && end.reason === 'expired');
  const revoked = checkSession({ ...rec, revoked: true }, '198.51.100.20', at(1), POLICY);
  assert.ok(!revoked.ok && revoked.reason === 'revoked');
});

test('binding off ignores the client; exact and subnet compare the resolved client IP', () => {
  assert.ok(bindingHolds('off', '198.51.100.20', '203.0.113.9'));
  assert.ok(bindingHolds('exact', '198.51.100.20', '198.51.100.20'));
  assert.ok(bindingHolds('exact', '198.51.100.20', '::ffff:198.51.100.20'), 'IPv4-mapped IPv6 is the same client');
  assert.ok(!bindingHolds('exact', '198.51.100.20', '198.51.100.21'));
  assert.ok(bindingHolds('subnet', '198.51.100.20', '198.51.100.99'), 'same /24');
  assert.ok(!bindingHolds('subnet', '198.51.100.20', '198.51.101.20'));
  assert.ok(bindingHolds('subnet', '2001:db8:1:2::1', '2001:db8:1:2:ffff::9'), 'same /64');
  assert.ok(!bindingHolds('subnet', '2001:db8:1:2::1', '2001:db8:1:3::1'));
  assert.ok(!bindingHolds('exact', '198.51.100.20', null), 'an unknown client never matches a binding');
  const { rec } = session({ ...POLICY, binding: 'exact' });
  const moved = checkSession(rec, '203.0.113.9', at(1), { ...POLICY, binding: 'exact' });
  assert.ok(!moved.ok && moved.reason === 'client-changed' && /198\.51\.100\.20/.test(moved.detail));
});

test('last use is written at most once a minute', () => {
  const { rec } = session();
  assert.equal(shouldTouch(rec, at(0.5)), false);
  assert.equal(shouldTouch(rec, at(1)), true);
});

test('the CSRF token is derived from the session id: stable per session, different across sessions, not the id', () => {
  const a = session();
  const b = session();
  assert.equal(csrfToken(a.id), csrfToken(a.id));
  assert.notEqual(csrfToken(a.id), csrfToken(b.id));
  assert.notEqual(csrfToken(a.id), a.id);
  assert.notEqual(csrfToken(a.id), a.rec.idHash);
});
