/**
 * Everything SQLite-specific about the directory: creating the file safely, the pragmas,
 * the Kysely dialect, and SQLite's constraint error codes. The rest of src/store/ speaks
 * dialect-neutral Kysely so a PostgreSQL engine can slot in beside this file.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  CompiledQuery,
  type QueryResult,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type SqliteDatabase,
  type SqliteDialectConfig,
} from 'kysely';
import type { Engine } from './engine.js';
import { openSqlite, sqliteErrorCode, type SqliteConnection } from './sqlite-binding.js';
import type { WriteTurn } from './write-gate.js';

/** How long a writer waits for another process (server vs CLI) to release the lock. */
const BUSY_TIMEOUT_MS = 5000;
/** Prepared statements kept per connection; the hot path uses about a dozen. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely's SQLite driver calls `prepare` for every query. Parsing and planning a join is
 * several times the cost of running it (routeFor: ~90 µs to prepare, ~10 µs to run), so
 * keep recently used statements. Reuse is safe: Kysely serialises all queries on the one
 * connection, and SQLite re-prepares a cached statement itself after a schema change.
 */
function withStatementCache(db: SqliteConnection, onWrite: () => void): SqliteDatabase {
  const cache = new Map<string, ReturnType<SqliteConnection['prepare']>>();
  return {
    close() {
      cache.clear();
      db.close();
      onWrite(); // localChanges asks the closed connection next, and fails like every lookup after close
    },
    prepare(sql) {
      let stmt = cache.get(sql);
      if (stmt) {
        cache.delete(sql); // re-insert: Map order is the LRU order
      } else {
        stmt = READ_ONLY_SQL.test(sql) ? db.prepare(sql) : noticingWrites(db.prepare(sql), onWrite);
        if (cache.size >= STATEMENT_CACHE_SIZE) {
          const oldest = cache.keys().next();
          if (!oldest.done) cache.delete(oldest.value);
        }
      }
      cache.set(sql, stmt);
      return stmt;
    },
  };
}

/** A SELECT cannot change a row; anything else (INSERT, UPDATE, DELETE, WITH, PRAGMA, BEGIN...) may. */
const READ_ONLY_SQL = /^\s*select\b/i;

type Statement = ReturnType<SqliteConnection['prepare']>;

/**
 * A statement that may change rows, calling `onWrite` after each time it runs (and after each
 * row it steps through), so localChanges knows when total_changes() can have moved.
 */
function noticingWrites(stmt: Statement, onWrite: () => void): Statement {
  return {
    reader: stmt.reader,
    all(params) {
      try {
        return stmt.all(params);
      } finally {
        onWrite();
      }
    },
    run(params) {
      try {
        return stmt.run(params);
      } finally {
        onWrite();
      }
    },
    *iterate(params) {
      try {
        for (const row of stmt.iterate(params)) {
          onWrite();
          yield row;
        }
      } finally {
        onWrite();
      }
    },
  };
}

/** Statements that only read (for writes outside a transaction, which take the write lock). */
const READER_SQL = /^\s*(select|with|pragma|values|explain)\b/i;

function isWrite(q: CompiledQuery): boolean {
  const kind = q.query.kind;
  if (kind === 'SelectQueryNode') return false;
  if (kind === 'RawNode') return !READER_SQL.test(q.sql);
  return true;
}

