// Settle: what FBR's answer does to the invoice. The decision is the sdk's `nextStep` (the outcome table in
// ARCHITECTURE.md); this file records it: the attempt, the outbox row, the state change through
// invoices/lifecycle.ts, its audit entry and, for an acceptance, the invoice's seal (records/seals.ts), all
// in one transaction. Settlements that meet in one group commit are written as one batch: one audit append
// (one bump of the chain head, multi-row inserts) for all of them.
import { type NextStep, nextStep, type PostOutcome } from "@raseed/sdk";
import type { Transaction } from "kysely";
import { type AuditEntryInput, appendAuditEntries } from "../audit/audit-log.ts";
import type { GatewayEvents, InvoiceStateChange } from "../events.ts";
import { changeInvoiceStates, type InvoiceFields, type StateChangeRequest } from "../invoices/lifecycle.ts";
import type { RecordKeys } from "../records/keys.ts";
import { type SignedSeal, signSealOffLoop, writeSeals } from "../records/seals.ts";
import type { Batch, GroupCommitter } from "../store/group-commit.ts";
import { nowIso } from "../store/ids.ts";
import type { Database, InvoiceState } from "../store/schema.ts";
import type { CircuitBreaker } from "./circuit-breaker.ts";
import { type ClaimedAttempt, redactBody } from "./dispatch.ts";
import {
  completeOutboxRows,
  dropOutbox,
  finishAttempts,
  pauseTenantOutbox,
  readInvoiceStates,
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
  /** Settlements join their group commit in the order FBR answered, whatever order seals are signed in. */
  answerOrder: AnswerOrder;
}

/** Hands out prepared settlements in the order they were asked for. */
export class AnswerOrder {
  #last: Promise<unknown> = Promise.resolve();

  /** Answers `prepared` once every settlement asked for before it has been answered. */
  inTurn<T>(prepared: Promise<T>): Promise<T> {
    // Its failure reaches the caller in turn; it is not an unhandled rejection meanwhile.
    prepared.catch(() => undefined);
    const turn = this.#last.then(() => prepared);
    this.#last = turn.catch(() => undefined);
    return turn;
  }
}

/** What a settlement's commit did: the state change, and the attempts recorded with it for the worker to post. */
export interface Settled {
  change: InvoiceStateChange | undefined;
  next: ClaimedAttempt[];
}

/**
 * Claims and records, in the settlements' transaction, attempts for the slots they free (the worker's
 * claim, outbox/loop.ts). Must not throw for a failed claim: the settlements must commit whatever happens
 * to it.
 */
export type Refill = (
  trx: Transaction<Database>,
  settled: readonly Settlement[],
) => Promise<ClaimedAttempt[]>;

/** One outcome to record, with what can be worked out before its group's transaction (`prepareSettlement`). */
export interface Settlement {
  attempt: ClaimedAttempt;
  outcome: PostOutcome;
  step: NextStep;
  /** FBR's answer as the attempt stores it (secrets redacted). */
  responseBody: string | null;
  /** The invoice columns the outcome sets beside its state. */
  set: InvoiceFields;
  /** An acceptance's seal, signed beforehand: written only if the settlement applies it under its lease. */
  seal?: SignedSeal;
}

/**
 * A settlement's work that needs no database, done before it joins a group: the group's transaction holds
 * the store's one writer (SQLite) while it runs, and signing a seal (~0.1-0.2 ms) there made every
 * settlement in the group, and the next group, wait for it (issue 11). The signature itself is made in
 * libuv's thread pool.
 */
export async function prepareSettlement(
  ctx: Pick<SettleContext, "recordKeys" | "events">,
  attempt: ClaimedAttempt,
  outcome: PostOutcome,
  step: NextStep,
): Promise<Settlement> {
  const responseBody = redactBody(outcome.exchange?.responseBody);
  const set = settledFields(outcome);
  const settlement: Settlement = { attempt, outcome, step, responseBody, set };
  if (outcome.kind !== "accepted" || step.next !== "accepted" || ctx.recordKeys === undefined)
    return settlement;
  const { invoice, tenant } = attempt;
  try {
    // Over the row as the settlement will leave it and FBR's answer as the attempt stores it.
    settlement.seal = await signSealOffLoop(
      ctx.recordKeys,
      { ...invoice, ...set, state: step.next },
      tenant,
      responseBody,
    );
  } catch (error) {
    // Never lose FBR's answer over a seal: the Sealer retries after the commit and reports its failure.
    ctx.events.emit("worker.problem", {
      message: "sealing an accepted invoice failed",
      error,
      invoiceId: invoice.id,
    });
  }
  return settlement;
}

/**
 * The settlements of one group commit, written in `trx` in their order; answers each one's state change
 * and, with `refill`, the attempts recorded in the same commit (all with the first settlement): a slot
 * waits for one commit between FBR's answer and its next post, not two.
 */
