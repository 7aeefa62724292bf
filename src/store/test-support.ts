/**
 * Test helper shared by the store's tests (and the CLI's): a real SQLite directory in a
 * fresh temporary folder, removed afterwards.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Directory } from '../directory/types.js';
import { openDirectory } from './index.js';

export interface TempDirectory {
  dir: Directory;
  /** The database file. */
  file: string;
  /** Closes the directory (if still open) and deletes the folder. */
  cleanup(): Promise<void>;
}

export function tempFolder(): { folder: string; remove(): void } {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'postern-store-'));
  return { folder, remove: () => fs.rmSync(folder, { recursive: true, force: true }) };
}

export async function openTempDirectory(): Promise<TempDirectory> {
  const tmp = tempFolder();
  const file = path.join(tmp.folder, 'directory.db');
  const dir = await openDirectory({ kind: 'sqlite', path: file });
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
