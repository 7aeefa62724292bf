/**
 * The login history's filters as query parameters, shared by the console page and
 * GET /api/v1/history so both accept exactly the same: `account` (with `match` = contains or
 * exact), `ip` (an address or a CIDR network), `protocol`, `result`, `since` and `until`
 * (ISO-8601; without a zone, UTC; since <= time < until), `before` (the page cursor) and
 * `limit`. Parsing is pure and reports every problem with the parameter it concerns.
 */
import { PROTOCOLS, type Protocol } from '../authhttp/types.js';
import { LOGIN_RESULTS, MAX_HISTORY_PAGE, networkKeyRange, type HistoryCursor, type LoginQuery, type LoginResult } from '../store/index.js';

/** The filters as typed, for filling the form again and building links. */
export interface HistoryFilter {
  account: string;
  match: 'contains' | 'exact';
  ip: string;
  protocol: Protocol | '';
  result: LoginResult | '';
  since: string;
  until: string;
}

export interface FilterProblem {
  param: keyof HistoryFilter | 'before' | 'limit';
  message: string;
}

export type ParsedFilter =
  | { ok: true; filter: HistoryFilter; query: LoginQuery }
  | { ok: false; filter: HistoryFilter; problems: FilterProblem[] };

export const DEFAULT_PAGE = 50;

const TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,3})?)?)?(Z|[+-]\d{2}:\d{2})?$/i;

/** ISO-8601 UTC text of a date or date-time (no zone: UTC), or null when it is not one. */
export function parseTime(text: string): string | null {
  const m = TIME.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone = 'Z'] = m;
  if (Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(d) > 31 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null;
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${frac}${zone.toUpperCase()}`);
  if (Number.isNaN(ms)) return null;
  // Date.parse rolls 2030-02-31 over into March: refuse dates that do not exist.
  const check = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (check.getUTCDate() !== Number(d)) return null;
  return new Date(ms).toISOString();
}

/** The `before` parameter of a cursor: `<time>_<id>`. */
export function cursorParam(c: HistoryCursor): string {
  return `${c.at}_${c.id}`;
}

export function parseCursor(text: string): HistoryCursor | null {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)_(\d{1,15})$/.exec(text);
  return m ? { at: m[1] as string, id: Number(m[2]) } : null;
}

const one = (p: URLSearchParams, name: string): string => (p.get(name) ?? '').trim();

export function parseHistoryFilter(p: URLSearchParams, opts: { defaultLimit?: number } = {}): ParsedFilter {
  const problems: FilterProblem[] = [];
  const match = one(p, 'match') || 'contains';
  const protocol = one(p, 'protocol').toLowerCase();
  const result = one(p, 'result').toLowerCase();
  const filter: HistoryFilter = {
    account: one(p, 'account').slice(0, 320),
    match: match === 'exact' ? 'exact' : 'contains',
    ip: one(p, 'ip'),
    protocol: (PROTOCOLS as readonly string[]).includes(protocol) ? (protocol as Protocol) : '',
    result: (LOGIN_RESULTS as readonly string[]).includes(result) ? (result as LoginResult) : '',
    since: one(p, 'since'),
    until: one(p, 'until'),
  };
  if (match !== 'contains' && match !== 'exact') problems.push({ param: 'match', message: 'must be "contains" or "exact"' });
  if (protocol !== '' && filter.protocol === '') problems.push({ param: 'protocol', message: `must be one of ${PROTOCOLS.join(', ')}` });
  if (result !== '' && filter.result === '') problems.push({ param: 'result', message: `must be one of ${LOGIN_RESULTS.join(', ')}` });
  if (filter.ip !== '' && !networkKeyRange(filter.ip)) problems.push({ param: 'ip', message: 'must be an IP address or a CIDR network, e.g. 192.0.2.7 or 192.0.2.0/24' });
  const since = filter.since === '' ? undefined : parseTime(filter.since);
  const until = filter.until === '' ? undefined : parseTime(filter.until);
  if (since === null) problems.push({ param: 'since', message: 'must be a date or date-time such as 2030-01-31 or 2030-01-31T09:00 (UTC unless a zone is given)' });
  if (until === null) problems.push({ param: 'until', message: 'must be a date or date-time such as 2030-01-31 or 2030-01-31T18:00 (UTC unless a zone is given)' });
  if (since && until && since >= until) problems.push({ param: 'until', message: 'must be later than since' });
  const beforeText = one(p, 'before');
  const before = beforeText === '' ? undefined : parseCursor(beforeText);
  if (before === null) problems.push({ param: 'before', message: 'is not a cursor from a previous page (its "next")' });
  const limitText = one(p, 'limit');
  const limit = limitText === '' ? (opts.defaultLimit ?? DEFAULT_PAGE) : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_HISTORY_PAGE) problems.push({ param: 'limit', message: `must be a whole number from 1 to ${MAX_HISTORY_PAGE}` });
  if (problems.length > 0) return { ok: false, filter, problems };
  const query: LoginQuery = {
    limit,
    ...(filter.account ? { account: { value: filter.account, match: filter.match } } : {}),
    ...(filter.ip ? { network: filter.ip } : {}),
    ...(filter.protocol ? { protocol: filter.protocol } : {}),
    ...(filter.result ? { result: filter.result } : {}),
    ...(since ? { since } : {}),
    ...(until ? { until } : {}),
    ...(before ? { before } : {}),
  };
  return { ok: true, filter, query };
}

/** Query parameters for a filter (only those set), plus any extra ones (`before`). */
export function filterParams(f: Partial<HistoryFilter>, extra: Record<string, string> = {}): URLSearchParams {
  const p = new URLSearchParams();
  if (f.account) {
    p.set('account', f.account);
    if (f.match === 'exact') p.set('match', 'exact');
  }
  for (const k of ['ip', 'protocol', 'result', 'since', 'until'] as const) if (f[k]) p.set(k, f[k] as string);
  for (const [k, v] of Object.entries(extra)) p.set(k, v);
  return p;
}
