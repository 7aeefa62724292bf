/**
 * The login history (tables `login_history` and `login_history_hours`,
 * migrations/0008-login-history.ts): batches of login decisions written with their hourly
 * counts, the console's filtered and keyset-paginated listing, the dashboard's counts per hour
 * and its top failing addresses and accounts, and pruning by age in slices.
 *
 * Who writes: the running server hands its batches to a worker thread with its own connection
 * (history-writer.ts, history-worker.ts, both over writeLoginRows and pruneLoginRows below), so
 * no history write ever runs on the thread that answers nginx. The directory's own
 * recordLogins and pruneLogins (below) write on the main connection; they remain for tests,
 * seeding and tools, cut into slices with a turn of the event loop between them.
 *
 * The lookups kept in memory (memo-reader.ts, the bans snapshot) are dropped whenever the
 * database changes. A flush every second would then empty them every second, so history
 * writes are left out of the change version (excludingHistoryWrites): the rows written on the
 * main connection are tallied (HistoryWrites), and the worker's commits are told apart from
 * everybody else's by history-fence.ts.
 */
import type ipaddr from 'ipaddr.js';
import { sql, type Kysely, type Selectable } from 'kysely';
import { PROTOCOLS, type Protocol } from '../authhttp/types.js';
import { isIPv4 } from 'node:net';
import { memoise } from '../cache/memo.js';
import { DirectoryError } from '../directory/types.js';
import { parseAddress as parseIp, parseNetwork as parseIpNetwork } from '../net/cidr.js';
import type { WorkerCommitFence } from './history-fence.js';
import { prepareRowsInsert } from './prepared.js';
import type { Store } from './rows.js';
import type { DB, LoginHistoryTable } from './schema.js';

export const LOGIN_RESULTS = ['ok', 'fail', 'tempfail'] as const;
export type LoginResult = (typeof LOGIN_RESULTS)[number];

/** One login decision as the history keeps it. */
export interface LoginEvent {
  /** ISO-8601 UTC. */
  at: string;
  /** The name as sent (printable, bounded); '' when the request could not be read. */
  login: string;
  mailbox: string | null;
  clientIp: string;
  protocol: Protocol;
  method: string;
  result: LoginResult;
  /** The decision's Reason code. */
  reason: string;
  cache: 'hit' | 'stale' | null;
  /** The app password's label, never the password. */
  appPassword: string | null;
}

export interface LoginRecord extends LoginEvent {
  id: number;
}

/** Where a page of the history starts: strictly older than this row. */
export interface HistoryCursor {
  at: string;
  id: number;
}

export interface LoginQuery {
  /** The login as sent or the mailbox: equal to it, or containing it (case-insensitive for ASCII). */
  account?: { value: string; match: 'exact' | 'contains' };
  /** An IP address or a CIDR network. */
  network?: string;
  protocol?: Protocol;
  result?: LoginResult;
  /** since <= at < until (ISO-8601 UTC). */
  since?: string;
  until?: string;
  before?: HistoryCursor;
  limit: number;
}

export interface LoginPage {
  /** Newest first. */
  entries: LoginRecord[];
  /** Where the next (older) page starts; null when this is the last. */
  next: HistoryCursor | null;
}

export interface HourCount {
  /** The hour's first instant, ISO-8601 UTC (`2030-01-01T09:00:00.000Z`). */
  hour: string;
  result: LoginResult;
  count: number;
}

export interface FailingSubject {
  /** A client IP, or an account (the mailbox, else the login as sent). */
  subject: string;
  failures: number;
  lastAt: string;
}

export interface LoginHistoryStore {
  /** Writes the events in one transaction. */
  recordLogins(events: readonly LoginEvent[]): Promise<void>;
  listLogins(query: LoginQuery): Promise<LoginPage>;
  /** Decisions per UTC hour and result, for the hours starting in [since, until) (whole hours); hours without any are absent. */
  countLoginsPerHour(since: string, until: string): Promise<HourCount[]>;
  /** The client IPs or accounts with the most failed logins (result `fail`) since then. */
  topFailing(by: 'ip' | 'account', since: string, limit: number): Promise<FailingSubject[]>;
  /** Deletes the rows older than `before`; returns how many. */
  pruneLogins(before: string): Promise<number>;
}

