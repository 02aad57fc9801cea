// Opens and closes the incidents the worker's FBR calls reveal (records/incidents.ts), from the `fbr.call`
// events alone, so the worker knows nothing about incidents:
//
// - FBR unreachable: a tenant's calls have all failed without an answer (not sent, throttled, in doubt)
//   for longer than `unreachableAfterMs` (default 10 minutes, the ops/ alert's threshold): the incident
//   opens, dated from the first failed call. The first call FBR answers closes it.
// - Token refused: FBR answered unauthorised: opens at once. A call FBR accepts or rejects on its merits
//   (the token worked) closes it.
//
// The clock is injected (tests move it; nothing waits). Work runs one event at a time, in order, and
// errors are reported as events, never thrown into the void.
import type { Kysely } from "kysely";
import type { FbrCallRecord, GatewayEvents } from "../events.ts";
import type { Database } from "../store/schema.ts";
import {
  closeIncident,
  findOpenIncident,
  type IncidentKind,
  openIncident,
  UNREACHABLE_OUTCOMES,
} from "./incidents.ts";

export const DEFAULT_UNREACHABLE_AFTER_MS = 10 * 60_000;

const unreachable: ReadonlySet<string> = new Set(UNREACHABLE_OUTCOMES);

export class IncidentMonitor {
  /** Per tenant: when the current run of unanswered calls began, and how many calls it holds. */
  private readonly failingSince = new Map<string, { since: Date; calls: number }>();
  /** Open incidents this process knows of ("tenant kind"), so a normal call costs no query. */
  private readonly open = new Set<string>();
  private queue: Promise<void> = Promise.resolve();
  private readonly listener = (call: FbrCallRecord) => {
    const at = this.now();
    this.queue = this.queue
      .then(() => this.onCall(call, at))
      .catch((error: unknown) => {
        this.events.emit("worker.problem", { message: "recording an incident failed", error });
      });
  };

  constructor(
    private readonly db: Kysely<Database>,
    private readonly events: GatewayEvents,
    private readonly options: { unreachableAfterMs: number; now?: () => Date } = {
      unreachableAfterMs: DEFAULT_UNREACHABLE_AFTER_MS,
    },
  ) {}

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  /** Learns the incidents left open (by an earlier run or another instance), then listens. */
  async start(): Promise<void> {
    const rows = await this.db
      .selectFrom("incidents")
      .select(["tenant_id", "kind"])
      .where("closed_at", "is", null)
      .where("kind", "in", ["fbr_unreachable", "token_refused"])
      .execute();
    for (const row of rows) this.open.add(`${row.tenant_id} ${row.kind}`);
    this.events.on("fbr.call", this.listener);
  }

  /** Resolves once every event received so far is recorded (tests, shutdown). */
  async idle(): Promise<void> {
    let seen: Promise<void> | undefined;
    while (seen !== this.queue) {
      seen = this.queue;
      await seen;
    }
  }

  async stop(): Promise<void> {
    this.events.off("fbr.call", this.listener);
    await this.idle();
  }

  private async onCall(call: FbrCallRecord, at: Date): Promise<void> {
    const { tenantId } = call;
    if (unreachable.has(call.outcome)) {
      const run = this.failingSince.get(tenantId) ?? { since: at, calls: 0 };
      run.calls += 1;
      this.failingSince.set(tenantId, run);
      const minutes = Math.round((at.getTime() - run.since.getTime()) / 60_000);
      if (at.getTime() - run.since.getTime() > this.options.unreachableAfterMs)
        await this.openOnce(
          tenantId,
          "fbr_unreachable",
          run.since,
          () =>
            `every call to FBR failed without an answer for ${minutes} minutes (${run.calls} calls, last: ${call.outcome}); invoices wait in the queue and are retried`,
        );
      return;
    }
    // FBR answered: it is reachable again.
    this.failingSince.delete(tenantId);
    await this.closeIfOpen(tenantId, "fbr_unreachable", at, "FBR answered again");
    if (call.outcome === "unauthorised") {
      await this.openOnce(
        tenantId,
        "token_refused",
        at,
        () =>
          "FBR refused the seller's token: the seller's queue is paused until the token is replaced (raseed tenant set-token)",
      );
    } else {
      await this.closeIfOpen(tenantId, "token_refused", at, "FBR accepted the seller's token again");
    }
  }

  private async openOnce(tenantId: string, kind: IncidentKind, openedAt: Date, cause: () => string) {
    const key = `${tenantId} ${kind}`;
    if (this.open.has(key)) return;
    await openIncident(this.db, { tenantId, kind, cause: cause(), openedAt, actor: "system" });
    this.open.add(key);
  }

  private async closeIfOpen(tenantId: string, kind: IncidentKind, at: Date, reason: string) {
    const key = `${tenantId} ${kind}`;
    if (!this.open.has(key)) return;
    // Another instance may have closed it already; then there is nothing left to do here.
    if ((await findOpenIncident(this.db, tenantId, kind)) !== undefined)
      await closeIncident(this.db, { tenantId, kind, closedAt: at, reason, actor: "system" });
    this.open.delete(key);
  }
}
