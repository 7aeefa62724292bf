/**
 * The SQLite library under the directory. Node's built-in `node:sqlite` where the running Node
 * has it (22.13 and later), else better-sqlite3 (Node 20). Why two: better-sqlite3 12, the
 * last line that runs on Node 20, aborts the process on Node 24 when its statements are
 * garbage-collected at exit ("Assertion failed: (env) != nullptr" in
 * RemoveEnvironmentCleanupHook; better-sqlite3 13 fixes it but needs Node 22). Both expose the
 * same small surface here, in the shape Kysely's SqliteDialect expects.
 */
import { createRequire } from 'node:module';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

export interface SqliteConnection extends SqliteDatabase {
  /** Runs SQL without results (pragmas, DDL). */
  exec(sql: string): void;
  /** Which library this is, for diagnostics. */
  readonly library: 'node:sqlite' | 'better-sqlite3';
}

/** SQLite extended result codes by name (sqlite3.h), as better-sqlite3 reports them. */
const EXTENDED_CODES: Record<number, string> = {
  787: 'SQLITE_CONSTRAINT_FOREIGNKEY',
  1555: 'SQLITE_CONSTRAINT_PRIMARYKEY',
  2067: 'SQLITE_CONSTRAINT_UNIQUE',
  275: 'SQLITE_CONSTRAINT_CHECK',
  1299: 'SQLITE_CONSTRAINT_NOTNULL',
  5: 'SQLITE_BUSY',
};

/** The SQLite error name (`SQLITE_CONSTRAINT_UNIQUE`, ...) of an error from either library. */
export function sqliteErrorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; errcode?: unknown } | null;
  if (typeof e?.errcode === 'number') return EXTENDED_CODES[e.errcode] ?? `SQLITE_${e.errcode}`;
  return typeof e?.code === 'string' && e.code.startsWith('SQLITE_') ? e.code : undefined;
}

interface NodeSqliteStatement {
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): { changes: number | bigint; lastInsertRowid: number | bigint };
  iterate(...params: unknown[]): IterableIterator<unknown>;
  columns?(): unknown[];
}

interface NodeSqliteDatabase {
  exec(sql: string): void;
  prepare(sql: string): NodeSqliteStatement;
  close(): void;
}

type NodeSqliteModule = { DatabaseSync: new (path: string) => NodeSqliteDatabase };

function builtinSqlite(): NodeSqliteModule | undefined {
  const get = (process as unknown as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  try {
    return get?.('node:sqlite') as NodeSqliteModule | undefined;
  } catch {
    return undefined; // 22.5-22.12 without --experimental-sqlite
  }
}

/** Statements that return rows; used only where node:sqlite cannot say (before 22.16). */
const READER_SQL = /^\s*(select|with|pragma|values|explain)\b|\breturning\b/i;

function fromNodeSqlite(db: NodeSqliteDatabase): SqliteConnection {
  return {
    library: 'node:sqlite',
    exec: (sql) => db.exec(sql),
    close: () => db.close(),
    prepare(sql): SqliteStatement {
      const stmt = db.prepare(sql);
      return {
        reader: stmt.columns ? stmt.columns().length > 0 : READER_SQL.test(sql),
        all: (params) => stmt.all(...params),
        run: (params) => stmt.run(...params),
        iterate: (params) => stmt.iterate(...params),
      };
    },
  };
}

export function openSqlite(file: string): SqliteConnection {
  const builtin = builtinSqlite();
  if (builtin) return fromNodeSqlite(new builtin.DatabaseSync(file));
  // Loaded only where needed, so Node 22+ never runs its native destructors.
  const Database = createRequire(import.meta.url)('better-sqlite3') as typeof import('better-sqlite3');
  const db = new Database(file);
  return Object.assign(db as unknown as SqliteConnection, { library: 'better-sqlite3' as const });
}
