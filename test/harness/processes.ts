// test/harness/processes.ts
// Tracks the server processes the harness starts, by pid, so that they can be stopped
// exactly (never by name) and so that a crashed or interrupted test process does not
// leave them behind: a synchronous 'exit' hook (and SIGINT/SIGTERM/SIGHUP hooks) sends
// each still-registered process its stop signal. Also small /proc helpers (Linux only).

import { readFileSync, readdirSync } from 'node:fs';

interface Tracked {
  pid: number;
  /** Signal sent from the exit hook (the process is expected to stop its own children). */
  signal: NodeJS.Signals;
  label: string;
}

const tracked = new Map<number, Tracked>();
const dirCleaners = new Map<string, () => void>();
let hooksInstalled = false;

function killAllTrackedSync(): void {
  for (const t of tracked.values()) {
    try {
      process.kill(t.pid, t.signal);
    } catch {
      // already gone
    }
  }
  tracked.clear();
  // Then remove the folders of instances that were never stopped (best effort).
  for (const clean of dirCleaners.values()) {
    try {
      clean();
    } catch {
      // ignore
    }
  }
  dirCleaners.clear();
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllTrackedSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      killAllTrackedSync();
      process.removeListener(sig, onSignal);
      // Re-raise with the default behaviour when nobody else handles the signal.
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}

/** Remember a started process; the exit hook sends it `signal` if it is still registered. */
export function trackProcess(pid: number, label: string, signal: NodeJS.Signals = 'SIGTERM'): void {
  installHooks();
  tracked.set(pid, { pid, label, signal });
}

/** Run `clean` (synchronously) at exit unless untrackDir(dir) was called first. */
export function trackDir(dir: string, clean: () => void): void {
  installHooks();
  dirCleaners.set(dir, clean);
}

export function untrackDir(dir: string): void {
  dirCleaners.delete(dir);
}

/** Forget a process (call after it has been stopped). */
export function untrackProcess(pid: number): void {
  tracked.delete(pid);
}

/** Pids currently registered with the exit hook (for diagnostics). */
export function trackedProcesses(): Array<{ pid: number; label: string }> {
  return [...tracked.values()].map(({ pid, label }) => ({ pid, label }));
}

/** True while `pid` exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM means it exists but belongs to someone else: still alive.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  const st = procStat(pid);
  return st !== undefined && st.state !== 'Z';
}

interface ProcStat {
  pid: number;
  ppid: number;
  state: string;
}

function procStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // Format: pid (comm) state ppid ...; comm may contain spaces and parentheses.
  const close = text.lastIndexOf(')');
  const rest = text.slice(close + 2).split(' ');
  const state = rest[0];
  const ppid = Number(rest[1]);
  if (state === undefined || !Number.isInteger(ppid)) return undefined;
  return { pid, ppid, state };
}

/** All live descendants of `pid` (children, grandchildren, ...), from /proc. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    const st = procStat(Number(name));
    if (!st || st.state === 'Z') continue;
    const list = children.get(st.ppid) ?? [];
    list.push(st.pid);
    children.set(st.ppid, list);
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift() as number;
    for (const c of children.get(p) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

/** Resolve true once every pid in `pids` is gone, false at the deadline. */
export async function waitForExit(pids: number | number[], timeoutMs: number): Promise<boolean> {
  const list = Array.isArray(pids) ? pids : [pids];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (list.every((p) => !isAlive(p))) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Send `signal` to each pid, ignoring the ones that are already gone. */
export function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const p of pids) {
    try {
      process.kill(p, signal);
    } catch {
      // gone
    }
  }
}