/** The longest listing page. */
export const MAX_PAGE = 500;
/** Rows per INSERT statement: 12 values each stays far below SQLite's 32,766 parameters. */
const INSERT_CHUNK = 400;
/** Rows deleted per transaction when pruning. */
const PRUNE_SLICE = 1000;

const yieldToIo = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * The rows the history changed on this connection, and while it writes, the change count
 * from just before (so a lookup in between sees no change either); and, when a history
 * worker writes over its own connection, what tells its commits apart (history-fence.ts).
 */
export interface HistoryWrites {
  rows: number;
  windowBase: number | null;
  readonly fence: WorkerCommitFence | null;
}

export function historyWrites(fence: WorkerCommitFence | null = null): HistoryWrites {
  return { rows: 0, windowBase: null, fence };
}

/**
 * The engine's change signals without the history's own writes, for memo-reader.ts
 * lookupVersion: other connections' commits as they are (less the history worker's, when
 * there is a fence), this connection's row count less the rows the history wrote.
 */
export function excludingHistoryWrites(engine: { changeVersion(): string; localChanges(): number }, w: HistoryWrites): { changeVersion(): string; localChanges(): number } {
  const fence = w.fence;
  return {
    changeVersion: fence ? () => fence.version() : () => engine.changeVersion(),
    localChanges: () => (w.windowBase ?? engine.localChanges()) - w.rows,
  };
}

/** IPv4 as its IPv4-mapped IPv6 form, so both families sort in one 128-bit space. */
function bytesOf(addr: ipaddr.IPv4 | ipaddr.IPv6): number[] {
  return addr.kind() === 'ipv4' ? (addr as ipaddr.IPv4).toIPv4MappedAddress().toByteArray() : addr.toByteArray();
}

const hex = (bytes: number[]): string => bytes.map((b) => b.toString(16).padStart(2, '0')).join('');

/**
 * The stored key of a client IP (32 hex digits), or null when it is not an address. Computed
 * for every row a flush writes, and clients come back: dotted IPv4 (node:net's strict check)
 * skips ipaddr.js, and answers are remembered.
 */
export const ipKey = memoise((text: string): string | null => {
  if (isIPv4(text)) return `00000000000000000000ffff${hex(text.split('.').map(Number))}`;
  const addr = parseIp(text);
  return addr ? hex(bytesOf(addr)) : null;
});

/** The key range an IP address or CIDR network covers, or null when it is neither. */
export function networkKeyRange(text: string): { lo: string; hi: string } | null {
  const net = parseIpNetwork(text);
  if (!net) return null;
  const [addr, bits] = net;
  const bytes = bytesOf(addr);
  const prefix = addr.kind() === 'ipv4' ? 96 + bits : bits;
  const lo = bytes.map((b, i) => b & maskByte(prefix, i));
  const hi = bytes.map((b, i) => (b & maskByte(prefix, i)) | (~maskByte(prefix, i) & 0xff));
  return { lo: hex(lo), hi: hex(hi) };
}

