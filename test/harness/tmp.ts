// test/harness/tmp.ts
// Temporary folders for one server instance: fs.mkdtempSync under os.tmpdir(), then
// chmod 755 (Dovecot's internal users and the mail user must traverse it).
// Set POSTERN_KEEP_TMP=1 to keep the folders after the test (for debugging).

import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { trackDir, untrackDir } from './processes.js';

const PREFIX = 'postern-';

/** Create a fresh 0755 folder named os.tmpdir()/postern-<label>-XXXXXX. */
export function makeTempDir(label = 'test'): string {
  const safe = label.replace(/[^A-Za-z0-9_-]/g, '_');
  const dir = mkdtempSync(join(tmpdir(), `${PREFIX}${safe}-`));
  chmodSync(dir, 0o755);
  // Removed at process exit if the owner never calls removeTempDir (crashed test).
  trackDir(dir, () => removeTempDir(dir));
  return dir;
}

/** True when POSTERN_KEEP_TMP asks to keep folders. */
export function keepTempDirs(): boolean {
  const v = process.env['POSTERN_KEEP_TMP'];
  return v !== undefined && v !== '' && v !== '0';
}

/**
 * Remove a folder made by makeTempDir (refuses anything else). No-op when it is already
 * gone or when POSTERN_KEEP_TMP is set.
 */
export function removeTempDir(dir: string): void {
  const abs = resolve(dir);
  const base = resolve(tmpdir()) + sep;
  if (!abs.startsWith(base + PREFIX) || abs.slice(base.length).includes(sep)) {
    throw new Error(`removeTempDir: refusing to remove ${abs} (not a harness temp folder)`);
  }
  untrackDir(abs);
  untrackDir(dir);
  if (keepTempDirs()) return;
  rmSync(abs, { recursive: true, force: true, maxRetries: 3 });
}