/**
 * Kysely opens SQLite transactions with a plain (deferred) `begin`. A deferred transaction
 * that reads and then writes cannot wait for another process's write lock: SQLite returns
 * SQLITE_BUSY at once instead of using busy_timeout. Every store transaction checks then
 * writes, so take the write lock up front and let busy_timeout do its job.
 *
 * With a `turn` (write-gate.ts), every write (a transaction, or a single statement outside
 * one) first waits for its turn against the history worker's connection in this process,
 * without blocking the thread, so that SQLite's busy handler never sleeps on it for the worker.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  readonly #turn: WriteTurn | undefined;
  /** Inside a transaction whose turn was taken at `begin` (Kysely serialises the one connection). */
  #inTransaction = false;

  constructor(config: SqliteDialectConfig, turn: WriteTurn | undefined) {
    super(config);
    this.#turn = turn;
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await super.acquireConnection();
    const turn = this.#turn;
    if (!turn) return connection;
    const gated = async <R>(q: CompiledQuery): Promise<QueryResult<R>> => {
      await turn.enter();
      try {
        return await connection.executeQuery<R>(q);
      } finally {
        turn.leave();
      }
    };
    return {
      // Reads (the auth path's) go straight through, without an extra async frame.
      executeQuery: <R>(q: CompiledQuery) => (this.#inTransaction || !isWrite(q) ? connection.executeQuery<R>(q) : gated<R>(q)),
      streamQuery: <R>(q: CompiledQuery, chunkSize?: number) => connection.streamQuery<R>(q, chunkSize),
    };
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await this.#turn?.enter();
    this.#inTransaction = true;
    try {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    } catch (err) {
      this.#end();
      throw err;
    }
  }

  override async commitTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await super.commitTransaction(connection);
    } finally {
      this.#end();
    }
  }

  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await super.rollbackTransaction(connection);
    } finally {
      this.#end();
    }
  }

  #end(): void {
    if (!this.#inTransaction) return;
    this.#inTransaction = false;
    this.#turn?.leave();
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  readonly #turn: WriteTurn | undefined;
  constructor(config: SqliteDialectConfig, turn?: WriteTurn) {
    super(config);
    this.#config = config;
    this.#turn = turn;
  }
  override createDriver(): SqliteDriver {
    return new ImmediateSqliteDriver(this.#config, this.#turn);
  }
}

function createPrivateFile(file: string): void {
  // The directory holds password hashes: create the parent folder and a new database
  // readable by the owner only, before SQLite creates it with the umask's permissions.
  // SQLite gives the -wal and -shm files the same mode as the database file.
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    fs.closeSync(fs.openSync(file, 'wx', 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

export interface SqliteEngineOptions {
  /** This connection's side of the write gate shared with the history worker (write-gate.ts). */
  turn?: WriteTurn;
}

export function openSqliteEngine(file: string, opts: SqliteEngineOptions = {}): Engine {
  const resolved = path.resolve(file);
  createPrivateFile(resolved);
  const db = openSqlite(resolved);
  try {
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA foreign_keys = ON');
    db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // Durable at every checkpoint and much faster than FULL; the WAL survives a crash.
    db.exec('PRAGMA synchronous = NORMAL');
    // Lookups on a big directory (a million mailboxes) read B-tree pages: map the file and keep
    // a 64 MiB page cache, so a login costs about the same with 1,000 or 1,000,000 mailboxes.
    db.exec('PRAGMA mmap_size = 268435456');
    db.exec('PRAGMA cache_size = -65536');
  } catch (err) {
    db.close();
    throw err;
  }
  const changes = db.prepare('SELECT total_changes() AS tc');
  // The plain pragma: a third cheaper than the same value through the pragma_data_version table.
  const version = db.prepare('PRAGMA data_version');
  // total_changes() moves only when a statement that may write runs on this connection, and all
  // of them are prepared through withStatementCache, which counts their runs: the lookups ask
  // localChanges several times per login, and now pay for a query only after a write.
  let writes = 0;
  let countedAt = -1;
  let total = 0;
  return {
    flavour: 'sqlite',
    dialect: new ImmediateSqliteDialect({ database: withStatementCache(db, () => void writes++) }, opts.turn),
    // Synchronous and outside Kysely: statements on this connection never interleave with it.
    changeVersion: () => String((version.all([])[0] as { data_version: number | bigint }).data_version),
    localChanges: () => {
      if (countedAt !== writes) {
        total = Number((changes.all([])[0] as { tc: number | bigint }).tc);
        countedAt = writes;
      }
      return total;
    },
    isUniqueViolation: (err) => {
      const code = sqliteErrorCode(err);
      return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
    },
    isForeignKeyViolation: (err) => sqliteErrorCode(err) === 'SQLITE_CONSTRAINT_FOREIGNKEY',
  };
}
