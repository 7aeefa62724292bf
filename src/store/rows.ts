/**
 * The store's shared plumbing: the handle every area module receives, row-to-record
 * mappers (text columns back to typed lists and booleans), and the clock.
 */
import type { Kysely, Selectable } from 'kysely';
import type { Protocol } from '../authhttp/types.js';
import { PROTOCOLS } from '../authhttp/types.js';
import { DirectoryError, type Backend, type Mailbox } from '../directory/types.js';
import type { Engine } from './engine.js';
import type { BackendsTable, DB, MailboxesTable } from './schema.js';

export interface Store {
  readonly db: Kysely<DB>;
  readonly engine: Engine;
  /**
   * What data kept in memory compares against (memo-reader.ts lookupVersion): it changes when
   * anything is written, here at once, by another process within RECHECK_MS. Absent when the
   * engine cannot tell; then every lookup asks the database.
   */
  readonly version?: () => string;
}

/** ISO-8601 UTC with milliseconds; text sorts chronologically in every engine. */
export function now(): string {
  return new Date().toISOString();
}

export function joinList(values: readonly string[]): string {
  return values.join(',');
}

function splitList(text: string): string[] {
  return text === '' ? [] : text.split(',');
}

export function toMailbox(row: Selectable<MailboxesTable>): Mailbox {
  return {
    id: Number(row.id),
    address: row.address,
    domainId: Number(row.domain_id),
    passwordHash: row.password_hash,
    enabled: Number(row.enabled) === 1,
    // Filter defensively: an unknown value written by hand must not widen access.
    protocols: splitList(row.protocols).filter((p): p is Protocol => (PROTOCOLS as readonly string[]).includes(p)),
    networks: splitList(row.networks),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    reversibleSecret: row.reversible_secret ?? null,
    secretChangedAt: row.secret_changed_at ?? null,
    backendLogin: row.backend_login ?? null,
  };
}

export function toBackend(row: Selectable<BackendsTable>): Backend {
  const port = (v: number | null) => (v === null ? null : Number(v));
  return {
    id: Number(row.id),
    name: row.name,
    host: row.host,
    ports: { imap: port(row.imap_port), pop3: port(row.pop3_port), smtp: port(row.smtp_port), mx: port(row.mx_port) },
    masterUser: row.master_user ?? null,
    masterSecret: row.master_secret ?? null,
    masterChangedAt: row.master_changed_at ?? null,
    masterSeparator: row.master_separator ?? '*',
  };
}

/** Route subjects are '' in the table for "no subject" (see RoutesTable.subject). */
export function toSubject(stored: string): string | null {
  return stored === '' ? null : stored;
}

/**
 * Runs a write, turning a UNIQUE violation into DirectoryError('exists'). The store checks
 * for duplicates first to give precise messages; this covers a concurrent writer (another
 * process) that inserted the same name between the check and the write.
 */
export async function uniqueOr<T>(s: Store, message: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (s.engine.isUniqueViolation(err)) throw new DirectoryError('exists', message);
    throw err;
  }
}

/** Human wording for messages: `mailbox alice@example.com`, `default`, `unknown (all domains)`. */
export function describeRoute(kind: string, subject: string | null): string {
  if (kind === 'default') return 'default';
  if (kind === 'unknown') return subject ? `unknown users of ${subject}` : 'unknown users (all domains)';
  return `${kind} ${subject ?? ''}`;
}

/** Runs a delete, turning a FOREIGN KEY refusal (a concurrent writer added a reference) into DirectoryError('in-use'). */
export async function inUseOr<T>(s: Store, message: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (s.engine.isForeignKeyViolation(err)) throw new DirectoryError('in-use', message);
    throw err;
  }
}
