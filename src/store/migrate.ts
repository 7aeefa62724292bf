/**
 * Schema versions. Migrations are TypeScript modules listed here in order (no file-system
 * scan, so they survive bundling), applied by Kysely's Migrator every time the directory
 * opens. A database written by a newer Postern is refused before anything touches it.
 */
import { Migrator, type Kysely, type Migration } from 'kysely';
import type { SqlFlavour } from './engine.js';
import * as m0001 from './migrations/0001-initial.js';
import * as m0002 from './migrations/0002-bans.js';
import * as m0003 from './migrations/0003-secrets.js';
import * as m0004 from './migrations/0004-vault-canaries.js';
import * as m0005 from './migrations/0005-backend-credentials.js';
import * as m0006 from './migrations/0006-admins.js';
import * as m0007 from './migrations/0007-admin-totp.js';
import * as m0008 from './migrations/0008-login-history.js';
import * as m0009 from './migrations/0009-app-passwords.js';

interface MigrationModule {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  up(db: Kysely<any>, flavour: SqlFlavour): Promise<void>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  down?(db: Kysely<any>): Promise<void>;
}

/** In order; names sort alphabetically and start with the schema version they produce. */
const MIGRATIONS: ReadonlyArray<readonly [string, MigrationModule]> = [
  ['0001-initial', m0001],
  ['0002-bans', m0002],
  ['0003-secrets', m0003],
  ['0004-vault-canaries', m0004],
  ['0005-backend-credentials', m0005],
  ['0006-admins', m0006],
  ['0007-admin-totp', m0007],
  ['0008-login-history', m0008],
  ['0009-app-passwords', m0009],
];

export const MIGRATION_TABLE = 'postern_migration';
const MIGRATION_LOCK_TABLE = 'postern_migration_lock';

/** The database was written by a newer Postern; opening it here could corrupt it. */
export class SchemaVersionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaVersionError';
  }
}

function versionOf(name: string): number {
  return Number.parseInt(name.slice(0, name.indexOf('-')), 10);
}

/** The newest schema this code knows, e.g. `{ version: 1, name: '0001-initial' }`. */
export function knownSchema(): { version: number; name: string } {
  const last = MIGRATIONS[MIGRATIONS.length - 1];
  if (!last) throw new Error('no migrations are defined');
  return { version: versionOf(last[0]), name: last[0] };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function refuseNewerSchema(db: Kysely<any>): Promise<void> {
  const tables = await db.introspection.getTables();
  if (!tables.some((t) => t.name === MIGRATION_TABLE)) return;
  const rows: Array<{ name: string }> = await db.selectFrom(MIGRATION_TABLE).select('name').orderBy('name').execute();
  const known = new Set(MIGRATIONS.map(([name]) => name));
  const unknown = rows.map((r) => r.name).filter((name) => !known.has(name));
  const newest = unknown[unknown.length - 1];
  if (newest === undefined) return;
  const mine = knownSchema();
  throw new SchemaVersionError(
    `the directory database is at schema version ${versionOf(newest)} (${newest}), but this Postern only knows ` +
      `schema version ${mine.version} (${mine.name}): it was written by a newer Postern. ` +
      `Upgrade Postern to open it (the database was not changed).`,
  );
}

/** Brings the schema up to date; throws SchemaVersionError for a database from the future. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function migrateToLatest(db: Kysely<any>, flavour: SqlFlavour): Promise<void> {
  await migrateTo(db, flavour, knownSchema().name);
}

/**
 * Brings the schema up to the named migration and no further (tests build older databases with
 * it, to check that opening them upgrades them); never migrates down. Throws SchemaVersionError
 * for a database from the future.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function migrateTo(db: Kysely<any>, flavour: SqlFlavour, target: string): Promise<void> {
  const end = MIGRATIONS.findIndex(([name]) => name === target);
  if (end === -1) throw new Error(`unknown directory schema migration "${target}"`);
  await refuseNewerSchema(db);
  // Only migrations up to the target are offered, so this never migrates down.
  const migrations: Record<string, Migration> = {};
  for (const [name, mod] of MIGRATIONS.slice(0, end + 1)) {
    migrations[name] = { up: (d) => mod.up(d, flavour), ...(mod.down ? { down: mod.down } : {}) };
  }
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error');
    const detail = error instanceof Error ? error.message : String(error);
    throw new Error(`directory schema migration ${failed?.migrationName ?? ''} failed: ${detail}`, { cause: error });
  }
}