export function settlementBatch(
  ctx: Pick<SettleContext, "actor" | "recordKeys" | "events">,
  refill?: Refill,
): Batch<Settlement, Settled> {
  return {
    name: "outbox.settlement",
    async write(trx, items) {
      const audit: AuditEntryInput[] = [];
      const changes = await applySettlements(trx, ctx, items, audit);
      const next = refill === undefined ? [] : await refill(trx, items);
      // Last: the audit append takes the tenant row's lock (PostgreSQL), held only until the commit.
      await appendAuditEntries(trx, audit);
      return changes.map((change, index) => ({ change, next: index === 0 ? next : [] }));
    },
  };
}

/**
 * The one decision on an outcome (sdk nextStep, on the outcome table in ARCHITECTURE.md), told to the
 * breaker at once: the worker asks it before the slot's next post, while the settlement is still written.
 * `fromFbr` false: the outcome is the gateway's own (nothing was posted), which says nothing of FBR.
 */
export function decideSettlement(
  ctx: Pick<SettleContext, "breaker" | "policy">,
  attempt: ClaimedAttempt,
  outcome: PostOutcome,
  fromFbr = true,
): NextStep {
  const step = nextStep(outcome, attempt.invoice.attempt_count, ctx.policy);
  if (!fromFbr) return step;
  if (step.fbrAnswered) ctx.breaker.recordSuccess();
  else ctx.breaker.recordFailure();
  return step;
}

/**
 * With `step` decided (decideSettlement), queues the settlement for the next group commit:
 * outcomes that arrive while a commit is running are written together in one transaction, so the
 * store's fsync rate does not cap the drain rate. Answers the attempts recorded with it, if any: the caller
 * must post them.
 */
export async function settleAttempt(
  ctx: SettleContext,
  attempt: ClaimedAttempt,
  outcome: PostOutcome,
  step: NextStep,
): Promise<ClaimedAttempt[]> {
  const settlement = await ctx.answerOrder.inTurn(prepareSettlement(ctx, attempt, outcome, step));
  const { change, next } = await ctx.committer.runBatched(
    ctx.batch,
    settlement,
    // Tenant order: concurrent instances lock tenant rows (audit chain heads) in the same order.
    attempt.tenant.id,
  );
  if (change !== undefined) ctx.events.emit("invoice.state_changed", change);
  return next;
}

/** One settlement as the group's statements found it. */
interface Settling {
  held: boolean;
  currentState: InvoiceState;
  details: Record<string, unknown>;
  /** The state change asked for, if FBR's answer is applied. */
  change: StateChangeRequest | undefined;
}

/**
 * Attempt records, invoice states, outbox rows, seals and audit entries for a group's outcomes, inside `trx`:
 * one statement per kind for the whole group (closing the attempts, deleting the rows, reading and changing
 * the states, inserting the seals), since a statement per invoice cost the worker more than its row (issue
 * 11). The audit entries go to `auditInto` in the order one settlement after another would write them.
 */
