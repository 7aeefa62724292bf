/**
 * Structured JSON logs (pino). One line per auth decision with stable field names, suitable for
 * fail2ban and CrowdSec. Passwords never reach a log: the decision line is built from an
 * explicit allow-list of fields, and the `pass` key is redacted should it ever appear.
 */
import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'postern' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['pass', 'password', 'secret', '*.pass', '*.password', '*.secret'], censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ fd: 1, sync: false }),
  );
}
