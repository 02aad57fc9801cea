// What happens after FBR answers (or does not): ONE decision for every durable queue (the gateway's outbox,
// the POS bridge's journal). A short decision list, one comment per branch (STYLE.md principle 3), on the
// outcome table in ARCHITECTURE.md. `decideRetry` (retry.ts) is the in-call retry of a single client
// request; this is what a queue does with the outcome once the call has returned.
import type { PostOutcome } from "./outcome.ts";
import { retryDelayMs } from "./retry.ts";

/** How a durable queue retries. */
export interface QueuePolicy {
  /**
   * After this many attempts (counting the one that just ended) a safe failure gives up as `failed`.
   * Omitted: retry for as long as it takes (a till keeps every sale until FBR takes it).
   */
  maxAttempts?: number;
  /** Cap on our own backoff between attempts. FBR's Retry-After is never cut short by it. */
  maxRetryDelayMs: number;
  /** Jitter source, injected by tests; Math.random by default. */
  random?: () => number;
}

/**
 * The next step for a queued invoice or sale, named by the state it moves to (the same words in the
 * gateway's invoices.state and the bridge's journal). `fbrAnswered` says whether FBR itself answered
 * (a circuit breaker counts it as "FBR is up").
 */
export type NextStep =
  | { next: "accepted"; fbrAnswered: true; why: string }
  | { next: "rejected"; fbrAnswered: true; why: string }
  | { next: "paused"; fbrAnswered: true; why: string }
  | { next: "retrying"; fbrAnswered: false; delayMs: number; why: string }
  | { next: "failed"; fbrAnswered: false; why: string }
  | { next: "in_doubt"; fbrAnswered: false; why: string };

/**
 * The delay before a queued retry, after `attempts` attempts: our exponential backoff with full jitter
 * (retryDelayMs), capped by `maxRetryDelayMs`; FBR's Retry-After is a floor that the cap never shortens
 * (posting earlier than FBR asked only draws another 429/503 and prolongs the throttling).
 * @example queuedRetryDelayMs(3, undefined, 300_000) // somewhere in [0, 2000)
 */
export function queuedRetryDelayMs(
  attempts: number,
  retryAfterMs: number | undefined,
  maxRetryDelayMs: number,
  random: () => number = Math.random,
): number {
  const backoff = Math.min(retryDelayMs(attempts, undefined, random), Math.max(0, maxRetryDelayMs));
  return retryAfterMs !== undefined && Number.isFinite(retryAfterMs)
    ? Math.max(Math.ceil(retryAfterMs), backoff)
    : backoff;
}

/**
 * What a queue does after `outcome`, having made `attempts` attempts so far (including this one).
 * @example nextStep(outcome, invoice.attemptCount, { maxAttempts: 100, maxRetryDelayMs: 300_000 })
 */
export function nextStep(outcome: PostOutcome, attempts: number, policy: QueuePolicy): NextStep {
  switch (outcome.kind) {
    case "accepted":
      // Final: FBR issued a number.
      return { next: "accepted", fbrAnswered: true, why: `FBR issued ${outcome.invoiceNumber}` };
    case "rejected":
      // Final until a person fixes and resubmits: the same bytes would get the same answer.
      return { next: "rejected", fbrAnswered: true, why: "rejected by FBR" };
    case "unauthorised":
      // FBR is up but refuses the credentials: hold the queue those credentials serve until they change
      // (every retry would fail the same way, and may lock the token).
      return { next: "paused", fbrAnswered: true, why: outcome.reason };
    case "in_doubt":
      // FBR may have recorded it and has no idempotency key: never posted again automatically; a person
      // (or an explicit reconcile) decides.
      return { next: "in_doubt", fbrAnswered: false, why: outcome.reason };
    case "not_sent":
    case "throttled": {
      // Safe to send again: the request never reached FBR, or was turned away before it was recorded.
      if (policy.maxAttempts !== undefined && attempts >= policy.maxAttempts) {
        return {
          next: "failed",
          fbrAnswered: false,
          why: `gave up after ${attempts} attempts: ${outcome.reason}`,
        };
      }
      const retryAfterMs = outcome.kind === "throttled" ? outcome.retryAfterMs : undefined;
      const delayMs = queuedRetryDelayMs(attempts, retryAfterMs, policy.maxRetryDelayMs, policy.random);
      return { next: "retrying", fbrAnswered: false, delayMs, why: outcome.reason };
    }
  }
}

/** What a crash mid-flight leaves behind, and what recovery makes of it. */
export type CrashStep = { next: "in_doubt"; why: string } | { next: "queued"; why: string };

/**
 * Recovery after a process died (or stalled past its lease) while an item was claimed. Queues record the
 * attempt BEFORE posting, so an open attempt means the request may have been written: FBR may have the
 * invoice, and posting it again could report the sale twice, so it is in doubt. No open attempt means
 * nothing was sent: it goes back to the queue, due now. `provenUnsent`: the open attempt is known never to
 * have been posted (the gateway's launch log, written before every post and read on the same boot, does
 * not hold it), so it goes back to the queue too.
 */
export function nextStepAfterCrash(attemptOpen: boolean, provenUnsent = false): CrashStep {
  if (attemptOpen && provenUnsent) {
    return {
      next: "queued",
      why: "the process stopped after recording the attempt but before posting it; nothing was sent",
    };
  }
  return attemptOpen
    ? {
        next: "in_doubt",
        why: "the process stopped before FBR's answer was recorded; the request may have reached FBR",
      }
    : { next: "queued", why: "the process stopped before any attempt was recorded; nothing was sent" };
}
