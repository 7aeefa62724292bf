/** What the config tests share: the problems a ConfigError lists. */
import assert from 'node:assert/strict';
import { ConfigError } from './load.js';

/** The problem lines of the ConfigError `fn` throws; fails the test when it throws nothing else. */
export function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}
