/**
 * The login history: what every login decision was, kept in the directory's database for
 * `history.retention_days` (src/store/login-history.ts), for the console's history page and
 * dashboard. This folder owns recording (a buffer written in batches, never on the auth path),
 * retention, the shared filter parameters and the dashboard's figures. It records logins only:
 * inbound mail routing (`Auth-Method: none`) and `postern test-login` (a dry run, which opens
 * no history) leave no trace.
 */
import type { Logger } from '../log/logger.js';
import type { LoginHistoryStore } from '../store/index.js';
import { createLoginRecorder, type LoginAttempt, type Timers } from './recorder.js';
import { startRetention } from './retention.js';

export { createLoginRecorder, isLogin, NODE_TIMERS, type LoginAttempt, type LoginRecorder, type Timers } from './recorder.js';
export { retentionCutoff, startRetention, type Retention } from './retention.js';
export { DEFAULT_PAGE, cursorParam, filterParams, parseCursor, parseHistoryFilter, parseTime, type FilterProblem, type HistoryFilter, type ParsedFilter } from './filter.js';
export { HOURS, historySummary, hourBuckets, totalsOf, windowStart, type HistorySummary, type HourBucket, type LoginTotals } from './dashboard.js';

export interface HistorySettings {
  enabled: boolean;
  retentionDays: number;
}

export function historySettings(cfg: { history: { enabled: boolean; retention_days: number } }): HistorySettings {
  return { enabled: cfg.history.enabled, retentionDays: cfg.history.retention_days };
}

/** What the auth listener and the runtime hold: record one decision; flush and stop at shutdown. */
export interface LoginHistory {
  record(attempt: LoginAttempt): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts recording (unless disabled) and retention (always: what was kept ages out even with
 * recording off). The first prune runs now, in the background.
 */
export function openHistory(
  settings: HistorySettings,
  store: Pick<LoginHistoryStore, 'recordLogins' | 'pruneLogins'>,
  log: Pick<Logger, 'info' | 'warn'>,
  opts: { now?: () => number; timers?: Timers } = {},
): LoginHistory {
  const recorder = settings.enabled ? createLoginRecorder({ write: (events) => store.recordLogins(events), log, ...opts }) : null;
  const retention = startRetention({ prune: (before) => store.pruneLogins(before), retentionDays: settings.retentionDays, log, ...opts });
  return {
    record: recorder ? (a) => recorder.record(a) : () => undefined,
    flush: async () => recorder?.flush(),
    async close() {
      await retention.stop();
      await recorder?.close();
    },
  };
}
