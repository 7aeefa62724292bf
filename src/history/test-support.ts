/**
 * For the history's tests: timers and a clock that move only when told (advance runs every
 * timer that falls due, in order, and lets the promises it starts settle), and a log that keeps
 * its lines.
 */
import type { Logger } from '../log/logger.js';
import type { Timers } from './recorder.js';

interface Pending {
  at: number;
  seq: number;
  run: () => void;
}

export interface FakeTime {
  now: () => number;
  timers: Timers;
  /** Moves the clock `ms` forward, running the timers that fall due on the way. */
  advance(ms: number): Promise<void>;
  /** Timers waiting. */
  pending(): number;
}

/** Lets promise chains started by a timer run to completion (the fake writes resolve at once). */
export const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

export function fakeTime(start = Date.UTC(2030, 0, 1, 9)): FakeTime {
  let t = start;
  let seq = 0;
  const queue = new Set<Pending>();
  return {
    now: () => t,
    timers: {
      setTimeout(run, ms) {
        const p = { at: t + ms, seq: seq++, run };
        queue.add(p);
        return p;
      },
      clearTimeout(handle) {
        queue.delete(handle as Pending);
      },
    },
    async advance(ms) {
      const end = t + ms;
      await settle();
      for (;;) {
        const due = [...queue].filter((p) => p.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
        if (!due) break;
        queue.delete(due);
        t = Math.max(t, due.at);
        due.run();
        await settle();
      }
      t = end;
    },
    pending: () => queue.size,
  };
}

export interface LogLine {
  level: 'info' | 'warn';
  fields: Record<string, unknown>;
  msg: string;
}

export function memoryLog(): { log: Pick<Logger, 'info' | 'warn'>; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: LogLine['level']) => (o: object, msg = '') => void lines.push({ level, fields: o as Record<string, unknown>, msg });
  return { lines, log: { info: at('info'), warn: at('warn') } as unknown as Pick<Logger, 'info' | 'warn'> };
}
