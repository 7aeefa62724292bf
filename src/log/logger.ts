/**
 * Structured JSON logs (pino). One line per auth decision with stable field names, suitable for
 * fail2ban and CrowdSec. Passwords never reach a log: the decision line is built from an
 * explicit allow-list of fields, and a `pass`, `password` or `secret` key (at the top or under
 * `err`) is redacted should one ever appear. Named paths, not `*.pass` wildcards: a wildcard
 * makes pino walk every object it logs, which tripled the cost of the decision line.
 */
import pino, { type Logger } from 'pino';

export type { Logger };

const SECRET_KEYS = ['pass', 'password', 'secret'];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'postern' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: [...SECRET_KEYS, ...SECRET_KEYS.map((k) => `err.${k}`)], censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? batchedStdout(),
  );
}

/**
 * Standard output, written with one system call per event-loop turn: the lines logged while
 * answering a batch of requests go out together before the loop waits again, so none is
 * delayed, and a busy server makes a write per batch instead of one per login (a write per
 * line, through libuv's thread pool, cost more than deciding a cached login). Writes are
 * synchronous, as pino's default: if whatever reads standard output stops reading, Postern
 * waits for it rather than buffer without bound.
 */
let stdout: pino.DestinationStream | undefined;

export function batchedStdout(): pino.DestinationStream {
  return (stdout ??= batchedFd(1));
}

function batchedFd(fd: number): pino.DestinationStream {
  const out = pino.destination({ fd, sync: true, minLength: 8 * 1024 });
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    out.flush();
  };
  // Lines still buffered when the process exits (process.exit skips pending setImmediate).
  process.once('exit', () => out.flushSync());
  return {
    write(line: string) {
      out.write(line);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    // pino's logger.flush() ends here: write what is buffered now.
    flush(cb?: (err?: Error) => void) {
      out.flushSync();
      cb?.();
    },
  } as pino.DestinationStream;
}
