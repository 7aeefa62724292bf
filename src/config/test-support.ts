/** What the config tests share: a config file to load, and the problems a ConfigError lists. */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initConfig } from './init.js';
import { ConfigError } from './load.js';

/** A fresh init'ed config with `toml` appended; `fn` gets its path and folder. */
export function withConfig(toml: string, fn: (file: string, dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'postern-mp-'));
  try {
    const file = join(dir, 'postern.toml');
    initConfig(file);
    appendFileSync(file, `\n${toml}\n`);
    fn(file, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

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
