/**
 * What the console's dashboard shows from the login history: the last 24 UTC hours (the
 * current one included, so far) as hourly counts per result, the totals and failure rate, and
 * the client IPs and accounts with the most failed logins. `fail` means the client was
 * refused (wrong password, unknown user, disabled, ...); `tempfail` is Postern or its
 * surroundings failing, or a client that is banned, and is counted apart.
 */
import type { FailingSubject, HourCount, LoginHistoryStore } from '../store/index.js';

export const HOURS = 24;
export const TOP = 10;
const HOUR_MS = 3_600_000;

export interface HourBucket {
  /** The hour's first instant, ISO-8601 UTC. */
  hour: string;
  ok: number;
  fail: number;
  tempfail: number;
}

export interface LoginTotals {
  ok: number;
  fail: number;
  tempfail: number;
  /** Every decision on a login. */
  total: number;
  /** fail / total, 0 when there was none. */
  failureRate: number;
}

export interface HistorySummary {
  /** The first instant counted (the start of the hour 23 hours before the current one). */
  since: string;
  until: string;
  hours: HourBucket[];
  totals: LoginTotals;
  topIps: FailingSubject[];
  topAccounts: FailingSubject[];
}

/** The start of the first of `hours` whole UTC hours ending with the current one. */
export function windowStart(now: Date, hours = HOURS): Date {
  return new Date(Math.floor(now.getTime() / HOUR_MS) * HOUR_MS - (hours - 1) * HOUR_MS);
}

/** Counts laid out as `hours` consecutive buckets from `start`, hours without logins at 0. */
export function hourBuckets(counts: readonly HourCount[], start: Date, hours = HOURS): HourBucket[] {
  const buckets = Array.from({ length: hours }, (_, i) => ({ hour: new Date(start.getTime() + i * HOUR_MS).toISOString(), ok: 0, fail: 0, tempfail: 0 }));
  const byHour = new Map(buckets.map((b) => [b.hour, b]));
  for (const c of counts) {
    const b = byHour.get(c.hour);
    if (b) b[c.result] += c.count;
  }
  return buckets;
}

export function totalsOf(buckets: readonly HourBucket[]): LoginTotals {
  const ok = buckets.reduce((n, b) => n + b.ok, 0);
  const fail = buckets.reduce((n, b) => n + b.fail, 0);
  const tempfail = buckets.reduce((n, b) => n + b.tempfail, 0);
  const total = ok + fail + tempfail;
  return { ok, fail, tempfail, total, failureRate: total === 0 ? 0 : fail / total };
}

export async function historySummary(store: Pick<LoginHistoryStore, 'countLoginsPerHour' | 'topFailing'>, now: Date): Promise<HistorySummary> {
  const start = windowStart(now);
  const since = start.toISOString();
  // The end of the current hour: a row stamped a moment after `now` still belongs to it.
  const until = new Date(start.getTime() + HOURS * HOUR_MS).toISOString();
  const [counts, topIps, topAccounts] = await Promise.all([
    store.countLoginsPerHour(since, until),
    store.topFailing('ip', since, TOP),
    store.topFailing('account', since, TOP),
  ]);
  const hours = hourBuckets(counts, start);
  return { since, until, hours, totals: totalsOf(hours), topIps, topAccounts };
}
