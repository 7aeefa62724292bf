/**
 * Runs a Node script as a child process and reads its result: the last line it prints, as
 * JSON. Kept free of other imports, since the load generator itself uses it to be run.
 */
import { spawn } from 'node:child_process';

/** Runs `node ARGS` (with `input` on standard input, if given) and parses its last output line. */
export function runNodeJson<T>(args: string[], timeoutMs: number, input?: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'inherit'] });
    if (input !== undefined) child.stdin!.end(input);
    let out = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as T);
      } catch {
        reject(new Error(`node ${args[0]} failed (exit ${code}): ${out.slice(0, 500)}`));
      }
    });
  });
}
