// Queries built and compiled once, then run with new values. Kysely builds a query's operation tree and
// compiles it to SQL on every execution; for the lookups every request makes (its API key, a replayed
// reference) that cost more main-thread CPU than running them (issue 11's profile: ~6% of the gateway's
// time under ingest load). The compiled text is kept per dialect adapter, so one definition serves SQLite
// and PostgreSQL, and a transaction runs the same text as its database.
import {
  type Compilable,
  type CompiledQuery,
  createQueryId,
  type DialectAdapter,
  type Kysely,
  type Transaction,
} from "kysely";
import type { Database } from "./schema.ts";

type Executor = Kysely<Database> | Transaction<Database>;

/** Stands where a value goes in a query built by `precompiled`; replaced by the named value at each run. */
class Slot {
  constructor(readonly name: string) {}
}

/**
 * Builds the query once per dialect with a placeholder for each named value and runs the compiled text
 * with `values` filled in. Each `slots.x` must stand where Kysely takes a single value (a comparison's
 * right side, an inserted or set value); never a list (`in`), an identifier or something it inspects.
 * @example
 * const byHash = precompiled((db, slots: { hash: string }) =>
 *   db.selectFrom("api_keys").selectAll().where("key_hash", "=", slots.hash));
 * const rows = await byHash(db, { hash });
 */
export function precompiled<P extends Record<string, unknown>, R>(
  build: (db: Executor, slots: P) => Compilable<R>,
): (db: Executor, values: P) => Promise<R[]> {
  const byAdapter = new WeakMap<DialectAdapter, { query: CompiledQuery<R>; names: (string | undefined)[] }>();
  return async (db, values) => {
    const adapter = db.getExecutor().adapter;
    let compiled = byAdapter.get(adapter);
    if (compiled === undefined) {
      const slots = new Proxy({} as P, { get: (_target, name) => new Slot(String(name)) });
      const query = build(db, slots).compile();
      compiled = {
        query,
        names: query.parameters.map((parameter) => (parameter instanceof Slot ? parameter.name : undefined)),
      };
      byAdapter.set(adapter, compiled);
    }
    const { query, names } = compiled;
    const parameters = query.parameters.map((parameter, index) => {
      const name = names[index];
      return name === undefined ? parameter : values[name];
    });
    const result = await db.executeQuery<R>({ ...query, queryId: createQueryId(), parameters });
    return result.rows;
  };
}
