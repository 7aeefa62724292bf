/**
 * Reading passwords from the terminal (not echoed) or from standard input for scripts.
 */
import { createInterface } from 'node:readline';

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // Strip one trailing newline, as `echo pw | postern ...` adds it; keep every other byte.
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export async function readPassword(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) {
    throw new Error('no terminal to ask for a password: pass it on standard input with --password-stdin');
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  const out = rl as unknown as { _writeToOutput: (s: string) => void; output: NodeJS.WritableStream };
  let muted = false;
  out._writeToOutput = (s: string) => {
    if (!muted) process.stderr.write(s);
  };
  try {
    return await new Promise<string>((resolve) => {
      rl.question(prompt, (answer) => resolve(answer));
      muted = true;
    });
  } finally {
    process.stderr.write('\n');
    rl.close();
  }
}
