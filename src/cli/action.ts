/**
 * How CLI commands report the problems a user can fix: a `DirectoryError` or `UsageError`
 * becomes `error: <message>` and exit code 1, printed only after the action (and the database
 * it opened) has finished, so nothing is left half-done if commander ends the process.
 * Anything else propagates as a real failure.
 */
import type { Command } from 'commander';
import { DirectoryError } from '../directory/types.js';

/** A mistake in how a command was called, with the message that says what to do instead. */
export class UsageError extends Error {}

export function actionRunner(code: string) {
  return (fn: (cmd: Command, args: string[]) => Promise<void>) =>
    async (...all: unknown[]): Promise<void> => {
      const cmd = all[all.length - 1] as Command;
      let failure: string | undefined;
      try {
        await fn(cmd, cmd.processedArgs as string[]);
      } catch (err) {
        if (!(err instanceof DirectoryError || err instanceof UsageError)) throw err;
        failure = err.message;
      }
      if (failure !== undefined) cmd.error(`error: ${failure}`, { exitCode: 1, code });
    };
}

/** A `--help` epilogue of examples; a line that already names postern (e.g. after a pipe) is shown as is. */
export const examples = (...lines: string[]): string =>
  `\nExamples:\n${lines.map((l) => `  $ ${l.includes('postern ') ? l : `postern ${l}`}`).join('\n')}\n`;
