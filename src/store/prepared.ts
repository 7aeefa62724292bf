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
