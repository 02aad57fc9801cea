// Errors of the gateway client: one class per kind of answer, each carrying the API's own `code`, `message`,
// `details` and `requestId` (quote the request id when asking the gateway's operator about a request).

export interface GatewayErrorInit {
  status: number | null;
  code: string;
  message: string;
  requestId: string | null;
  details?: unknown;
}

/** Any error answer from the gateway (`{ error: { code, message, details?, requestId } }`) or no answer at all. */
export class RaseedGatewayError extends Error {
  override readonly name: string = "RaseedGatewayError";
  /** HTTP status; null when no answer arrived. */
  readonly status: number | null;
  /** The API's error code, e.g. `validation_failed`, `idempotency_conflict`, `not_found`. */
  readonly code: string;
  readonly requestId: string | null;
  readonly details: unknown;
  constructor(init: GatewayErrorInit) {
    super(init.message);
    this.status = init.status;
    this.code = init.code;
    this.requestId = init.requestId;
    this.details = init.details;
  }
}

/** 400, 413, 415: the request itself is wrong. */
export class GatewayBadRequestError extends RaseedGatewayError {
  override readonly name = "GatewayBadRequestError";
}
/** 401 or 403: the key is missing, revoked, or lacks the route's scope. */
export class GatewayAuthError extends RaseedGatewayError {
  override readonly name = "GatewayAuthError";
}
/** 404. */
export class GatewayNotFoundError extends RaseedGatewayError {
  override readonly name = "GatewayNotFoundError";
}
/** 409: e.g. the idempotency key was used for another body, or the invoice is not in a state that allows it. */
export class GatewayConflictError extends RaseedGatewayError {
  override readonly name = "GatewayConflictError";
}
/** 422: the invoice breaks FBR's rules; `issues` lists every problem with FBR's codes. Nothing was queued. */
export class GatewayValidationError extends RaseedGatewayError {
  override readonly name = "GatewayValidationError";
  get issues(): { code: string; path?: string; message: string }[] {
    const details = this.details as
      | { issues?: { code: string; path?: string; message: string }[] }
      | undefined;
    return details?.issues ?? [];
  }
}
/** 429: slow down; `retryAfterSeconds` from the Retry-After header when given. */
export class GatewayRateLimitError extends RaseedGatewayError {
  override readonly name = "GatewayRateLimitError";
  retryAfterSeconds: number | null = null;
}
/** 5xx: the gateway failed; the request id finds it in the gateway's log. */
export class GatewayServerError extends RaseedGatewayError {
  override readonly name = "GatewayServerError";
}
/** No answer: connection refused or reset, or the timeout passed. The request may or may not have arrived. */
export class GatewayConnectionError extends RaseedGatewayError {
  override readonly name = "GatewayConnectionError";
}

export function gatewayErrorFor(init: GatewayErrorInit): RaseedGatewayError {
  const status = init.status;
  if (status === null) return new GatewayConnectionError(init);
  if (status === 401 || status === 403) return new GatewayAuthError(init);
  if (status === 404) return new GatewayNotFoundError(init);
  if (status === 409) return new GatewayConflictError(init);
  if (status === 422) return new GatewayValidationError(init);
  if (status === 429) return new GatewayRateLimitError(init);
  if (status >= 500) return new GatewayServerError(init);
  return new GatewayBadRequestError(init);
}
