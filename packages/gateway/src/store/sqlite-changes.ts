// Whether a SQLite store's tenants and API keys may have changed since a given moment, cheaply enough to ask
// on every request (issue 11: reading the API key and its tenant on every request was ~10% of the gateway's
// CPU per invoice on SQLite). Two kinds of change are seen:
//   - writes through this store's own connection: the statement cache (statement-cache.ts) reports every
//     statement that may write and names tenants or api_keys as the table it updates, inserts into,
//     deletes from or alters (or reads from, which only over-counts), except the audit chain's head
//     updates (a bump of audit_seq, a new head hash and mac), which every audited change makes; a write
//     elsewhere that only joins tenants (the worker's claim) is not one;
//   - commits by any other connection to the file (an admin command such as `raseed key revoke` run beside
//     the gateway): SQLite's PRAGMA data_version changes on this connection when another one commits.
// A stamp taken before a read is still current afterwards only if neither happened, so a copy of what the
// read answered is exactly what reading again would answer (the audit head fields excepted). While this
// connection is inside a transaction no stamp is given: what it reads there may not be committed, and
// another connection's commit would only show once the transaction ends.
// Reading PRAGMA data_version starts and ends a read transaction (~10-18 us under ingest load, 4.4% of the
// gateway's CPU when every request read its own): the requests of one event-loop turn share one stamp,
// read after that turn (stampAfterTurn), as PostgreSQL's requests of one turn share their key query
// (pg-read-batch.ts). It is taken after each of them arrived, so each still sees every change committed
// before it was asked.
import type SqliteDatabase from "better-sqlite3";
import { perStore } from "./per-store.ts";

/** What a cache keeps beside a copy: compared with `SqliteChangeWatch.stamp()` before the copy is used. */
export interface ChangeStamp {
  readonly own: number;
  readonly other: number;
}

/** The audit chain's head updates (audit/audit-log.ts bumpAuditSeq and setAuditHead), as Kysely writes them. */
const AUDIT_HEAD_UPDATE =
  /^update "tenants" set (?:"audit_(?:seq|head_hash|head_mac)" = (?:\?|"audit_seq" \+ \?)(?:, )?)+ where "id" = \?(?: returning [^;]*)?$/;
const WATCHED_TABLE = /\b(?:update|into|from|table)\s+(?:["`[]?\w+["`\]]?\.)?["`[]?(?:tenants|api_keys)\b/i;

/** Whether a statement that may write can change a tenant or an API key as authentication reads them. */
export function writesTenantsOrKeys(sql: string): boolean {
  return WATCHED_TABLE.test(sql) && !AUDIT_HEAD_UPDATE.test(sql);
}

export class SqliteChangeWatch {
  private ownWrites = 0;
  private readonly dataVersion: SqliteDatabase.Statement<[], number>;

  constructor(private readonly database: SqliteDatabase.Database) {
    this.dataVersion = database.prepare<[], number>("PRAGMA data_version").pluck();
  }

  /** A write to tenants or api_keys is about to run on this connection (called by the statement cache). */
  wroteOwn(): void {
    this.ownWrites += 1;
  }

  /** Now, or undefined when it cannot be told (inside a transaction, the connection busy streaming rows). */
  stamp(): ChangeStamp | undefined {
    if (!this.database.open || this.database.inTransaction) return undefined;
    try {
      return { own: this.ownWrites, other: this.dataVersion.get() as number };
    } catch {
      return undefined;
    }
  }

  private waiting: ((stamp: ChangeStamp | undefined) => void)[] | undefined;

  /**
   * A stamp taken after this turn of the event loop, one read shared by every caller of the turn: later
   * than each call, so it shows every change committed before any of them asked.
   */
  stampAfterTurn(): Promise<ChangeStamp | undefined> {
    return new Promise((resolve) => {
      if (this.waiting !== undefined) {
        this.waiting.push(resolve);
        return;
      }
      const waiting = [resolve];
      this.waiting = waiting;
      setImmediate(() => {
        this.waiting = undefined;
        const now = this.stamp();
        for (const answer of waiting) answer(now);
      });
    });
  }
}

/** Whether `now` is a stamp and nothing watched changed between `earlier` and it. */
export function sameStamp(now: ChangeStamp | undefined, earlier: ChangeStamp): boolean {
  return now !== undefined && now.own === earlier.own && now.other === earlier.other;
}

/** The store's watch: SQLite stores have one, PostgreSQL stores none. */
export const changeWatches = perStore<SqliteChangeWatch>();
