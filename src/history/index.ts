/**
 * The login history: what every login decision was, kept in the directory's database for
 * `history.retention_days` (src/store/login-history.ts), for the console's history page and
 * dashboard. This folder owns recording (a buffer written in batches, never on the auth path:
 * where the store offers one, by a worker thread with its own connection,
 * src/store/history-writer.ts, which also prunes), retention, the shared filter parameters and
 * the dashboard's figures. It records logins only:
 * inbound mail routing (`Auth-Method: none`) and `postern test-login` (a dry run, which opens
 * no history) leave no trace.
 */
import type { Logger } from '../log/logger.js';
import type { HistoryWriter, LoginHistoryStore } from '../store/index.js';
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

/** What openHistory writes through: the store itself, or the writer it can open off this thread. */
export type HistoryStore = Pick<LoginHistoryStore, 'recordLogins' | 'pruneLogins'> & { openHistoryWriter?(): HistoryWriter };

/**
 * Starts recording (unless disabled) and retention (always: what was kept ages out even with
 * recording off). The first prune runs now, in the background. Both go through the store's
 * history writer when it has one (a worker thread, started here and ended by close), else
 * through the store itself (`inline`: always).
 */
export function openHistory(
  settings: HistorySettings,
  store: HistoryStore,
  log: Pick<Logger, 'info' | 'warn'>,
  opts: { now?: () => number; timers?: Timers; inline?: boolean } = {},
): LoginHistory {
  const { inline, ...clock } = opts;
  const writer = inline ? null : (store.openHistoryWriter?.() ?? null);
  const target = writer ?? store;
  const recorder = settings.enabled ? createLoginRecorder({ write: (events) => target.recordLogins(events), log, ...clock }) : null;
  const retention = startRetention({ prune: (before) => target.pruneLogins(before), retentionDays: settings.retentionDays, log, ...clock });
  return {
    record: recorder ? (a) => recorder.record(a) : () => undefined,
    flush: async () => recorder?.flush(),
    async close() {
      await retention.stop();
      await recorder?.close();
      try {
        await writer?.close();
      } catch (err) {
        log.warn({ event: 'history-writer-close-failed', err: { message: (err as Error).message } }, 'the login history writer did not stop cleanly');
      }
    },
  };
}
