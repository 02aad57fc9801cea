// Settle: what FBR's answer does to the invoice. The decision is the sdk's `nextStep` (the outcome table in
// ARCHITECTURE.md); this file records it: the attempt, the outbox row, the state change through
// invoices/lifecycle.ts, its audit entry and, for an acceptance, the invoice's seal (records/seals.ts), all
// in one transaction. Settlements that meet in one group commit are written as one batch: one audit append
// (one bump of the chain head, multi-row inserts) for all of them.
import { type NextStep, nextStep, type PostOutcome } from "@raseed/sdk";
import type { Transaction } from "kysely";
import { type AuditEntryInput, appendAuditEntries } from "../audit/audit-log.ts";
import type { GatewayEvents, InvoiceStateChange } from "../events.ts";
import { changeInvoiceState, type InvoiceFields } from "../invoices/lifecycle.ts";
import type { RecordKeys } from "../records/keys.ts";
import { type SignedSeal, signSeal, writeSeal } from "../records/seals.ts";
import type { Batch, GroupCommitter } from "../store/group-commit.ts";
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
  /**
   * The seal key: an acceptance is sealed in its settlement's transaction. Without it (or when signing
   * fails) the Sealer seals the invoice after the commit, as it does every other acceptance.
   */
  recordKeys?: RecordKeys;
  /** The batch settlements of this context are written with (`settlementBatch`). */
  batch: Batch<Settlement, Settled>;
}

/** What a settlement's commit did: the state change, and the attempt recorded for its slot next, if any. */
export interface Settled {
  change: InvoiceStateChange | undefined;
  next?: ClaimedAttempt;
}

/**
 * Claims and records, in the settlements' transaction, up to one attempt for each slot they free (the
 * worker's claim, outbox/loop.ts); answers them in order. Must not throw for a failed claim: the
 * settlements must commit whatever happens to it.
 */
export type Refill = (
  trx: Transaction<Database>,
  settled: readonly Settlement[],
) => Promise<ClaimedAttempt[]>;

/** One outcome to record. */
export interface Settlement {
  attempt: ClaimedAttempt;
  outcome: PostOutcome;
  step: NextStep;
}

/**
 * The settlements of one group commit, written in `trx` in their order; answers each one's state change
 * and, with `refill`, the next attempt for its slot, recorded in the same commit: a slot waits for one
 * commit between FBR's answer and its next post, not two.
 */
export function settlementBatch(
  ctx: Pick<SettleContext, "actor" | "recordKeys" | "events">,
  refill?: Refill,
): Batch<Settlement, Settled> {
  return {
    name: "outbox.settlement",
    async write(trx, items) {
      const audit: AuditEntryInput[] = [];
      const changes: (InvoiceStateChange | undefined)[] = [];
      for (const item of items) changes.push(await applySettlement(trx, ctx, item, audit));
      const next = refill === undefined ? [] : await refill(trx, items);
      // Last: the audit append takes the tenant row's lock (PostgreSQL), held only until the commit.
      await appendAuditEntries(trx, audit);
      return changes.map((change, index) => {
        const attempt = next[index];
        return attempt === undefined ? { change } : { change, next: attempt };
      });
    },
  };
}

/**
 * Decides the next state by the outcome kind, then queues the settlement for the next group commit:
 * outcomes that arrive while a commit is running are written together in one transaction, so the
 * store's fsync rate does not cap the drain rate. Answers the attempt recorded for the slot next, if any:
 * the caller must post it.
 */
export async function settleAttempt(
  ctx: SettleContext,
  attempt: ClaimedAttempt,
  outcome: PostOutcome,
): Promise<ClaimedAttempt | undefined> {
  // The one decision (sdk nextStep, on the outcome table in ARCHITECTURE.md).
  const step = nextStep(outcome, attempt.invoice.attempt_count, ctx.policy);
  if (step.fbrAnswered) ctx.breaker.recordSuccess();
  else ctx.breaker.recordFailure();
  const { change, next } = await ctx.committer.runBatched(
    ctx.batch,
    { attempt, outcome, step },
    // Tenant order: concurrent instances lock tenant rows (audit chain heads) in the same order.
    attempt.tenant.id,
  );
  if (change !== undefined) ctx.events.emit("invoice.state_changed", change);
  return next;
}

/** Attempt record, invoice state, outbox row and audit entry for one outcome, inside `trx`. */
async function applySettlement(
  trx: Transaction<Database>,
  ctx: Pick<SettleContext, "actor" | "recordKeys" | "events">,
  { attempt, outcome, step }: Settlement,
  auditInto: AuditEntryInput[],
): Promise<InvoiceStateChange | undefined> {
  const { invoice, tenant, claimId, attemptId } = attempt;
  const { actor } = ctx;
  const next = step.next;
  const now = nowIso();
  const exchange = outcome.exchange;
  const reason = "reason" in outcome ? outcome.reason : undefined;
  const responseBody = redactBody(exchange?.responseBody);
  await finishAttempt(trx, attemptId, {
    finishedAt: now,
    outcome: outcome.kind,
    url: exchange?.url ?? undefined,
    httpStatus: exchange?.status ?? null,
    responseBody,
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
  const set = settledFields(outcome);
  if (apply) {
    stateChanged = await changeInvoiceState(
      trx,
      {
        event: leaseHeld ? "settled" : "late_answer",
        invoice: { id: invoice.id, tenant_id: tenant.id, state: currentState },
        to: next,
        set,
        audit,
      },
      auditInto,
    );
  }
  // Not applied (or moved meanwhile): the answer is still recorded, the state left as it is.
  if (!stateChanged) {
    auditInto.push({
      tenantId: tenant.id,
      actor,
      action: audit.action,
      subject: invoice.id,
      details: { ...details, from: currentState, to: currentState },
    });
    return undefined;
  }
  // Accepted under its lease: sealed in this transaction, over the row as it now stands and FBR's answer as
  // just stored. A late answer is left to the Sealer, which reads what the store holds after the commit.
  let sealed = false;
  if (next === "accepted" && leaseHeld && ctx.recordKeys !== undefined) {
    let signed: SignedSeal | undefined;
    try {
      signed = signSeal(ctx.recordKeys, { ...invoice, ...set, state: next }, tenant, responseBody);
    } catch (error) {
      // Never lose FBR's answer over a seal: the Sealer retries after the commit and reports its failure.
      ctx.events.emit("worker.problem", {
        message: "sealing an accepted invoice failed",
        error,
        invoiceId: invoice.id,
      });
    }
    if (signed !== undefined) sealed = await writeSeal(trx, signed, auditInto);
  }
  return {
    tenantId: tenant.id,
    invoiceId: invoice.id,
    state: next,
    previousState: leaseHeld ? invoice.state : currentState,
    fbrInvoiceNumber: outcome.kind === "accepted" ? outcome.invoiceNumber : null,
    ...(sealed ? { sealed } : {}),
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
