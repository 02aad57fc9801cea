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

interface Waiter {
  now: number;
  resolve: (count: WindowCount) => void;
  reject: (error: unknown) => void;
}

/** The calls for one key and window that wait for the next query, and whether one is running. */
interface Lane {
  key: string;
  window: number;
  windowMs: number;
  queued: Waiter[];
  running: boolean;
}

/**
 * Fixed-window counters in `rate_limit_windows`; `now` is injected so tests need no clock.
 *
 * Concurrent calls for one key share a query (issue 11): while a key's upsert (or read) runs, the calls that
 * arrive for that key wait and are then counted by ONE upsert of `hits + n`, each answered with its own
 * place in the window's count, so N concurrent requests of one API key cost one statement and one commit
 * rather than N commits queued on the same row's lock. Every call is still counted in the database, by a
 * query that starts after the call was made, so instances sharing the database see each other's hits.
 */
export class SharedWindowCounter {
  private upserts = 0;
  private readonly hits = new Map<string, Lane>();
  private readonly reads = new Map<string, Lane>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Now, the window of `windowMs` that contains it, and the milliseconds until that window ends. */
  currentWindow(windowMs: number): { now: number; window: number; resetsInMs: number } {
    const now = this.now();
    const window = Math.floor(now / windowMs);
    return { now, window, resetsInMs: (window + 1) * windowMs - now };
  }

  /** Counts one hit for `key` in the window of `windowMs` that contains now. */
  hit(key: string, windowMs: number): Promise<WindowCount> {
    return this.enqueue(this.hits, key, windowMs, (lane, waiters) => this.upsert(lane, waiters));
  }

  /** Reads `key`'s hits in the current window without counting one. */
  read(key: string, windowMs: number): Promise<WindowCount> {
    return this.enqueue(this.reads, key, windowMs, (lane, waiters) => this.select(lane, waiters));
  }

  private enqueue(
    lanes: Map<string, Lane>,
    key: string,
    windowMs: number,
    run: (lane: Lane, waiters: Waiter[]) => Promise<void>,
  ): Promise<WindowCount> {
    const { now, window } = this.currentWindow(windowMs);
    const id = `${windowMs}:${window}:${key}`;
    return new Promise<WindowCount>((resolve, reject) => {
      let lane = lanes.get(id);
      if (lane === undefined) {
        lane = { key, window, windowMs, queued: [], running: false };
        lanes.set(id, lane);
      }
      lane.queued.push({ now, resolve, reject });
      if (!lane.running) void this.drain(lanes, id, lane, run);
    });
  }

  /** One query at a time per lane, each for every call queued when it starts. */
  private async drain(
    lanes: Map<string, Lane>,
    id: string,
    lane: Lane,
    run: (lane: Lane, waiters: Waiter[]) => Promise<void>,
  ): Promise<void> {
    lane.running = true;
    while (lane.queued.length > 0) {
      const waiters = lane.queued;
      lane.queued = [];
      try {
        await run(lane, waiters);
      } catch (error) {
        for (const waiter of waiters) waiter.reject(error);
      }
    }
    lane.running = false;
    lanes.delete(id);
  }

  private async upsert(lane: Lane, waiters: Waiter[]): Promise<void> {
    const { key, window, windowMs } = lane;
    const row = await this.db
      .insertInto("rate_limit_windows")
      .values({ key, window, hits: waiters.length })
      .onConflict((conflict) =>
        conflict
          .columns(["key", "window"])
          .doUpdateSet((eb) => ({ hits: eb("rate_limit_windows.hits", "+", waiters.length) })),
      )
      .returning("hits")
      .executeTakeFirstOrThrow();
    const first = Number(row.hits) - waiters.length + 1;
    for (const [index, waiter] of waiters.entries()) {
      waiter.resolve({ hits: first + index, resetsInMs: (window + 1) * windowMs - waiter.now });
    }
    this.upserts += 1;
    // Finished windows are only history: drop them now and then, not on every request.
    if (this.upserts % 500 === 0) {
      await this.db
        .deleteFrom("rate_limit_windows")
        .where("window", "<", window - 1)
        .execute()
        .catch(() => {});
    }
  }

  private async select(lane: Lane, waiters: Waiter[]): Promise<void> {
    const { key, window, windowMs } = lane;
    const row = await this.db
      .selectFrom("rate_limit_windows")
      .select("hits")
      .where("key", "=", key)
      .where("window", "=", window)
      .executeTakeFirst();
    const hits = row === undefined ? 0 : Number(row.hits);
    for (const waiter of waiters) waiter.resolve({ hits, resetsInMs: (window + 1) * windowMs - waiter.now });
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
