// Reads run straight on a SQLite store's connection when it is idle (issue 11). Every request reads its
// idempotency reference (and, the first time and after a change, its API key); through Kysely each read is
// several promise hops (its executor, the driver's connection mutex, the connection, the store's health
// observer) that cost more CPU than SQLite's index lookup. When no transaction, stream or commit holds the
// connection, the same prepared statement is run at once instead: it reads exactly what Kysely would, since
// nothing else can be running on the one connection, and every commit it could see is durable (a commit
// holds the connection until its WAL is synced, wal-sync.ts). When the connection is held, the read goes
// through Kysely and waits its turn as before; so it does once a WAL sync has failed, since commits nobody
// may take as durable are then in the database (Kysely's path refuses them, write-health.ts).
import type SqliteDatabase from "better-sqlite3";
import { perStore } from "./per-store.ts";
import type { StoreWriteHealth } from "./write-health.ts";

/** Whether Kysely's driver holds the connection (a transaction, a query or a commit under way). */
export interface ConnectionHold {
  held: boolean;
}

export class SqliteDirectReads {
  constructor(
    private readonly database: SqliteDatabase.Database,
    /** The store's statement cache. */
    private readonly prepare: (sql: string) => SqliteDatabase.Statement,
    private readonly hold: ConnectionHold,
    private readonly health: StoreWriteHealth,
    /** True while a write is not known to be on disk (wal-sync.ts `owed`). */
    private readonly unsynced: () => boolean = () => false,
  ) {}

  /** The rows of a SELECT run now, or undefined when the connection is not free (then use Kysely). */
  select<R>(sql: string, parameters: readonly unknown[]): R[] | undefined {
    if (this.hold.held || this.unsynced() || !this.database.open || this.database.inTransaction) {
      return undefined;
    }
    const statement = this.prepare(sql);
    if (!statement.reader || !statement.readonly || statement.busy) return undefined;
    try {
      return statement.all(parameters) as R[];
    } catch (error) {
      this.health.observeFailure(error);
      throw error;
    }
  }
}

/** The store's direct reads: SQLite stores have them, PostgreSQL stores not. */
export const directReads = perStore<SqliteDirectReads>();
