/**
 * What the directory needs from a database engine beyond Kysely's shared query builder:
 * its dialect, which SQL flavour migrations must emit for engine-specific DDL, and how to
 * recognise a constraint violation in the driver's own error type. One implementation per
 * engine (sqlite.ts now, postgres.ts later); everything else in src/store/ is neutral.
 */
import type { Dialect } from 'kysely';

export type SqlFlavour = 'sqlite' | 'postgres';

export interface Engine {
  readonly flavour: SqlFlavour;
  readonly dialect: Dialect;
  /** A UNIQUE or PRIMARY KEY constraint rejected the write (a concurrent writer got there first). */
  isUniqueViolation(err: unknown): boolean;
  /** A FOREIGN KEY constraint rejected the write or delete. */
  isForeignKeyViolation(err: unknown): boolean;
  /**
   * A value that changes whenever another connection or process commits (SQLite's
   * data_version); this connection's own writes are counted by localChanges. Together they let
   * hot data be kept in memory and reloaded only after a write (memo-reader.ts lookupVersion).
   * Engines without them leave both out, and their callers query every time.
   */
  changeVersion?(): string;
  /**
   * How many rows this connection has changed so far: cheaper than changeVersion (no lock on
   * shared state), so it can be asked on every lookup while changeVersion is asked less often.
   */
  localChanges?(): number;
}
