// Prepared statements kept per SQL text. Kysely's SQLite driver calls `prepare` for every query it runs, and
// preparing (parsing and planning the SQL) was ~13% of the gateway's CPU under ingest load (issue 11's
// profile). better-sqlite3 statements can be run again with new parameters, so the database handed to Kysely
// returns the statement already prepared for the same text. Least-recently-used texts are dropped beyond
// `limit` (multi-row inserts make texts that vary with the row count). A statement still iterating (a
// streamed query) is busy, so a second copy is prepared for that run rather than reused. Every statement is
// fetched here just before it runs, so `onWrite` hears of each one that may write (wal-sync.ts counts them),
// and `watched` of each that may also change a tenant or an API key (sqlite-changes.ts).
import type SqliteDatabase from "better-sqlite3";
import type { SqliteDatabase as KyselySqliteDatabase } from "kysely";
import { writesTenantsOrKeys } from "./sqlite-changes.ts";

interface Cached {
  statement: SqliteDatabase.Statement;
  /** It may write tenants or api_keys (judged once per text). */
  watched: boolean;
}

export function withStatementCache(
  database: SqliteDatabase.Database,
  limit = 500,
  onWrite: () => void = () => {},
  watched: { onWrite: () => void } = { onWrite: () => {} },
): KyselySqliteDatabase {
  const cache = new Map<string, Cached>();
  const counted = (entry: Cached) => {
    if (!entry.statement.readonly) onWrite();
    if (entry.watched) watched.onWrite();
    return entry.statement;
  };
  const entryFor = (sql: string, statement: SqliteDatabase.Statement): Cached => ({
    statement,
    watched: !statement.readonly && writesTenantsOrKeys(sql),
  });
  return {
    close: () => {
      cache.clear();
      database.close();
    },
    prepare: (sql: string) => {
      const cached = cache.get(sql);
      if (cached !== undefined) {
        if (cached.statement.busy) return counted(entryFor(sql, database.prepare(sql)));
        // Map order is insertion order: re-inserting marks it most recently used.
        cache.delete(sql);
        cache.set(sql, cached);
        return counted(cached);
      }
      const entry = entryFor(sql, database.prepare(sql));
      cache.set(sql, entry);
      if (cache.size > limit) cache.delete(cache.keys().next().value as string);
      return counted(entry);
    },
  };
}