async function applySettlements(
  trx: Transaction<Database>,
  ctx: Pick<SettleContext, "actor" | "recordKeys" | "events">,
  items: readonly Settlement[],
  auditInto: AuditEntryInput[],
): Promise<(InvoiceStateChange | undefined)[]> {
  const { actor } = ctx;
  const now = nowIso();
  await finishAttempts(
    trx,
    items.map(({ attempt, outcome, responseBody }) => {
      const exchange = outcome.exchange;
      return {
        attemptId: attempt.attemptId,
        finishedAt: now,
        outcome: outcome.kind,
        url: exchange?.url ?? undefined,
        httpStatus: exchange?.status ?? null,
        responseBody,
        durationMs: exchange !== undefined ? Math.round(exchange.durationMs) : null,
        reason: ("reason" in outcome ? outcome.reason : undefined) ?? null,
      };
    }),
  );

  // The outbox rows: done for good (all in one statement), back to the queue, or held with the tenant's.
  const completes = ({ attempt, step }: Settlement) =>
    step.next !== "retrying" && (step.next !== "paused" || attempt.invoice.channel === "ims");
  const completed = await completeOutboxRows(
    trx,
    items.filter(completes).map(({ attempt }) => ({ invoiceId: attempt.invoice.id, owner: attempt.claimId })),
  );
  const leaseHeld: boolean[] = [];
  for (const item of items) {
    const { attempt, outcome, step } = item;
    const { invoice, tenant, claimId } = attempt;
    if (completes(item)) {
      // An IMS sale refused for its POS terminal's token is held alone (the tenant's DI queue and other
      // tills go on); `raseed tenant add-pos` with a new token puts it back on the queue.
      leaseHeld.push(completed.has(invoice.id));
    } else if (step.next === "retrying") {
      const dueAt = new Date(Date.now() + step.delayMs).toISOString();
      leaseHeld.push(await rescheduleOutbox(trx, invoice.id, claimId, dueAt));
    } else {
      const held = await rescheduleOutbox(trx, invoice.id, claimId, now);
      const reason = "reason" in outcome ? outcome.reason : undefined;
      // Only FBR's refusal of a post pauses the seller. An attempt withdrawn unsent (not_sent) is held with
      // a seller that post's settlement paused already, for FBR's reason, which is kept.
      if (held && outcome.kind !== "not_sent") {
        await pauseTenantOutbox(trx, tenant.id, reason ?? "unauthorised", actor);
      }
      leaseHeld.push(held);
    }
  }

  // A lost lease means someone else settled this invoice meanwhile (recovery marked it in_doubt, or a
  // person abandoned or resubmitted it). FBR's late answer is still the truth about this post: an
  // accepted number is recorded whatever the state now (throwing it away would leave a reported sale
  // looking unreported), and a rejection is recorded while nobody has decided anything else (in_doubt).
  const states = await readInvoiceStates(
    trx,
    items.map(({ attempt }) => attempt.invoice.id),
  );
  const settling: Settling[] = [];
  const changes: StateChangeRequest[] = [];
  for (const [index, { attempt, outcome, step, set }] of items.entries()) {
    const { invoice, tenant, claimId, attemptId } = attempt;
    const held = leaseHeld[index] === true;
    const currentState = states.get(invoice.id);
    if (currentState === undefined) throw new Error(`outbox: invoice ${invoice.id} not found`);
    let apply = held;
    if (
      !held &&
      outcome.kind === "accepted" &&
      currentState !== "accepted" &&
      // Cancelled was accepted first: its number is already recorded, and a person cancelled it in IRIS.
      currentState !== "cancelled"
    ) {
      apply = true;
      // Reported now: nothing is left to post, whoever holds the row (a resubmission must not post again).
      await dropOutbox(trx, invoice.id);
    } else if (!held && outcome.kind === "rejected" && currentState === "in_doubt") {
      apply = true;
    }
    const exchange = outcome.exchange;
    const details = {
      attemptId,
      claimId,
      outcome: outcome.kind,
      leaseLost: !held,
      httpStatus: exchange?.status ?? null,
      durationMs: exchange !== undefined ? Math.round(exchange.durationMs) : null,
      // Always kept here, even when the invoice already had a number: the audit shows every FBR acceptance.
      fbrInvoiceNumber: outcome.kind === "accepted" ? outcome.invoiceNumber : null,
      errorCodes: outcome.kind === "rejected" ? outcome.errors.map((e) => e.code) : undefined,
      reason: "reason" in outcome ? outcome.reason : undefined,
    };
    const audit = { actor, action: "fbr.post", details };
    const change: StateChangeRequest = {
      event: held ? "settled" : "late_answer",
      invoice: { id: invoice.id, tenant_id: tenant.id, state: currentState },
      to: step.next,
      set,
      audit,
    };
    settling.push({ held, currentState, details, change: apply ? change : undefined });
    if (apply) changes.push(change);
  }
  const moved = await changeInvoiceStates(trx, changes);
  const entries = new Map(changes.map((change, index) => [change, moved[index]]));

  // Accepted under its lease: sealed in this transaction (signed before it, over the row as it now stands and
  // FBR's answer as just stored). A late answer is left to the Sealer, which reads what the store holds after
  // the commit.
  const signed = items.map(({ seal }, index) => {
    const { held, change } = settling[index] as Settling;
    const stateChanged = change !== undefined && entries.get(change) !== undefined;
    return stateChanged && held ? seal : undefined;
  });
  const toSeal = signed.filter((seal) => seal !== undefined);
  const sealEntries = new Map(toSeal.map((seal, index) => [seal, index]));
  const sealAudit = await writeSeals(trx, toSeal);

  return items.map(({ attempt, outcome, step }, index) => {
    const { invoice, tenant } = attempt;
    const { held, currentState, details, change } = settling[index] as Settling;
    const entry = change === undefined ? undefined : entries.get(change);
    // Not applied (or moved meanwhile): the answer is still recorded, the state left as it is.
    if (entry === undefined) {
      auditInto.push({
        tenantId: tenant.id,
        actor,
        action: "fbr.post",
        subject: invoice.id,
        details: { ...details, from: currentState, to: currentState },
      });
      return undefined;
    }
    auditInto.push(entry);
    const seal = signed[index];
    const sealEntry = seal === undefined ? undefined : sealAudit[sealEntries.get(seal) as number];
    if (sealEntry !== undefined) auditInto.push(sealEntry);
    return {
      tenantId: tenant.id,
      invoiceId: invoice.id,
      state: step.next,
      previousState: held ? invoice.state : currentState,
      fbrInvoiceNumber: outcome.kind === "accepted" ? outcome.invoiceNumber : null,
      ...(sealEntry !== undefined ? { sealed: true } : {}),
    };
  });
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
