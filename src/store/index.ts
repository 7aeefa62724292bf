/**
 * Entry point of the storage layer: open the directory database, bring its schema up to
 * date (or refuse a newer one), and hand back the `Directory` the rest of Postern uses,
 * which is also the `BanStore` (src/defence/types.ts) over the same database.
 */
import path from 'node:path';
import { Kysely } from 'kysely';
import { createDirectory, type DirectoryExtras, type DirectoryOptions, type DirectoryWithBans } from './directory.js';
import type { Engine } from './engine.js';
import { openHistoryWriter } from './history-writer.js';
import { migrateToLatest } from './migrate.js';
import type { DB } from './schema.js';
import { openSqliteEngine } from './sqlite.js';
import { WriteGate } from './write-gate.js';

export { SchemaVersionError, knownSchema } from './migrate.js';
export { normaliseFingerprint } from './validate.js';
export { parseAdminName, parseTokenLabel } from './admins.js';
export { DEFAULT_LOOKUP_MEMORY } from './memo-reader.js';
export type { DirectoryOptions, DirectoryWithBans } from './directory.js';
export { HistoryWriteError, type HistoryWriter } from './history-writer.js';
export { BAN_KINDS, MAX_BAN_SECONDS, normaliseBanSubject, parseBanSubject, type BanAdmin, type BanRecord, type Clock } from './bans.js';
export { LOGIN_RESULTS, MAX_PAGE as MAX_HISTORY_PAGE, networkKeyRange, type FailingSubject, type HistoryCursor, type HourCount, type LoginEvent, type LoginHistoryStore, type LoginPage, type LoginQuery, type LoginRecord, type LoginResult } from './login-history.js';

/** Where the directory lives. PostgreSQL (`{ kind: 'postgres'; url }`) will join this union. */
export type DirectoryLocation = { kind: 'sqlite'; path: string };

export async function openDirectory(opts: DirectoryLocation, options: DirectoryOptions = {}): Promise<DirectoryWithBans> {
  let engine: Engine;
  let extras: DirectoryExtras;
  switch (opts.kind) {
    case 'sqlite': {
      // The history worker's connection and this one take turns to write (write-gate.ts).
      const gate = new WriteGate();
      engine = openSqliteEngine(opts.path, { turn: gate.main() });
      const file = path.resolve(opts.path);
      extras = { historyWriter: (fence) => openHistoryWriter(file, fence, { gate }) };
      break;
    }
    default:
      throw new Error(`unsupported directory database kind: ${String((opts as { kind: unknown }).kind)}`);
  }
  const db = new Kysely<DB>({ dialect: engine.dialect });
  try {
    await migrateToLatest(db, engine.flavour);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return createDirectory(db, engine, options, extras);
}
