// Recovery: settles rows whose worker died or stalled past its lease. What a crash mid-flight means is the
// sdk's decision (`nextStepAfterCrash`): may-have-been-sent -> in_doubt; certainly-not-sent -> queued (no
// attempt recorded, or, at start-up on SQLite, one the dead process's launch log proves it never posted).
import { nextStepAfterCrash } from "@raseed/sdk";
import { appendAudit } from "../audit/audit-log.ts";
import type { GatewayEvents } from "../events.ts";
import { changeInvoiceState } from "../invoices/lifecycle.ts";
import type { Store } from "../store/database.ts";
import { nowIso } from "../store/ids.ts";
import type { InvoiceState } from "../store/schema.ts";
import {
  type ClaimedOutboxRow,
  claimExpiredLeases,
  closeOpenAttempts,
  completeOutbox,
  openAttemptIds,
  readInvoice,
  rescheduleOutbox,
} from "./outbox-sql.ts";

/** The states a claimed row may still be posted from (anything else was settled while its row waited). */
export const WORKABLE_STATES: ReadonlySet<InvoiceState> = new Set(["queued", "retrying", "submitting"]);

export interface RecoverContext {
  store: Store;
  events: GatewayEvents;
  /** The audit actor, `worker:<instance id>`. */
  actor: string;
  leaseMs: number;
  problem: (message: string, error?: unknown, invoiceId?: string) => void;
}

/**
 * Takes over abandoned leases and settles each. `all` (start-up on SQLite, whose file lock proves no other
 * process is live) takes every lease; otherwise only expired ones, and never a post in `exclude` (the
 * caller's own posts in flight: its heartbeat keeps those leases current, and excluding them also covers a
 * heartbeat that fell behind). Returns how many rows were taken over.
 */
export async function recoverLeases(
  ctx: RecoverContext,
  options: {
    owner: string;
    all: boolean;
    exclude: readonly string[];
    /** Attempts the previous process recorded and never posted, when its launch log proves it (launch-log.ts). */
    neverLaunched?: ReadonlySet<string> | undefined;
  },
): Promise<number> {
  let rows: ClaimedOutboxRow[];
  try {
    rows = await claimExpiredLeases(ctx.store.db, ctx.store.engine, {
      owner: options.owner,
      now: nowIso(),
      leaseUntil: new Date(Date.now() + ctx.leaseMs).toISOString(),
      all: options.all,
      exclude: options.exclude,
    });
  } catch (error) {
    ctx.problem("lease recovery failed", error);
    return 0;
  }
  for (const row of rows) {
    try {
      await recoverOne(ctx, row, options.owner, options.all, options.neverLaunched);
    } catch (error) {
      ctx.problem("recovering an abandoned lease failed", error, row.invoice_id);
    }
  }
  return rows.length;
}

async function recoverOne(
  ctx: RecoverContext,
  row: ClaimedOutboxRow,
  owner: string,
  atStartUp: boolean,
  neverLaunched: ReadonlySet<string> | undefined,
): Promise<void> {
  const now = nowIso();
  const { actor } = ctx;
  const change = await ctx.store.db.transaction().execute(async (trx) => {
    const invoice = await readInvoice(trx, row.invoice_id);
    if (invoice === undefined || !WORKABLE_STATES.has(invoice.state)) {
      await completeOutbox(trx, row.invoice_id, owner);
      return undefined;
    }
    // What a crash mid-flight means is the sdk's decision (nextStepAfterCrash); the reason says which case.
    const open = await openAttemptIds(trx, row.invoice_id);
    const provenUnsent =
      neverLaunched !== undefined &&
      open.length > 0 &&
      open.every((attemptId) => neverLaunched.has(attemptId));
    const step = nextStepAfterCrash(open.length > 0, provenUnsent);
    if (step.next === "in_doubt") {
      const reason = atStartUp
        ? "the process posting this invoice stopped before FBR's answer was recorded; the request may have reached FBR"
        : "the lease on this post expired before FBR's answer was recorded (its process stopped or stalled); the request may have reached FBR";
      await closeOpenAttempts(trx, row.invoice_id, now, "in_doubt", reason);
      const moved = await changeInvoiceState(trx, {
        event: "recovered",
        invoice,
        to: "in_doubt",
        set: { last_reason: reason },
        audit: { actor, action: "invoice.recovered", details: { reason } },
      });
      await completeOutbox(trx, row.invoice_id, owner);
      return moved ? { from: invoice.state, to: "in_doubt" as const } : undefined;
    }
    // Nothing was sent (no attempt recorded, or one never launched): back to the queue, due now.
    const reason =
      open.length > 0
        ? "the process stopped after recording this attempt and before posting it (its launch log proves nothing was sent)"
        : "lease expired before any attempt was recorded";
    if (open.length > 0) await closeOpenAttempts(trx, row.invoice_id, now, "not_sent", reason);
    const audit = { actor, action: "invoice.recovered", details: { reason } };
    let to: InvoiceState = invoice.state;
    if (invoice.state === "submitting") {
      const moved = await changeInvoiceState(trx, { event: "recovered", invoice, to: step.next, audit });
      if (moved) to = step.next;
    } else {
      // Still queued or retrying (claimed, never marked submitting): its state stands; the recovery is noted.
      await appendAudit(trx, {
        tenantId: row.tenant_id,
        actor,
        action: audit.action,
        subject: row.invoice_id,
        details: { ...audit.details, from: invoice.state, to },
      });
    }
    await rescheduleOutbox(trx, row.invoice_id, owner, now);
    return { from: invoice.state, to };
  });
  if (change !== undefined && change.from !== change.to) {
    ctx.events.emit("invoice.state_changed", {
      tenantId: row.tenant_id,
      invoiceId: row.invoice_id,
      state: change.to,
      previousState: change.from,
    });
  }
}
