// One error class per kind of failure (STYLE.md principle 1), chosen by one factory from a post outcome.
// Each class carries what is known (code, HTTP status, FBR codes, Retry-After, the redacted exchange) and a
// link to the page that explains what to do.
import type { Exchange, PostOutcome } from "../client/outcome.ts";
import type { ReferenceErrorCode } from "../reference/client.ts";
import type { ScenarioLookupErrorCode } from "../scenarios/errors.ts";
import { describeFbrError } from "./catalogue.ts";
import { redactSecrets } from "./redaction.ts";

/** Where the client failure kinds are explained (repo-relative, so it works in a checkout and on a forge). */
export const CLIENT_OUTCOMES_DOCS = "packages/sdk/src/client/README.md";
/** The generated FBR code reference. */
export const FBR_ERRORS_DOCS = "docs/errors.md";
/**
 * The row of one FBR code in the generated reference: every row carries an anchor named after its code
 * (`docs/errors.md#0046`, `docs/errors.md#RIMS03`), so a rejection or a validation issue can link its fix.
 */
export function fbrErrorDocsUrl(code: string): string {
  return `${FBR_ERRORS_DOCS}#${code}`;
}
/** Where the errors of the offline areas (model, tax, reference, scenarios) are explained. */
export const SDK_ERRORS_DOCS = "packages/sdk/README.md#errors";

/** Raseed's own machine-readable failure codes (FBR's four-digit codes live in the catalogue). */
export type RaseedErrorCode =
  | "fbr_rejected"
  | "fbr_unauthorised"
  | "fbr_throttled"
  | "fbr_unavailable"
  | "in_doubt"
  | "not_sent"
  | "wire_format"
  | "qr_capacity"
  | "invalid_option"
  // The offline areas: a draft the builders refuse, bad numeric input to tax, an HS code with no PCT code.
  | "invoice_draft"
  | "tax_amount"
  | "invalid_hs_code"
  // Each area that owns more than one code keeps its union beside the class that throws it.
  | ReferenceErrorCode
  | ScenarioLookupErrorCode;

export interface RaseedErrorOptions {
  details?: unknown;
  /** HTTP status FBR answered with, when there was an answer. */
  status?: number;
  docsUrl?: string;
  cause?: unknown;
}

/**
 * The base of every error Raseed throws. `details` is always passed through `redactSecrets`, so an error can
 * be logged or returned to an API caller as it is.
 */
export class RaseedError extends Error {
  readonly code: RaseedErrorCode;
  readonly details?: unknown;
  readonly status?: number;
  readonly docsUrl: string;

  constructor(code: RaseedErrorCode, message: string, options: RaseedErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: redactSecrets(options.cause) });
    this.name = new.target.name;
    this.code = code;
    if (options.details !== undefined) this.details = redactSecrets(options.details);
    if (options.status !== undefined) this.status = options.status;
    this.docsUrl = options.docsUrl ?? `${CLIENT_OUTCOMES_DOCS}#${code.replace(/_/g, "-")}`;
  }

  /** A plain, already-redacted object for logs and HTTP error envelopes. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      ...(this.status !== undefined ? { status: this.status } : {}),
      ...(this.details !== undefined ? { details: this.details } : {}),
      docsUrl: this.docsUrl,
    };
  }
}

/** One FBR error as the outcome carries it. */
export interface FbrErrorEntry {
  code: string;
  message: string;
  level: "header" | "item";
  item?: number;
}

/** FBR answered and refused the invoice (DI header or item "01", IMS Code other than "100"). Final. */
export class FbrRejectedError extends RaseedError {
  readonly errors: readonly FbrErrorEntry[];
  constructor(errors: readonly FbrErrorEntry[], exchange?: Exchange) {
    const first = errors[0];
    const summary = errors
      .slice(0, 3)
      .map(
        (error) =>
          `${error.code}${error.item !== undefined ? ` (item ${error.item})` : ""}: ${error.message}`,
      )
      .join("; ");
    const more = errors.length > 3 ? ` and ${errors.length - 3} more` : "";
    super("fbr_rejected", `FBR rejected the invoice: ${summary}${more}`, {
      details: { errors, exchange },
      ...(exchange?.status !== undefined ? { status: exchange.status } : {}),
      // The first code's row in the generated reference (its fix); the rest are listed in `errors`. A code
      // outside the catalogue (HTTP400 for a malformed request) has no row: the outcome's page explains it.
      docsUrl:
        first !== undefined && describeFbrError(first.code) !== undefined
          ? fbrErrorDocsUrl(first.code)
          : `${CLIENT_OUTCOMES_DOCS}#fbr-rejected`,
    });
    this.errors = errors;
  }
}

