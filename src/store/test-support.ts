/**
 * Test helper shared by the store's tests (and the CLI's): a real SQLite directory in a
 * fresh temporary folder, removed afterwards.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDirectory, type DirectoryOptions, type DirectoryWithBans } from './index.js';

export interface TempDirectory {
  dir: DirectoryWithBans;
  /** The database file. */
  file: string;
  /** Closes the directory (if still open) and deletes the folder. */
  cleanup(): Promise<void>;
}

export function tempFolder(): { folder: string; remove(): void } {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'postern-store-'));
  return { folder, remove: () => fs.rmSync(folder, { recursive: true, force: true }) };
}

/** A clock for tests: starts at `start` and moves only when told. */
export function manualClock(start = '2030-01-01T00:00:00.000Z'): { clock: () => Date; advance(seconds: number): void; set(iso: string): void } {
  let t = Date.parse(start);
  return {
    clock: () => new Date(t),
    advance: (seconds) => {
      t += seconds * 1000;
    },
    set: (iso) => {
      t = Date.parse(iso);
    },
  };
}

export async function openTempDirectory(options: DirectoryOptions = {}): Promise<TempDirectory> {
  const tmp = tempFolder();
  const file = path.join(tmp.folder, 'directory.db');
  const dir = await openDirectory({ kind: 'sqlite', path: file }, options);
  let closed = false;
  const close = dir.close.bind(dir);
  dir.close = async () => {
    if (closed) return;
    closed = true;
    await close();
  };
  return {
    dir,
    file,
    cleanup: async () => {
      await dir.close();
      tmp.remove();
    },
  };
}
