/**
 * The shared deadline list behind the idle and login timeouts: each item expires `ms` after it
 * was last armed, never early, in order; re-arming postpones, disarming cancels; the one Node
 * timer follows the first entry. Node's timers are mocked and the list's clock follows them.
 */
import { afterEach, beforeEach, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { Deadlines } from './deadlines.js';

let clock = 0;
beforeEach(() => {
  clock = 0;
  mock.timers.enable({ apis: ['setTimeout'] });
});
afterEach(() => mock.timers.reset());

/** Advances the mocked timers and the list's clock together, one millisecond at a time. */
function advance(ms: number): void {
  for (let i = 0; i < ms; i++) {
    clock++;
    mock.timers.tick(1);
  }
}

function list(ms: number): { d: Deadlines<string>; fired: Array<[string, number]> } {
  const fired: Array<[string, number]> = [];
  const d = new Deadlines<string>(ms, (item) => fired.push([item, clock]), () => clock);
  return { d, fired };
}

test('each item expires its own ms after it was armed, in order, not before', () => {
  const { d, fired } = list(100);
  d.arm('a');
  advance(30);
  d.arm('b');
  advance(69);
  assert.deepEqual(fired, []);
  advance(1);
  assert.deepEqual(fired, [['a', 100]]);
  advance(30);
  assert.deepEqual(fired, [
    ['a', 100],
    ['b', 130],
  ]);
  assert.equal(d.size, 0);
});

test('re-arming postpones; disarming cancels, even the first entry the timer was set for', () => {
  const { d, fired } = list(100);
  d.arm('a');
  d.arm('b');
  advance(60);
  d.arm('a'); // now due at 160, behind b
  d.disarm('b');
  advance(99);
  assert.deepEqual(fired, []);
  advance(1);
  assert.deepEqual(fired, [['a', 160]]);
  d.arm('c');
  d.disarm('c');
  advance(500);
  assert.deepEqual(fired, [['a', 160]]);
});

test('start arms an item once: a running countdown is not postponed', () => {
  const { d, fired } = list(100);
  d.start('a');
  advance(60);
  d.start('a');
  advance(40);
  assert.deepEqual(fired, [['a', 100]]);
  d.start('a'); // expired: a new countdown
  advance(100);
  assert.deepEqual(fired, [
    ['a', 100],
    ['a', 200],
  ]);
});

test('re-arming moves an item behind those armed after it, so they still expire on time', () => {
  const { d, fired } = list(100);
  d.arm('a');
  advance(30);
  d.arm('b');
  advance(30);
  d.arm('a'); // due at 160, after b at 130
  advance(100);
  assert.deepEqual(fired, [
    ['b', 130],
    ['a', 160],
  ]);
});

test('a fractional clock rounds the deadline up, and an item armed again as it expires fires again', () => {
  const fired: number[] = [];
  let t = 0.4;
  const d: Deadlines<string> = new Deadlines<string>(10, (item) => {
    fired.push(t);
    if (fired.length < 3) d.arm(item);
  }, () => t);
  d.arm('x');
  for (let i = 0; i < 50; i++) {
    t += 1;
    mock.timers.tick(1);
  }
  // Armed at 0.4: due at 11 (not 10.4), then 10 ms after each expiry.
  assert.deepEqual(fired.map((x) => Math.round(x * 10) / 10), [11.4, 22.4, 33.4]);
});