/** 401/403 or a WSO2 9009xx fault: the token is missing, wrong, expired or not subscribed to this API. */
export class FbrUnauthorisedError extends RaseedError {
  readonly faultCode?: number;
  constructor(reason: string, faultCode?: number, exchange?: Exchange) {
    super("fbr_unauthorised", `FBR refused the credentials: ${reason}`, {
      details: { faultCode, exchange },
      ...(exchange?.status !== undefined ? { status: exchange.status } : {}),
    });
    if (faultCode !== undefined) this.faultCode = faultCode;
  }
}

/** 429 or a WSO2 throttling fault: safe to send again after `retryAfterMs` (or a backoff). */
export class FbrThrottledError extends RaseedError {
  readonly retryAfterMs?: number;
  constructor(
    reason: string,
    retryAfterMs?: number,
    exchange?: Exchange,
    code: RaseedErrorCode = "fbr_throttled",
  ) {
    const wait = retryAfterMs === undefined ? "" : ` (retry after ${Math.ceil(retryAfterMs / 1000)} s)`;
    super(code, `FBR is throttling requests: ${reason}${wait}`, {
      details: { retryAfterMs, exchange },
      ...(exchange?.status !== undefined ? { status: exchange.status } : {}),
    });
    if (retryAfterMs !== undefined) this.retryAfterMs = retryAfterMs;
  }
}

/** 503, or a path FBR's gateway does not serve (404/405/3xx): FBR is unavailable to us; like throttling, safe to send again later. */
export class FbrUnavailableError extends FbrThrottledError {
  constructor(reason: string, retryAfterMs?: number, exchange?: Exchange) {
    super(reason, retryAfterMs, exchange, "fbr_unavailable");
    this.message = `FBR is unavailable: ${reason}${retryAfterMs === undefined ? "" : ` (retry after ${Math.ceil(retryAfterMs / 1000)} s)`}`;
  }
}

/**
 * The request may have reached FBR but no usable answer came back (timeout or reset after the body was
 * written, a 5xx, an undecodable body). FBR has no idempotency key, so sending again could report the sale
 * twice: a person or an explicit reconcile step must decide. Never retried automatically.
 */
export class InDoubtSubmissionError extends RaseedError {
  constructor(reason: string, exchange?: Exchange) {
    super("in_doubt", `The submission is in doubt (FBR may have recorded it): ${reason}`, {
      details: { exchange },
      ...(exchange?.status !== undefined ? { status: exchange.status } : {}),
    });
  }
}

/** The request never left this machine (DNS, connection refused, TLS failure): safe to send again. */
export class NotSentError extends RaseedError {
  constructor(reason: string, exchange?: Exchange) {
    super("not_sent", `The request was not sent to FBR: ${reason}`, { details: { exchange } });
  }
}

/** A value does not match the wire shape it claims to be (our input, or a reply we must read). */
export class WireFormatError extends RaseedError {
  readonly issues: readonly { path: string; message: string }[];
  constructor(what: string, issues: readonly { path: string; message: string }[]) {
    const first = issues[0];
    const where =
      first === undefined ? "" : `: ${first.path === "" ? "(root)" : first.path}: ${first.message}`;
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : "";
    super("wire_format", `${what} does not match the FBR wire format${where}${more}`, {
      details: { issues },
    });
    this.issues = issues;
  }
}

/** The text cannot be encoded in a version 2 (25×25) QR code, as FBR's spec v1.12 §6 requires. */
export class QrCapacityError extends RaseedError {
  readonly maxLength: number;
  readonly length: number;
  constructor(message: string, length: number, maxLength: number) {
    super("qr_capacity", message, { details: { length, maxLength } });
    this.length = length;
    this.maxLength = maxLength;
  }
}

/** A constructor or function option is missing or out of range. */
export class InvalidOptionError extends RaseedError {
  constructor(message: string) {
    super("invalid_option", message);
  }
}

/**
 * THE factory: the error class for an outcome, or undefined when the outcome is `accepted`.
 * Callers that prefer exceptions to a discriminated union use this (see `assertAccepted`).
 */
export function raseedErrorFromOutcome(outcome: PostOutcome): RaseedError | undefined {
  switch (outcome.kind) {
    case "accepted":
      return undefined;
    case "rejected":
      return new FbrRejectedError(outcome.errors, outcome.exchange);
    case "unauthorised":
      return new FbrUnauthorisedError(outcome.reason, outcome.faultCode, outcome.exchange);
    case "throttled":
      // 429 is FBR saying "slow down"; a 503, or a path FBR's gateway does not serve (404/405/3xx: a wrong
      // FBR URL), is FBR being unavailable to us. Both are safe to send again.
      return outcome.exchange.status !== 429
        ? new FbrUnavailableError(outcome.reason, outcome.retryAfterMs, outcome.exchange)
        : new FbrThrottledError(outcome.reason, outcome.retryAfterMs, outcome.exchange);
    case "not_sent":
      return new NotSentError(outcome.reason, outcome.exchange);
    case "in_doubt":
      return new InDoubtSubmissionError(outcome.reason, outcome.exchange);
  }
}
