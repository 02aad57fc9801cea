// Seals each invoice as soon as its acceptance is committed, unless it was sealed in that same commit (the
// worker's acceptances, outbox/settle.ts): on the state-change event, and a sweep at start for acceptances a
// stopped process never sealed. Errors are reported as events, never thrown into the void (the next sweep
// retries).
import type { Kysely } from "kysely";
import type { GatewayEvents, InvoiceStateChange } from "../events.ts";
import type { GroupCommitter } from "../store/group-commit.ts";
import type { Database } from "../store/schema.ts";
import type { RecordKeys } from "./keys.ts";
import { sealInvoice, sealPendingInvoices } from "./seals.ts";

export class Sealer {
  private readonly pending = new Set<Promise<unknown>>();
  private readonly listener = (change: InvoiceStateChange) => {
    if (change.state !== "accepted" || change.sealed === true) return;
    this.track(sealInvoice(this.db, this.keys, change.invoiceId, this.committer));
  };

  constructor(
    private readonly db: Kysely<Database>,
    private readonly keys: RecordKeys,
    private readonly events: GatewayEvents,
    /** Seals in the group commit (PostgreSQL: their audit entries then share the group's chain lock). */
    private readonly committer?: GroupCommitter,
  ) {}

  private track(work: Promise<unknown>): void {
    const guarded = work.catch((error: unknown) =>
      this.events.emit("worker.problem", { message: "sealing an accepted invoice failed", error }),
    );
    this.pending.add(guarded);
    void guarded.finally(() => this.pending.delete(guarded));
  }

  start(): void {
    this.events.on("invoice.state_changed", this.listener);
    this.track(sealPendingInvoices(this.db, this.keys));
  }

  /** Resolves once every seal started so far is written (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  async stop(): Promise<void> {
    this.events.off("invoice.state_changed", this.listener);
    await this.idle();
  }
}
