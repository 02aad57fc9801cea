// Concurrent reads of one kind share one query on PostgreSQL (issue 11). Every request reads its API key
// and its idempotency reference; at 32 connections that was two queries per request, each a round trip
// whose socket write alone cost the gateway more CPU than the read cost PostgreSQL. Reads asked for in
// the same turn of the event loop now go out as one `= any($1)` query after that turn. Each read is still
// answered by a query that starts after it was asked for, so it sees everything committed before it was
// asked (a revoked key is refused at once, a committed invoice is found), exactly as its own query would.
// SQLite answers a read without a round trip, so it keeps one query per read.
import { type Kysely, PostgresAdapter } from "kysely";
import type { Database } from "./schema.ts";

/** Whether `db` is a PostgreSQL store (reads are batched there only). */
export function isPostgres(db: Kysely<Database>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

interface Waiter<R> {
  resolve: (row: R | undefined) => void;
  reject: (error: unknown) => void;
}

/** Keys per query at most. */
const MAX_KEYS = 500;

/**
 * Reads by key, batched: `read` gets the distinct keys asked for in one turn and answers the rows found,
 * each with its key (`keyOf`); a key without a row is answered `undefined`.
 * @example
 * const byHash = new ReadBatch<Row>((hashes) => rowsByHashes(db, hashes), (row) => row.key_hash);
 * const row = await byHash.get(hash);
 */
export class ReadBatch<R> {
  private waiting = new Map<string, Waiter<R>[]>();
  private scheduled = false;

  constructor(
    private readonly read: (keys: string[]) => Promise<R[]>,
    private readonly keyOf: (row: R) => string,
  ) {}

  get(key: string): Promise<R | undefined> {
    return new Promise<R | undefined>((resolve, reject) => {
      const waiters = this.waiting.get(key);
      if (waiters === undefined) this.waiting.set(key, [{ resolve, reject }]);
      else waiters.push({ resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // After the I/O callbacks of this turn, so every request that arrived with this one shares its query.
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = [...this.waiting.entries()];
    this.waiting = new Map();
    for (let start = 0; start < batch.length; start += MAX_KEYS) {
      void this.answer(batch.slice(start, start + MAX_KEYS));
    }
  }

  private async answer(batch: [string, Waiter<R>[]][]): Promise<void> {
    let rows: R[];
    try {
      rows = await this.read(batch.map(([key]) => key));
    } catch (error) {
      for (const [, waiters] of batch) for (const waiter of waiters) waiter.reject(error);
      return;
    }
    const found = new Map<string, R>();
    for (const row of rows) found.set(this.keyOf(row), row);
    for (const [key, waiters] of batch) for (const waiter of waiters) waiter.resolve(found.get(key));
  }
}

/** One ReadBatch per store and kind, made on first use. */
export function batchPerStore<R>(
  make: (db: Kysely<Database>) => ReadBatch<R>,
): (db: Kysely<Database>) => ReadBatch<R> {
  const batches = new WeakMap<Kysely<Database>, ReadBatch<R>>();
  return (db) => {
    let batch = batches.get(db);
    if (batch === undefined) {
      batch = make(db);
      batches.set(db, batch);
    }
    return batch;
  };
}
