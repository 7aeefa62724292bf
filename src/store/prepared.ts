/**
 * Compile-once queries for the auth hot path. Kysely rebuilds and recompiles a query on
 * every call (~50-100 µs for a join, more than running it), so hot queries are compiled
 * once with placeholder markers and later run with the markers swapped for real values.
 * The SQL text then never changes, which also lets the engine reuse its prepared
 * statement. Engine-neutral: it only reorders Kysely's own parameter list.
 */
import type { Compilable, CompiledQuery, QueryResult } from 'kysely';

/** Anything that runs a compiled query: a Kysely instance (or transaction). */
export interface QueryRunner {
  executeQuery<R>(query: CompiledQuery<R>): Promise<QueryResult<R>>;
}

class Placeholder {
  constructor(readonly index: number) {}
}

/**
 * `build` receives stand-ins for its arguments and must use each one exactly as a value
 * (in a comparison or insert), never in JavaScript logic, since it runs only once.
 */
export function prepareQuery<A extends unknown[], R>(
  db: QueryRunner,
  build: (...args: A) => Compilable<R>,
): (...args: A) => Promise<R[]> {
  const placeholders = Array.from({ length: build.length }, (_, i) => new Placeholder(i));
  const compiled: CompiledQuery<R> = build(...(placeholders as unknown as A)).compile();
  const slots = compiled.parameters.map((p) => (p instanceof Placeholder ? p.index : -1));
  for (const p of placeholders) {
    if (!slots.includes(p.index)) throw new Error(`prepared query does not use its argument #${p.index + 1}: ${compiled.sql}`);
  }
  return async (...args: A) => {
    const parameters = compiled.parameters.map((p, i) => {
      const slot = slots[i] ?? -1;
      return slot === -1 ? p : args[slot];
    });
    const result = await db.executeQuery<R>({ ...compiled, parameters });
    return result.rows;
  };
}

class Cell {
  constructor(
    readonly row: number,
    readonly column: number,
  ) {}
}

/**
 * An INSERT of many rows, compiled once per row count (the `keep` counts used last): Kysely
 * builds and compiles every value of every row on each call, which for the login history's
 * hundred-row slices cost as much as SQLite's inserting them. `build` receives stand-in rows
 * (every column in `columns` set) and must insert them as they are. Keep one per database:
 * the SQL is compiled for the dialect of the first runner it is given.
 */
export function prepareRowsInsert<Q extends QueryRunner, Row extends object>(
  build: (db: Q, rows: Row[]) => Compilable<unknown>,
  columns: ReadonlyArray<keyof Row & string>,
  keep = 8,
): (db: Q, rows: readonly Row[]) => Promise<void> {
  const byCount = new Map<number, { compiled: CompiledQuery<unknown>; cells: Cell[] }>();
  return async (db, rows) => {
    if (rows.length === 0) return;
    let p = byCount.get(rows.length);
    if (!p) {
      const stand = Array.from({ length: rows.length }, (_, r) => Object.fromEntries(columns.map((c, k) => [c, new Cell(r, k)])) as Row);
      const compiled = build(db, stand).compile();
      const cells = compiled.parameters.map((x) => {
        if (!(x instanceof Cell)) throw new Error(`prepared insert has a value of its own: ${compiled.sql}`);
        return x;
      });
      if (cells.length !== rows.length * columns.length) throw new Error(`prepared insert does not insert every column of every row: ${compiled.sql}`);
      if (byCount.size >= keep) byCount.delete(byCount.keys().next().value as number);
      byCount.set(rows.length, (p = { compiled, cells }));
    }
    const parameters = p.cells.map((c) => (rows[c.row] as Record<string, unknown>)[columns[c.column] as string] ?? null);
    await db.executeQuery({ ...p.compiled, parameters });
  };
}
