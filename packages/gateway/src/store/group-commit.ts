// Group commit: units of work that arrive while a transaction is committing are written together in the
// next one, so many concurrent writers share one fsync. Each caller still gets its own result only after
// the commit that contains its work, so "acknowledged" keeps meaning "durable". If a shared transaction
// fails, every unit is re-run alone so the failure reaches only the caller it belongs to.
//
// A unit is either its own work (`run`) or an item of a named batch (`runBatched`): the items of one batch
// that share a group are written by one call, so N concurrent submissions cost one insert per table rather
// than N (issue 11).
//
// On PostgreSQL several groups may be committing at once (`concurrentGroups`): each on its own connection,
// kept apart by row locks, with their audit entries written last (audit/audit-log.ts deferAuditEntries), so
// a group does its writes while the one before it holds the tenant's audit-chain lock through its commit.
// SQLite has one writer: one group at a time, as before.
import type { Kysely, Transaction } from "kysely";
import { deferAuditEntries, writeDeferredAudit } from "../audit/audit-log.ts";
import { isPostgres } from "./pg-read-batch.ts";
import type { Database } from "./schema.ts";

/** Writes several items in one go; answers one result per item, in order. */
export interface Batch<I, R> {
  readonly name: string;
  write(trx: Transaction<Database>, items: readonly I[]): Promise<R[]>;
}

interface Unit {
  work: (trx: Transaction<Database>) => Promise<unknown>;
  batch?: { kind: Batch<unknown, unknown>; item: unknown };
  orderKey: string;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Groups committing at once on PostgreSQL (docs/performance.md, "Where PostgreSQL ingest time went"). */
export const POSTGRES_CONCURRENT_GROUPS = 3;

export interface GroupCommitOptions {
  /** Units per group at most. */
  maxBatch?: number;
  /**
   * Groups committing at once (PostgreSQL; default 1). Above 1 every group's audit entries are written as its
   * last statements, so groups overlap everywhere except from the tenant's chain lock to the commit.
   */
  concurrentGroups?: number;
}

export class GroupCommitter {
  private queue: Unit[] = [];
  private flushing = false;
  /** Groups started and not yet finished. */
  private running = 0;
  private readonly maxBatch: number;
  private readonly concurrentGroups: number;

  constructor(
    private readonly db: Kysely<Database>,
    options: GroupCommitOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 256;
    this.concurrentGroups = options.concurrentGroups ?? 1;
    // The deferred audit entries are written with PostgreSQL's SQL (writeDeferredAudit).
    if (this.concurrentGroups > 1 && !isPostgres(db))
      throw new Error("concurrentGroups > 1 needs PostgreSQL");
  }

  /**
   * Runs `work` inside a transaction shared with other concurrent callers. `orderKey` orders units
   * within a batch (e.g. by tenant) so concurrent instances take row locks in the same order.
   */
  run<T>(work: (trx: Transaction<Database>) => Promise<T>, orderKey = ""): Promise<T> {
    return this.enqueue({ work, orderKey });
  }

  /** Writes `item` with `kind`, together with the other items of that kind in the same group. */
  runBatched<I, R>(kind: Batch<I, R>, item: I, orderKey = ""): Promise<R> {
    const one = async (trx: Transaction<Database>) => (await kind.write(trx, [item]))[0] as R;
    return this.enqueue({
      work: one,
      batch: { kind: kind as Batch<unknown, unknown>, item },
      orderKey,
    });
  }

  private enqueue<T>(unit: Pick<Unit, "work" | "batch" | "orderKey">): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ ...unit, resolve: resolve as (value: unknown) => void, reject });
      if (!this.flushing && this.running < this.concurrentGroups) {
        this.flushing = true;
        // After the I/O callbacks of this turn: every request that arrived with this one joins its group.
        setImmediate(() => this.flush());
      }
    });
  }

  /** Starts groups while units wait and fewer than concurrentGroups are running. */
  private flush(): void {
    this.flushing = false;
    while (this.queue.length > 0 && this.running < this.concurrentGroups) {
      const group = this.queue.splice(0, this.maxBatch).sort((a, b) => a.orderKey.localeCompare(b.orderKey));
      this.running += 1;
      void this.commitGroup(group).finally(() => {
        this.running -= 1;
        this.flush();
      });
    }
  }

  private async commitGroup(group: Unit[]): Promise<void> {
    const deferAudit = this.concurrentGroups > 1;
    if (group.length === 1 && !deferAudit) {
      await this.runAlone(group[0] as Unit);
      return;
    }
    let results: Map<Unit, unknown>;
    try {
      results = await this.db.transaction().execute(async (trx) => {
        if (deferAudit) deferAuditEntries(trx);
        const written = await writeGroup(trx, group);
        if (deferAudit) await writeDeferredAudit(trx);
        return written;
      });
    } catch (error) {
      if (group.length === 1) (group[0] as Unit).reject(error);
      else for (const unit of group) await this.runAlone(unit);
      return;
    }
    for (const unit of group) unit.resolve(results.get(unit));
  }

  private async runAlone(unit: Unit): Promise<void> {
    try {
      unit.resolve(await this.db.transaction().execute(unit.work));
    } catch (error) {
      unit.reject(error);
    }
  }
}

/** Plain units in order; each batch kind written once, where its first unit stands in the order. */
async function writeGroup(trx: Transaction<Database>, group: readonly Unit[]): Promise<Map<Unit, unknown>> {
  const results = new Map<Unit, unknown>();
  const batched = new Map<Batch<unknown, unknown>, Unit[]>();
  for (const unit of group) {
    if (unit.batch === undefined) continue;
    const members = batched.get(unit.batch.kind);
    if (members === undefined) batched.set(unit.batch.kind, [unit]);
    else members.push(unit);
  }
  for (const unit of group) {
    if (unit.batch === undefined) {
      results.set(unit, await unit.work(trx));
      continue;
    }
    const members = batched.get(unit.batch.kind);
    if (members === undefined || members[0] !== unit) continue;
    const written = await unit.batch.kind.write(
      trx,
      members.map((member) => member.batch?.item),
    );
    for (const [index, member] of members.entries()) results.set(member, written[index]);
  }
  return results;
}
