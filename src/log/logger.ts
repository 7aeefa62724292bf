/**
 * Structured JSON logs (pino). One line per auth decision with stable field names, suitable for
 * fail2ban and CrowdSec. Passwords never reach a log: the decision line is built from an
 * explicit allow-list of fields, and a `pass`, `password` or `secret` key (at the top or under
 * `err`) is redacted should one ever appear. Named paths, not `*.pass` wildcards: a wildcard
 * makes pino walk every object it logs, which tripled the cost of the decision line.
 */
import { performance } from 'node:perf_hooks';
import pino, { type Logger } from 'pino';
import { isoTimes } from './iso-time.js';

export type { Logger };

const SECRET_KEYS = ['pass', 'password', 'secret'];

/** pino's isoTime (`,"time":"<ISO-8601>"`) with the second's text made once, not per line. */
function isoTime(): () => string {
  const iso = isoTimes();
  return () => `,"time":"${iso(Date.now())}"`;
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'postern' },
      timestamp: isoTime(),
      redact: { paths: [...SECRET_KEYS, ...SECRET_KEYS.map((k) => `err.${k}`)], censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? batchedStdout(),
  );
}

/**
 * Standard output, written with one system call for many lines: a busy server writes at most
 * once per FLUSH_EVERY_MS (or per 8 KiB) instead of once per login. A write per line cost more
 * than deciding a cached login, and one per event-loop turn was still 0.95 per login under the
 * auth-http benchmark's load (each turn answers about one request); now it is 0.06. A line
 * logged after a quiet spell goes out at the end of its turn; none waits longer than
 * FLUSH_EVERY_MS. Writes are synchronous, as pino's default: if whatever reads standard output
 * stops reading, Postern waits for it rather than buffer without bound.
 */
let stdout: pino.DestinationStream | undefined;

export function batchedStdout(): pino.DestinationStream {
  return (stdout ??= batchedFd(1));
}

/** The longest a logged line waits in memory (fail2ban and journald see it this much later at most). */
export const FLUSH_EVERY_MS = 10;

/** Exported for its test; the server logs through batchedStdout. */
export function batchedFd(fd: number): pino.DestinationStream {
  const out = pino.destination({ fd, sync: true, minLength: 8 * 1024 });
  let scheduled = false;
  let flushedAt = -Infinity;
  const flush = (): void => {
    scheduled = false;
    flushedAt = performance.now();
    out.flush();
  };
  // Lines still buffered when the process exits (process.exit skips pending timers).
  process.once('exit', () => out.flushSync());
  return {
    write(line: string) {
      out.write(line);
      if (scheduled) return;
      scheduled = true;
      const wait = flushedAt + FLUSH_EVERY_MS - performance.now();
      if (wait <= 0) setImmediate(flush);
      else setTimeout(flush, wait).unref(); // the exit handler writes what is left
    },
    // pino's logger.flush() ends here: write what is buffered now.
    flush(cb?: (err?: Error) => void) {
      out.flushSync();
      cb?.();
    },
  } as pino.DestinationStream;
}
