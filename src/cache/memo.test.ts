import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memoise } from './memo.js';

test('computes once per argument and forgets the oldest beyond the bound', () => {
  const calls: string[] = [];
  const upper = memoise((s) => {
    calls.push(s);
    return s.toUpperCase();
  }, 2);
  assert.equal(upper('a'), 'A');
  assert.equal(upper('a'), 'A');
  assert.equal(upper('b'), 'B');
  assert.equal(upper('c'), 'C'); // 'a' goes
  assert.equal(upper('b'), 'B');
  assert.equal(upper('a'), 'A');
  assert.deepEqual(calls, ['a', 'b', 'c', 'a']);
});

test('remembers undefined results too', () => {
  let n = 0;
  const none = memoise(() => {
    n++;
    return undefined;
  });
  none('x');
  none('x');
  assert.equal(n, 1);
});
