/** The limits on failed console logins, with real in-memory counters and a test clock. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryCounters } from '../defence/memory-counters.js';
import { createLoginDefence } from './login-defence.js';
import { describeBrowser } from './browser.js';
import { bearerToken, hashApiToken, newApiToken } from './tokens.js';

function setup(ipLimit = 3, nameLimit = 3) {
  let now = 0;
  const counters = createMemoryCounters({ maxKeys: 100, maxMembers: 100, now: () => now });
  const d = createLoginDefence({ ipLimit, nameLimit, windowMs: 15 * 60_000, ownerMs: 7 * 86_400_000 }, counters);
  return { d, advance: (ms: number) => (now += ms) };
}

test('an IP that tried too many distinct passwords must wait; the same wrong password again counts once', async () => {
  const { d, advance } = setup(3, 100);
  for (let i = 0; i < 5; i++) await d.failed('192.0.2.7', 'root', 'same wrong');
  assert.deepEqual(await d.admits('192.0.2.7', 'root'), { ok: true }, 'a browser resubmitting one password is not guessing');
  await d.failed('192.0.2.7', 'root', 'guess 2');
  await d.failed('192.0.2.7', 'alice', 'guess 3');
  assert.deepEqual(await d.admits('192.0.2.7', 'bob'), { ok: false, code: 'too-many-failures', limit: 'ip', retryMinutes: 15 });
  assert.deepEqual(await d.admits('192.0.2.8', 'bob'), { ok: true }, 'another IP is not affected');
  advance(15 * 60_000 + 1);
  assert.deepEqual(await d.admits('192.0.2.7', 'bob'), { ok: true }, 'the window slides');
});

test('a name under attack is locked for strangers, unknown names too, but not for networks its admin signed in from', async () => {
  const { d } = setup(100, 3);
  await d.succeeded('198.51.100.20', 'root');
  for (const [i, pw] of ['a', 'b', 'c'].entries()) await d.failed(`203.0.113.${i}`, 'root', pw);
  assert.equal((await d.admits('203.0.113.50', 'root')).ok, false);
  assert.deepEqual(await d.admits('198.51.100.20', 'root'), { ok: true }, "the owner's network still gets in");
  for (const pw of ['a', 'b', 'c']) await d.failed('203.0.113.1', 'nosuchadmin', pw);
  const gate = await d.admits('203.0.113.60', 'nosuchadmin');
  assert.ok(!gate.ok && gate.limit === 'name', 'unknown names are limited like real ones: no oracle');
});

test('API tokens: a recognisable prefix, hashed for storage, and only Bearer headers carry them', () => {
  const { token, tokenHash } = newApiToken();
  assert.match(token, /^postern_[A-Za-z0-9_-]{43}$/);
  assert.equal(hashApiToken(token), tokenHash);
  assert.equal(hashApiToken('postern_short'), null);
  assert.equal(bearerToken(`Bearer ${token}`), token);
  assert.equal(bearerToken(`bearer  ${token} `), token);
  assert.equal(bearerToken(`Basic ${token}`), null);
  assert.equal(bearerToken(undefined), null);
});

test('a User-Agent becomes "browser on system", anything else is shortened text', () => {
  assert.equal(describeBrowser('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36'), 'Chrome 120 on Linux');
  assert.equal(describeBrowser('Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0'), 'Firefox 121 on Windows');
  assert.equal(describeBrowser('curl/8.5.0'), 'curl 8');
  assert.equal(describeBrowser(''), 'unknown client');
  assert.equal(describeBrowser('<b>x</b>'), '<b>x</b>', 'returned as text; the page escapes it');
});
