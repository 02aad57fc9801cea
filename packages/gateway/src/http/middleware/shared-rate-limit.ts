// Rate-limit counters kept in the database, so several gateway instances on one PostgreSQL share one limit
// per key instead of each allowing the full figure (issue 13). On SQLite only one gateway process can
// open the file (store/instance-lock.ts), so its in-memory counters are already the whole truth and no
// request pays an extra fsync for them.
import type { Kysely } from "kysely";
import type { Database } from "../../store/schema.ts";

export interface WindowCount {
  /** Hits in the current window, this one included (or without it, for a read). */
  hits: number;
  /** Milliseconds until the window ends. */
  resetsInMs: number;
}

/** Fixed-window counters in `rate_limit_windows`; `now` is injected so tests need no clock. */
export class SharedWindowCounter {
  private calls = 0;
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one hit for `key` in the window of `windowMs` that contains now. */
  async hit(key: string, windowMs: number): Promise<WindowCount> {
    const now = this.now();
    const window = Math.floor(now / windowMs);
    const row = await this.db
      .insertInto("rate_limit_windows")
      .values({ key, window, hits: 1 })
      .onConflict((conflict) =>
        conflict
          .columns(["key", "window"])
          .doUpdateSet((eb) => ({ hits: eb("rate_limit_windows.hits", "+", 1) })),
      )
      .returning("hits")
      .executeTakeFirstOrThrow();
    this.calls += 1;
    // Finished windows are only history: drop them now and then, not on every request.
    if (this.calls % 500 === 0) {
      await this.db
        .deleteFrom("rate_limit_windows")
        .where("window", "<", window - 1)
        .execute();
    }
    return { hits: Number(row.hits), resetsInMs: (window + 1) * windowMs - now };
  }

  /** Reads `key`'s hits in the current window without counting one. */
  async read(key: string, windowMs: number): Promise<WindowCount> {
    const now = this.now();
    const window = Math.floor(now / windowMs);
    const row = await this.db
      .selectFrom("rate_limit_windows")
      .select("hits")
      .where("key", "=", key)
      .where("window", "=", window)
      .executeTakeFirst();
    return { hits: row === undefined ? 0 : Number(row.hits), resetsInMs: (window + 1) * windowMs - now };
  }
}

type IncrCallback = (error: Error | null, result?: { current: number; ttl: number }) => void;

/**
 * A store for @fastify/rate-limit (its `store` option takes a class) backed by SharedWindowCounter.
 * Keys are prefixed so API-key counts and failed-authentication counts never collide.
 */
export function sharedRateLimitStore(counter: SharedWindowCounter) {
  return class SharedRateLimitStore {
    incr(key: string, callback: IncrCallback, timeWindow: number): void {
      counter.hit(`api:${key}`, timeWindow).then(
        ({ hits, resetsInMs }) => callback(null, { current: hits, ttl: resetsInMs }),
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
      );
    }

    read(key: string, callback: IncrCallback, timeWindow: number): void {
      counter.read(`api:${key}`, timeWindow).then(
        ({ hits, resetsInMs }) => callback(null, { current: hits, ttl: resetsInMs }),
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
      );
    }

    child(): SharedRateLimitStore {
      return this;
    }
  };
}
