// test/harness/supervise.ts
// The life of one server child process, shared by the nginx, Dovecot and Postern harnesses:
// its stdout + stderr collected, an exit promise, its pid registered with the exit hook of
// processes.ts while it runs, and an idempotent stop() that sends the server's own stop
// signals to the spawned process, waits, then SIGKILLs it and every descendant it had, and
// finally removes the instance's temporary folder. Also the readiness wait (pid file, ports).

import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { waitForPort } from './ports.js';
import { descendants, isAlive, signalAll, trackProcess, untrackProcess, waitForExit } from './processes.js';
import { removeTempDir } from './tmp.js';

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started (then code and signal are null). */
  error?: Error;
  /** e.g. 'nginx exited (code 1, signal none)' or 'nginx could not be started: ...'. */
  reason: string;
}

export interface SuperviseOptions {
  /** Names the process in exit reasons, e.g. 'nginx'. */
  name: string;
  /** Label in the exit-hook registry; default: name. */
  label?: string;
  /**
   * Sent in turn to the spawned process by stop(), each followed by its grace period (ms)
   * for the process and all its descendants to end; after the last, SIGKILL to them all.
   */
  stopSignals: Array<[NodeJS.Signals, number]>;
  /** Temporary folder (makeTempDir) removed at the end of stop(). */
  dir?: string;
}

export interface SupervisedChild {
  /** Undefined when the process could not be spawned (exited then reports the error). */
  pid: number | undefined;
  /** stdout + stderr so far. */
  output(): string;
  /** Resolves once the process has ended (or could not be started). */
  exited: Promise<ChildExit>;
  hasExited(): boolean;
  /** The process and its descendants, while it is alive; [] after. */
  pids(): number[];
  /** How the process ended (ChildExit.reason); undefined while it runs. */
  exitReason(): string | undefined;
  /** Stop signals, SIGKILL after the grace periods, untrack, remove `dir`. Idempotent. */
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Supervise a child spawned with stdio ['ignore', 'pipe', 'pipe']. */
export function superviseChild(child: ChildProcess, opts: SuperviseOptions): SupervisedChild {
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const pid = child.pid;
  let ended: ChildExit | undefined;
  const exited = new Promise<ChildExit>((resolve) => {
    const end = (e: ChildExit): void => {
      if (ended) return;
      ended = e;
      if (pid !== undefined) untrackProcess(pid);
      resolve(e);
    };
    child.once('exit', (code, signal) =>
      end({ code, signal, reason: `${opts.name} exited (code ${code ?? 'null'}, signal ${signal ?? 'none'})` }),
    );
    child.on('error', (error) => {
      if (pid === undefined) end({ code: null, signal: null, error, reason: `${opts.name} could not be started: ${error.message}` });
    });
  });
  if (pid !== undefined) trackProcess(pid, opts.label ?? opts.name);

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      if (pid !== undefined && ended === undefined) {
        const all = [pid, ...descendants(pid)];
        let gone = false;
        for (const [signal, graceMs] of opts.stopSignals) {
          signalAll([pid], signal);
          if ((gone = await waitForExit(all, graceMs))) break;
        }
        if (!gone) {
          signalAll(all, 'SIGKILL');
          await waitForExit(all, 2000);
        }
        await Promise.race([exited, sleep(1000)]);
      }
      if (pid !== undefined) untrackProcess(pid);
      if (opts.dir !== undefined) removeTempDir(opts.dir);
    })();
    return stopped;
  };

  return {
    pid,
    output: () => output,
    exited,
    hasExited: () => ended !== undefined,
    pids: () => (pid !== undefined && isAlive(pid) ? [pid, ...descendants(pid)] : []),
    exitReason: () => ended?.reason,
    stop,
  };
}

/** The pid in a pid file, or undefined (missing, empty or not a number). */
export function readPidFile(path: string): number | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const n = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** A file's text, or `fallback` when it cannot be read (for logs and diagnostics). */
export function readTextOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

/**
 * Wait until the supervised server is ready, else stop it and throw (with diagnostics):
 * first, when `pidPath` is given, until that file holds the child's pid (nginx and Dovecot
 * write it only after every listen socket was bound, so a port stolen in between makes the
 * server exit instead of us talking to a stranger), then until each of `ports` accepts a
 * connection. Fails early when the child exits (or could not be spawned at all).
 * Resolves with the child's pid.
 */
export async function waitUntilReady(
  child: SupervisedChild,
  opts: { caller: string; pidPath?: string; ports: number[]; timeoutMs: number; diagnostics: () => string },
): Promise<number> {
  try {
    if (child.pid === undefined) {
      const e = await child.exited;
      throw new Error(`${e.reason}\n${opts.diagnostics()}`);
    }
    const deadline = Date.now() + opts.timeoutMs;
    while (opts.pidPath !== undefined && readPidFile(opts.pidPath) !== child.pid) {
      const reason = child.exitReason();
      if (reason !== undefined) throw new Error(`${opts.caller}: ${reason} before it was ready\n${opts.diagnostics()}`);
      if (Date.now() >= deadline) {
        throw new Error(`${opts.caller}: no ${opts.pidPath} after ${opts.timeoutMs} ms\n${opts.diagnostics()}`);
      }
      await sleep(20);
    }
    for (const p of opts.ports) {
      await waitForPort(p, Math.max(100, deadline - Date.now()), { abort: child.exitReason, diagnostics: opts.diagnostics });
    }
    return child.pid;
  } catch (err) {
    await child.stop();
    throw err;
  }
}
