// Group commit: units of work that arrive while a transaction is committing are written together in the
// next one, so many concurrent writers share one fsync. Each caller still gets its own result only after
// the commit that contains its work, so "acknowledged" keeps meaning "durable". If a shared transaction
// fails, every unit is re-run alone so the failure reaches only the caller it belongs to.
import type { Kysely, Transaction } from "kysely";
import type { Database } from "./schema.ts";

interface Unit {
  work: (trx: Transaction<Database>) => Promise<unknown>;
  orderKey: string;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export class GroupCommitter {
  private queue: Unit[] = [];
  private flushing = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly maxBatch = 256,
  ) {}

  /**
   * Runs `work` inside a transaction shared with other concurrent callers. `orderKey` orders units
   * within a batch (e.g. by tenant) so concurrent instances take row locks in the same order.
   */
  run<T>(work: (trx: Transaction<Database>) => Promise<T>, orderKey = ""): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, orderKey, resolve: resolve as (value: unknown) => void, reject });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch).sort((a, b) => a.orderKey.localeCompare(b.orderKey));
      if (batch.length === 1) {
        await this.runAlone(batch[0] as Unit);
        continue;
      }
      let results: unknown[];
      try {
        results = await this.db.transaction().execute(async (trx) => {
          const out: unknown[] = [];
          for (const unit of batch) out.push(await unit.work(trx));
          return out;
        });
      } catch {
        for (const unit of batch) await this.runAlone(unit);
        continue;
      }
      for (const [index, unit] of batch.entries()) unit.resolve(results[index]);
    }
    this.flushing = false;
  }

  private async runAlone(unit: Unit): Promise<void> {
    try {
      unit.resolve(await this.db.transaction().execute(unit.work));
    } catch (error) {
      unit.reject(error);
    }
  }
}
