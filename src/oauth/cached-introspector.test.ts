/** The introspection cache alone: how long answers are kept, failures never, one request per token at a time. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cachedIntrospector } from './cached-introspector.js';
import { IntrospectionUnavailable, type IntrospectionResponse } from './introspection.js';

function setup(answer: (token: string) => Promise<IntrospectionResponse>, cacheSeconds = 60) {
  let now = Date.parse('2030-01-01T00:00:00Z');
  const asked: string[] = [];
  const c = cachedIntrospector({ introspect: (t) => (asked.push(t), answer(t)) }, { cacheSeconds, now: () => now });
  return { c, asked, advance: (s: number) => (now += s * 1000), nowS: () => now / 1000 };
}

test('concurrent logins with one token share one request', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const { c, asked } = setup(async () => (await gate, { active: true, username: 'a' }));
  const all = Promise.all([c.introspect('t1'), c.introspect('t1'), c.introspect('t1')]);
  release();
  const got = await all;
  assert.deepEqual(asked, ['t1']);
  assert.deepEqual(got.map((g) => g.cached), [false, false, false]);
  assert.equal((await c.introspect('t1')).cached, true);
});

test('a failure is not remembered, and concurrent askers all see it', async () => {
  let fail = true;
  const { c, asked } = setup(async () => {
    if (fail) throw new IntrospectionUnavailable('down');
    return { active: true };
  });
  const both = await Promise.allSettled([c.introspect('t'), c.introspect('t')]);
  assert.deepEqual(both.map((b) => b.status), ['rejected', 'rejected']);
  fail = false;
  assert.deepEqual(await c.introspect('t'), { response: { active: true }, cached: false });
  assert.deepEqual(asked, ['t', 't']);
});

test('active: cache_seconds, or until exp; inactive: at most 30 s', async () => {
  const answers: Record<string, IntrospectionResponse> = {};
  const { c, asked, advance, nowS } = setup(async (t) => answers[t]!, 120);
  answers.long = { active: true };
  answers.short = { active: true, exp: nowS() + 10 };
  answers.gone = { active: false };
  for (const t of ['long', 'short', 'gone']) await c.introspect(t);
  advance(9);
  for (const t of ['long', 'short', 'gone']) assert.equal((await c.introspect(t)).cached, true, t);
  advance(2);
  assert.equal((await c.introspect('short')).cached, false);
  advance(20);
  assert.equal((await c.introspect('gone')).cached, false);
  advance(90);
  assert.equal((await c.introspect('long')).cached, false);
  assert.deepEqual(asked, ['long', 'short', 'gone', 'short', 'gone', 'long']);
});
