// DI and IMS clients with THE outcome classification (ARCHITECTURE.md) and the safe-retry policy.
import { raseedErrorFromOutcome } from "../errors/classes.ts";
import type { PostOutcome } from "./outcome.ts";

export {
  FBR_CANCELLATION_WINDOW_HOURS,
  type FbrCancellationPort,
  type FbrCancellationRequest,
  type FbrCancellationResult,
} from "./cancellation.ts";
export type { ClientAttemptEvent, FbrClientOptions, FbrEnvironment, FetchLike } from "./clients.ts";
export { DI_PATHS, DiClient, FBR_GATEWAY_URL, IMS_PATHS, IMS_SANDBOX_URL, ImsClient } from "./clients.ts";
export {
  IMS_AUTHORITIES,
  type ImsAuthority,
  type ImsAuthorityFacts,
  imsAuthorityOfUrl,
} from "./ims-authorities.ts";
export type { CrashStep, NextStep, QueuePolicy } from "./next-step.ts";
export { nextStep, nextStepAfterCrash, queuedRetryDelayMs } from "./next-step.ts";
export type { Exchange, PostEvidence, PostOutcome, PostOutcomeError, PostOutcomeKind } from "./outcome.ts";
export {
  classifyPostOutcome,
  classifyTransportFailure,
  MAX_RECORDED_BODY_CHARS,
  parseRetryAfter,
} from "./outcome.ts";
export type { RetryDecision } from "./retry.ts";
export { decideRetry, RETRY_BASE_DELAY_MS, RETRY_MAX_DELAY_MS, retryDelayMs } from "./retry.ts";
export type { OAuth2ClientCredentialsOptions, TokenProvider } from "./token-provider.ts";
export { oauth2ClientCredentials, TokenProviderError } from "./token-provider.ts";

/**
 * For callers who prefer exceptions: returns the accepted outcome, or throws the error class the factory
 * picks for every other kind (FbrRejectedError, InDoubtSubmissionError, ...).
 * @example const { invoiceNumber } = assertAccepted(await client.postInvoice(invoice));
 */
export function assertAccepted(outcome: PostOutcome): Extract<PostOutcome, { kind: "accepted" }> {
  if (outcome.kind === "accepted") return outcome;
  throw raseedErrorFromOutcome(outcome);
}
