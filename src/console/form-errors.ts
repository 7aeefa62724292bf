/**
 * A page form that the directory refused comes back as the same page with the error and what
 * was typed, at the status the API gives for the same refusal (kit.ts directoryStatus), so the
 * operator fixes one field instead of starting over. Anything but a DirectoryError is a bug or
 * an outage and goes on to app.ts, which answers 500.
 */
import { DirectoryError } from '../directory/types.js';
import { directoryStatus } from './kit.js';
import type { PageProblem } from './views/parts.js';

export function formProblem(err: unknown, fix?: Partial<Record<DirectoryError['code'], string>>): { status: number; problem: PageProblem } {
  if (!(err instanceof DirectoryError)) throw err;
  const how = fix?.[err.code];
  return { status: directoryStatus(err), problem: { code: err.code, message: err.message, ...(how ? { fix: how } : {}) } };
}
