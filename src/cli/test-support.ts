/**
 * For the CLI's tests: running commands through commander in-process against a real SQLite
 * directory, capturing what they print and their exit code.
 */
import assert from 'node:assert/strict';
import { Command, CommanderError } from 'commander';
import { openDirectory, type DirectoryOptions } from '../store/index.js';
import type { WithDirectory } from './directory-commands.js';

export interface CliResult {
  out: string;
  err: string;
  code: number;
}

/** Opens the directory at `file()` (read at each call, so tests may change it) per command. */
export function directoryAt(file: () => string, options?: () => DirectoryOptions): WithDirectory {
  return async (fn) => {
    const dir = await openDirectory({ kind: 'sqlite', path: file() }, options?.());
    try {
      return await fn(dir);
    } finally {
      await dir.close();
    }
  };
}

/** Builds a program with `register`, runs `postern <args>` and returns what it printed. */
export async function runCli(register: (program: Command, out: (line: string) => void) => void, args: string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const program = new Command('postern');
  program.exitOverride();
  program.configureOutput({ writeOut: (s) => out.push(s), writeErr: (s) => err.push(s) });
  register(program, (line) => out.push(`${line}\n`));
  let code = 0;
  try {
    await program.parseAsync(['node', 'postern', ...args]);
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    code = e.exitCode;
  }
  return { out: out.join(''), err: err.join(''), code };
}

/** The output of a command that must succeed. */
export function expectOk(r: CliResult, args: string[]): string {
  assert.equal(r.code, 0, `postern ${args.join(' ')} failed: ${r.err}`);
  return r.out;
}

/** A command that must fail with exit code 1 and an error matching `pattern`. */
export function expectFailure(r: CliResult, args: string[], pattern: RegExp): void {
  assert.equal(r.code, 1, `postern ${args.join(' ')} should fail; out: ${r.out}`);
  assert.match(r.err, pattern);
}
