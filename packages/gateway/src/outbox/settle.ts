// Settle: what FBR's answer does to the invoice. The decision is the sdk's `nextStep` (the outcome table in
// ARCHITECTURE.md); this file records it: the attempt, the outbox row, the state change through
// invoices/lifecycle.ts and its audit entry, all in one transaction.
import { type NextStep, nextStep, type PostOutcome } from "@raseed/sdk";
import type { Transaction } from "kysely";
import { appendAudit } from "../audit/audit-log.ts";
import type { GatewayEvents, InvoiceStateChange } from "../events.ts";
import { changeInvoiceState, type InvoiceFields } from "../invoices/lifecycle.ts";
import type { GroupCommitter } from "../store/group-commit.ts";
import { nowIso } from "../store/ids.ts";
import type { Database } from "../store/schema.ts";
import type { CircuitBreaker } from "./circuit-breaker.ts";
import { type ClaimedAttempt, redactBody } from "./dispatch.ts";
import {
  completeOutbox,
  dropOutbox,
  finishAttempt,
  pauseTenantOutbox,
  readInvoiceState,
  rescheduleOutbox,
} from "./outbox-sql.ts";

export interface SettleContext {
  committer: GroupCommitter;
  events: GatewayEvents;
  breaker: CircuitBreaker;
  /** The audit actor, `worker:<instance id>`. */
  actor: string;
  policy: { maxAttempts: number; maxRetryDelayMs: number };
}

/**
 * Decides the next state by the outcome kind, then queues the settlement for the next group commit:
 * outcomes that arrive while a commit is running are written together in one transaction, so the
 * store's fsync rate does not cap the drain rate.
 */
export async function settleAttempt(
  ctx: SettleContext,
  attempt: ClaimedAttempt,
  outcome: PostOutcome,
): Promise<void> {
  // The one decision (sdk nextStep, on the outcome table in ARCHITECTURE.md).
  const step = nextStep(outcome, attempt.invoice.attempt_count, ctx.policy);
  if (step.fbrAnswered) ctx.breaker.recordSuccess();
  else ctx.breaker.recordFailure();
  const change = await ctx.committer.run(
    (trx) => applySettlement(trx, ctx.actor, attempt, outcome, step),
    // Tenant order: concurrent instances lock tenant rows (audit chain heads) in the same order.
    attempt.tenant.id,
  );
  if (change !== undefined) ctx.events.emit("invoice.state_changed", change);
}

/** Attempt record, invoice state, outbox row and audit entry for one outcome, inside `trx`. */
async function applySettlement(
  trx: Transaction<Database>,
  actor: string,
  { invoice, tenant, claimId, attemptId }: ClaimedAttempt,
  outcome: PostOutcome,
  step: NextStep,
): Promise<InvoiceStateChange | undefined> {
  const next = step.next;
  const now = nowIso();
  const exchange = outcome.exchange;
  const reason = "reason" in outcome ? outcome.reason : undefined;
  await finishAttempt(trx, attemptId, {
    finishedAt: now,
    outcome: outcome.kind,
    url: exchange?.url ?? undefined,
    httpStatus: exchange?.status ?? null,
    responseBody: redactBody(exchange?.responseBody),
    durationMs: exchange !== undefined ? Math.round(exchange.durationMs) : null,
    reason: reason ?? null,
  });

  let leaseHeld: boolean;
  if (step.next === "retrying") {
    const dueAt = new Date(Date.now() + step.delayMs).toISOString();
    leaseHeld = await rescheduleOutbox(trx, invoice.id, claimId, dueAt);
  } else if (next === "paused" && invoice.channel === "ims") {
    // FBR refused one POS terminal's token: hold that sale only (the tenant's DI queue and other tills
    // go on); `raseed tenant add-pos` with a new token puts it back on the queue.
    leaseHeld = await completeOutbox(trx, invoice.id, claimId);
  } else if (next === "paused") {
    leaseHeld = await rescheduleOutbox(trx, invoice.id, claimId, now);
    if (leaseHeld) await pauseTenantOutbox(trx, tenant.id, reason ?? "unauthorised", actor);
  } else {
    leaseHeld = await completeOutbox(trx, invoice.id, claimId);
  }

  // A lost lease means someone else settled this invoice meanwhile (recovery marked it in_doubt, or a
  // person abandoned or resubmitted it). FBR's late answer is still the truth about this post: an
  // accepted number is recorded whatever the state now (throwing it away would leave a reported sale
  // looking unreported), and a rejection is recorded while nobody has decided anything else (in_doubt).
  const currentState = await readInvoiceState(trx, invoice.id);
  let apply = leaseHeld;
  if (
    !leaseHeld &&
    outcome.kind === "accepted" &&
    currentState !== "accepted" &&
    // Cancelled was accepted first: its number is already recorded, and a person cancelled it in IRIS.
    currentState !== "cancelled"
  ) {
    apply = true;
    // Reported now: nothing is left to post, whoever holds the row (a resubmission must not post again).
    await dropOutbox(trx, invoice.id);
  } else if (!leaseHeld && outcome.kind === "rejected" && currentState === "in_doubt") {
    apply = true;
  }
  const details = {
    attemptId,
    claimId,
    outcome: outcome.kind,
    leaseLost: !leaseHeld,
    httpStatus: exchange?.status ?? null,
    durationMs: exchange !== undefined ? Math.round(exchange.durationMs) : null,
    // Always kept here, even when the invoice already had a number: the audit shows every FBR acceptance.
    fbrInvoiceNumber: outcome.kind === "accepted" ? outcome.invoiceNumber : null,
    errorCodes: outcome.kind === "rejected" ? outcome.errors.map((e) => e.code) : undefined,
    reason,
  };
  const audit = { actor, action: "fbr.post", details };
  let stateChanged = false;
  if (apply) {
    stateChanged = await changeInvoiceState(trx, {
      event: leaseHeld ? "settled" : "late_answer",
      invoice: { id: invoice.id, tenant_id: tenant.id, state: currentState },
      to: next,
      set: settledFields(outcome),
      audit,
    });
  }
  // Not applied (or moved meanwhile): the answer is still recorded, the state left as it is.
  if (!stateChanged) {
    await appendAudit(trx, {
      tenantId: tenant.id,
      actor,
      action: audit.action,
      subject: invoice.id,
      details: { ...details, from: currentState, to: currentState },
    });
    return undefined;
  }
  return {
    tenantId: tenant.id,
    invoiceId: invoice.id,
    state: next,
    previousState: leaseHeld ? invoice.state : currentState,
    fbrInvoiceNumber: outcome.kind === "accepted" ? outcome.invoiceNumber : null,
  };
}

/** The invoice columns an outcome sets beside its state. */
function settledFields(outcome: PostOutcome): InvoiceFields {
  if (outcome.kind === "accepted") {
    return {
      fbr_invoice_number: outcome.invoiceNumber,
      fbr_number_source: "fbr",
      fbr_dated: outcome.dated ?? null,
      item_numbers: JSON.stringify(outcome.itemNumbers),
      errors: null,
      last_reason: null,
    };
  }
  if (outcome.kind === "rejected") {
    return {
      errors: JSON.stringify(outcome.errors),
      last_reason: outcome.errors
        .map((e) => `${e.code}: ${e.message}`)
        .join("; ")
        .slice(0, 2000),
    };
  }
  return { last_reason: outcome.reason };
}
