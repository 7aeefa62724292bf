/**
 * The log's batching: a line after a quiet spell goes out at the end of its event-loop turn,
 * lines logged while busy wait for one write at most FLUSH_EVERY_MS later, and pino's own
 * flush writes at once. A real file, read back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { batchedFd, createLogger, FLUSH_EVERY_MS } from './logger.js';

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

test('lines are written together, the first at the end of its turn, the next ones within FLUSH_EVERY_MS', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'postern-log-'));
  const file = join(dir, 'log');
  const fd = openSync(file, 'a');
  try {
    const out = batchedFd(fd);
    const read = (): string => readFileSync(file, 'utf8');
    out.write('a\n');
    assert.equal(read(), '', 'nothing is written while the turn runs');
    await turn();
    assert.equal(read(), 'a\n', 'after a quiet spell: at the end of the turn');
    out.write('b\n');
    out.write('c\n');
    await turn();
    await turn();
    assert.equal(read(), 'a\n', 'a busy log waits for the next write');
    await sleep(FLUSH_EVERY_MS + 20);
    assert.equal(read(), 'a\nb\nc\n', 'which comes within FLUSH_EVERY_MS');
    out.write('d\n');
    createLogger('info', out).flush();
    assert.equal(read(), 'a\nb\nc\nd\n', "pino's flush writes at once");
    await sleep(FLUSH_EVERY_MS + 20); // the write scheduled for 'd' finds nothing left
    assert.equal(read(), 'a\nb\nc\nd\n');
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
});
