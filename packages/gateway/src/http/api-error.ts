// The one error type the HTTP layer turns into `{ error: { code, message, details?, requestId } }`, and the
// one map from an error code to its HTTP status. Services throw DomainError (../errors.ts); `asApiError`
// maps it here, once. docs/api.md lists exactly these codes (test/api-error-codes.test.ts).
import { DomainError, type DomainErrorCode } from "../errors.ts";

/** The status of every code a service may refuse with. */
const DOMAIN_STATUS: Record<DomainErrorCode, number> = {
  bad_request: 400,
  not_found: 404,
  validation_failed: 422,
  idempotency_conflict: 409,
  invalid_state: 409,
  tenant_paused: 409,
  not_accepted: 409,
  already_accepted: 409,
  commissioner_approval_required: 422,
  fbr_refused: 409,
  invalid_fbr_number: 422,
  fbr_number_in_use: 409,
  fbr_number_final: 409,
  fbr_number_unknown: 422,
  webhook_url_refused: 400,
  not_sandbox: 409,
  scenario_not_assigned: 400,
  unknown_scenario: 400,
  unknown_business_activity: 400,
  unknown_sector: 400,
  // FBR's reference API refused the tenant's token, or could not answer: a bad gateway, not the client's fault.
  fbr_unauthorised: 502,
  fbr_unavailable: 502,
};

/** Codes only the HTTP layer answers with (the request never reached a service, or the store failed). */
const HTTP_STATUS = {
  invalid_json: 400,
  json_too_deep: 400,
  unauthenticated: 401,
  forbidden: 403,
  body_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
  store_unreachable: 503,
  store_full: 503,
  store_unavailable: 503,
} as const;

/** Every error code the API can answer with, and its status. */
export const API_ERRORS: Readonly<Record<ApiErrorCode, number>> = { ...DOMAIN_STATUS, ...HTTP_STATUS };

export type ApiErrorCode = DomainErrorCode | keyof typeof HTTP_STATUS;

export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly status: number;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.status = API_ERRORS[code];
  }

  /**
   * A 4xx the web framework (or one of its plugins) raised with its own status, which no code of ours
   * names more precisely: answered as `bad_request` with that status.
   */
  static fromFramework(status: number, message: string): ApiError {
    const error = new ApiError("bad_request", message);
    (error as { status: number }).status = status;
    return error;
  }
}

/** The API's view of an error a service or the HTTP layer raised; undefined for anything else (a bug). */
export function asApiError(error: unknown): ApiError | undefined {
  if (error instanceof ApiError) return error;
  if (error instanceof DomainError) return new ApiError(error.code, error.message, error.details);
  return undefined;
}

/** What a client is told when the store cannot take writes; the store's own error is in the server log. */
export function storeFaultMessage(code: "store_full" | "store_unavailable"): string {
  return code === "store_full"
    ? "the gateway's database is out of space; the request was not completed (retry later)"
    : "the gateway's database cannot take writes right now; the request was not completed (retry later)";
}