function maskByte(prefix: number, index: number): number {
  const bits = Math.max(0, Math.min(8, prefix - index * 8));
  return (0xff << (8 - bits)) & 0xff;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/;

/** Printable text of bounded length: control characters become `\xNN`, as in the decision log. */
export function printableText(text: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  const clean = CONTROL.test(text) ? text.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`) : text;
  return clean.length > max ? clean.slice(0, max) : clean;
}

type HistoryRow = Omit<LoginHistoryTable, 'id'>;

/** Every column of a login_history row (toRow sets them all). */
const HISTORY_COLUMNS = ['at', 'login', 'mailbox', 'client_ip', 'client_ip_key', 'protocol', 'method', 'result', 'reason', 'cache', 'app_password'] as const satisfies ReadonlyArray<keyof HistoryRow>;

/** Inserts history rows in the caller's transaction; make one per database (prepared.ts prepareRowsInsert). */
export type LoginRowsInsert = (trx: Kysely<DB>, rows: readonly HistoryRow[]) => Promise<void>;

export function loginRowsInsert(): LoginRowsInsert {
  return prepareRowsInsert((trx: Kysely<DB>, rows: HistoryRow[]) => trx.insertInto('login_history').values(rows), HISTORY_COLUMNS);
}

function toRow(e: LoginEvent): HistoryRow {
  return {
    at: e.at,
    login: printableText(e.login, 256),
    mailbox: e.mailbox === null ? null : printableText(e.mailbox, 320),
    client_ip: printableText(e.clientIp, 64),
    client_ip_key: ipKey(e.clientIp),
    // The CHECK constraints would refuse the whole batch for one odd value: keep the row.
    protocol: (PROTOCOLS as readonly string[]).includes(e.protocol) ? e.protocol : 'smtp',
    method: printableText(e.method, 32),
    result: (LOGIN_RESULTS as readonly string[]).includes(e.result) ? e.result : 'tempfail',
    reason: printableText(e.reason, 64),
    cache: e.cache,
    app_password: e.appPassword === null ? null : printableText(e.appPassword, 128),
  };
}

function toRecord(r: Selectable<LoginHistoryTable>): LoginRecord {
  return {
    id: Number(r.id),
    at: r.at,
    login: r.login,
    mailbox: r.mailbox,
    clientIp: r.client_ip,
    protocol: r.protocol as Protocol,
    method: r.method,
    result: r.result as LoginResult,
    reason: r.reason,
    cache: (r.cache as LoginRecord['cache']) ?? null,
    appPassword: r.app_password,
  };
}

/** A LIKE pattern matching `text` anywhere, with `\` as the escape character. */
function containing(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Runs `write` in a transaction on some connection. */
export type Transact = <T>(write: (trx: Kysely<DB>) => Promise<T>) => Promise<T>;

/**
 * Writes the events and adds them to the hourly counts, in the caller's transaction (`trx`):
 * the counts always match the rows. `insert` is the database's loginRowsInsert. `pause` runs
 * between INSERT statements (the main connection lets other work in there; the worker does
 * not need to).
 */
export async function writeLoginRows(trx: Kysely<DB>, events: readonly LoginEvent[], insert: LoginRowsInsert, pause?: () => Promise<void>): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map(toRow);
  const perHour = new Map<string, { hour: string; result: string; logins: number }>();
  for (const r of rows) {
    const hour = `${r.at.slice(0, 13)}:00:00.000Z`;
    const c = perHour.get(`${hour} ${r.result}`);
    if (c) c.logins++;
    else perHour.set(`${hour} ${r.result}`, { hour, result: r.result, logins: 1 });
  }
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    if (i > 0 && pause) await pause();
    await insert(trx, rows.slice(i, i + INSERT_CHUNK));
  }
  for (const c of perHour.values()) {
    await trx
      .insertInto('login_history_hours')
      .values(c)
      .onConflict((oc) => oc.columns(['hour', 'result']).doUpdateSet((eb) => ({ logins: eb('login_history_hours.logins', '+', eb.ref('excluded.logins')) })))
      .execute();
  }
}

/**
 * Deletes the rows older than `before`, `slice` rows per transaction (a transaction holds the
 * database's write lock, which every other writer waits for), then the hourly counts of the
 * hours wholly before it. `pause` runs between slices. Returns how many rows.
 */
export async function pruneLoginRows(transact: Transact, before: string, slice = PRUNE_SLICE, pause?: () => Promise<void>): Promise<number> {
  let total = 0;
  for (;;) {
    const result = await transact((trx) =>
      trx
        .deleteFrom('login_history')
        .where('id', 'in', (eb) => eb.selectFrom('login_history').select('id').where('at', '<', before).orderBy('at').limit(slice))
        .executeTakeFirst(),
    );
    const n = Number(result.numDeletedRows);
    total += n;
    if (n < slice) break;
    if (pause) await pause();
  }
  // The hours wholly before the cutoff; the cutoff's own hour keeps its count until the next prune.
  const hour = `${before.slice(0, 13)}:00:00.000Z`;
  await transact((trx) => trx.deleteFrom('login_history_hours').where('hour', '<', hour).execute());
  return total;
}

export function createLoginHistoryStore(s: Store, w: HistoryWrites): LoginHistoryStore {
  const { db, engine } = s;
  const insert = loginRowsInsert();

  /**
   * Runs `write` in a transaction, tallying the rows it changes. The transaction holds the one
   * connection, so no other statement changes a row while the window is open.
   */
  async function tallied<T>(write: (trx: typeof db) => Promise<T>): Promise<T> {
    return db.transaction().execute(async (trx) => {
      const count = engine.localChanges;
      if (!count) return write(trx);
      w.windowBase = count();
      try {
        return await write(trx);
      } finally {
        w.rows += count() - w.windowBase;
        w.windowBase = null;
      }
    });
  }

  return {
    async recordLogins(events) {
      if (events.length === 0) return;
      // SQLite runs on this thread: between statements, logins answered from memory go out.
      await tallied((trx) => writeLoginRows(trx, events, insert, yieldToIo));
    },

    async listLogins(query) {
      const limit = Math.max(1, Math.min(MAX_PAGE, Math.trunc(query.limit)));
      let q = db.selectFrom('login_history').selectAll();
      const a = query.account;
      if (a && a.value !== '') {
        if (a.match === 'exact') {
          q = q.where((eb) => eb.or([eb('login', '=', a.value), eb('mailbox', '=', a.value.trim().toLowerCase())]));
        } else {
          const p = containing(a.value);
          q = q.where((eb) => eb.or([sql<boolean>`${eb.ref('login')} like ${p} escape '\\'`, sql<boolean>`${eb.ref('mailbox')} like ${p} escape '\\'`]));
        }
      }
      if (query.network !== undefined) {
        const range = networkKeyRange(query.network);
        if (!range) throw new DirectoryError('invalid', `"${query.network}" is not an IP address or a CIDR network (e.g. 192.0.2.7 or 192.0.2.0/24)`);
        q = q.where('client_ip_key', '>=', range.lo).where('client_ip_key', '<=', range.hi);
      }
      if (query.protocol) q = q.where('protocol', '=', query.protocol);
      if (query.result) q = q.where('result', '=', query.result);
      if (query.since) q = q.where('at', '>=', query.since);
      if (query.until) q = q.where('at', '<', query.until);
      const b = query.before;
      if (b) q = q.where((eb) => eb.or([eb('at', '<', b.at), eb.and([eb('at', '=', b.at), eb('id', '<', b.id)])]));
      const rows = await q.orderBy('at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
      const entries = rows.slice(0, limit).map(toRecord);
      const last = entries[entries.length - 1];
      return { entries, next: rows.length > limit && last ? { at: last.at, id: last.id } : null };
    },

    async countLoginsPerHour(since, until) {
      const rows = await db.selectFrom('login_history_hours').selectAll().where('hour', '>=', since).where('hour', '<', until).execute();
      return rows
        .filter((r) => (LOGIN_RESULTS as readonly string[]).includes(r.result) && Number(r.logins) > 0)
        .map((r) => ({ hour: r.hour, result: r.result as LoginResult, count: Number(r.logins) }))
        .sort((x, y) => (x.hour < y.hour ? -1 : x.hour > y.hour ? 1 : LOGIN_RESULTS.indexOf(x.result) - LOGIN_RESULTS.indexOf(y.result)));
    },

    async topFailing(by, since, limit) {
      const subject = by === 'ip' ? sql<string>`client_ip` : sql<string>`coalesce(mailbox, login)`;
      const rows = await db
        .selectFrom('login_history')
        .select([subject.as('subject'), (eb) => eb.fn.countAll<number>().as('failures'), (eb) => eb.fn.max('at').as('last_at')])
        .where('result', '=', 'fail')
        .where('at', '>=', since)
        .where(subject, '<>', '')
        .groupBy(subject)
        .orderBy('failures', 'desc')
        .orderBy('last_at', 'desc')
        .limit(Math.max(1, Math.min(100, Math.trunc(limit))))
        .execute();
      return rows.map((r) => ({ subject: r.subject, failures: Number(r.failures), lastAt: String(r.last_at) }));
    },

    async pruneLogins(before) {
      // In slices, letting other work in between: SQLite runs on this thread, and deleting a
      // day of a busy server's logins at once would hold every login's answer up meanwhile.
      return pruneLoginRows(tallied, before, PRUNE_SLICE, yieldToIo);
    },
  };
}
