/**
 * Event-loop delay of a process the benchmark starts, measured from inside it without touching
 * its code: preloaded with `NODE_OPTIONS=--import <this file>`. It writes one JSON line to
 * standard output, `{"event":"event-loop-delay","p50_ms":..,"p99_ms":..,"max_ms":..,"samples":..}`,
 * for the time since the last line, on SIGUSR2 (then starts afresh) and at exit (SIGTERM).
 * So the benchmark sends SIGUSR2 when the measured phase starts (dropping start-up) and again
 * when it ends. The histogram holds whole timer intervals (RESOLUTION plus the delay), so the
 * resolution is subtracted: an idle loop reports about 0 ms.
 */
import { writeSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const RESOLUTION_MS = 10;
const h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
h.enable();

function report(): void {
  const ms = (ns: number): number => Math.max(0, Math.round(ns / 1e4 - RESOLUTION_MS * 100) / 100);
  const line = {
    event: 'event-loop-delay',
    p50_ms: ms(h.percentile(50)),
    p99_ms: ms(h.percentile(99)),
    max_ms: ms(h.max),
    samples: h.count,
  };
  writeSync(1, JSON.stringify(line) + '\n');
  h.reset();
}

process.on('SIGUSR2', report);
process.on('exit', report);
