// The gateway's domain errors: what a service refuses, named by a code, with no HTTP in it. The HTTP layer
// maps each code to its status once (http/api-error.ts API_ERRORS); the CLI and the dashboard read the same
// errors. docs/api.md lists every code the API answers with (kept in step by test/api-error-codes.test.ts).

/** Every code a service may refuse with. */
export type DomainErrorCode =
  | "bad_request"
  | "not_found"
  | "validation_failed"
  | "idempotency_conflict"
  | "invalid_state"
  | "tenant_paused"
  | "not_accepted"
  | "already_accepted"
  | "commissioner_approval_required"
  | "fbr_refused"
  | "invalid_fbr_number"
  | "fbr_number_in_use"
  | "fbr_number_final"
  | "fbr_number_unknown"
  | "webhook_url_refused"
  | "not_sandbox"
  | "scenario_not_assigned"
  | "unknown_scenario"
  | "unknown_business_activity"
  | "unknown_sector"
  | "fbr_unauthorised"
  | "fbr_unavailable";

export class DomainError extends Error {
  override readonly name: string = "DomainError";
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export const notFound = (what: string): DomainError => new DomainError("not_found", `${what} not found`);
