// Retry policy: a short decision list, one comment per branch (STYLE.md principle 3). Only the outcomes
// ARCHITECTURE.md calls safe are retried; everything else goes back to the caller on the first answer.
import type { PostOutcome } from "./outcome.ts";

/** First backoff ceiling; the ceiling doubles per attempt. */
export const RETRY_BASE_DELAY_MS = 500;
/** The backoff ceiling never grows beyond this. */
export const RETRY_MAX_DELAY_MS = 30_000;

/**
 * How long to wait before retry number `attempt` (1 = the first retry). With a `Retry-After` from FBR that
 * value is used as it is (the gateway knows when it will let us in again). Otherwise "full jitter":
 * a uniformly random delay between 0 and min(30 s, 0.5 s × 2^(attempt-1)), so many tills coming back
 * online at once do not all hit FBR in the same instant.
 * @example retryDelayMs(3) // somewhere in [0, 2000)
 */
export function retryDelayMs(
  attempt: number,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs))
    return Math.max(0, Math.ceil(retryAfterMs));
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  const ceiling = Math.min(RETRY_MAX_DELAY_MS, RETRY_BASE_DELAY_MS * 2 ** Math.min(exponent, 30));
  const fraction = Math.min(Math.max(random(), 0), 1);
  return Math.floor(fraction * ceiling);
}

export type RetryDecision = { retry: true; delayMs: number } | { retry: false; why: string };

/**
 * Whether the client itself should send the same request again after `outcome`, having made
 * `attemptsMade` attempts so far.
 */
export function decideRetry(
  outcome: PostOutcome,
  attemptsMade: number,
  policy: { maxRetries: number; maxRetryWaitMs: number; random?: () => number },
): RetryDecision {
  switch (outcome.kind) {
    case "accepted":
      // Done: FBR issued a number.
      return { retry: false, why: "accepted" };
    case "rejected":
      // Final until a person fixes the invoice; sending it again gets the same answer.
      return { retry: false, why: "rejected by FBR" };
    case "unauthorised":
      // The token is wrong or not subscribed; every retry would fail the same way (and may lock it).
      return { retry: false, why: "credentials refused" };
    case "in_doubt":
      // FBR may have recorded the invoice and has no idempotency key: a retry could report the sale twice.
      return { retry: false, why: "in doubt: never retried automatically" };
    case "not_sent":
    case "throttled": {
      // Safe: the request never reached FBR (not_sent) or was turned away at the gateway (throttled).
      if (attemptsMade > policy.maxRetries) return { retry: false, why: "retries exhausted" };
      const retryAfterMs = outcome.kind === "throttled" ? outcome.retryAfterMs : undefined;
      // A Retry-After longer than we are willing to block for goes back to the caller (an outbox waits better).
      if (retryAfterMs !== undefined && retryAfterMs > policy.maxRetryWaitMs) {
        return { retry: false, why: `Retry-After ${retryAfterMs} ms exceeds ${policy.maxRetryWaitMs} ms` };
      }
      return { retry: true, delayMs: retryDelayMs(attemptsMade, retryAfterMs, policy.random) };
    }
  }
}
