// One error envelope for every failure: `{ error: { code, message, details?, requestId } }`.
// Stack traces and internal messages never reach a client; unexpected errors are logged with the request id.
import { redactSecrets } from "@raseed/sdk";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { classifyStoreFault } from "../../store/write-health.ts";
import { ApiError, asApiError, storeFaultMessage } from "../api-error.ts";

export interface ErrorEnvelope {
  error: { code: string; message: string; details?: unknown; requestId: string };
}

export function sendError(reply: FastifyReply, request: FastifyRequest, error: ApiError): FastifyReply {
  const body: ErrorEnvelope = {
    error: {
      code: error.code,
      message: error.message,
      ...(error.details !== undefined ? { details: redactSecrets(error.details) } : {}),
      requestId: request.id,
    },
  };
  return reply.status(error.status).type("application/json").send(body);
}

/**
 * The one mapping to HTTP: a service's DomainError by its code (api-error.ts API_ERRORS), and Fastify's own
 * errors (bad JSON, body too large, wrong content type) to clear API errors.
 */
function toApiError(error: FastifyError): ApiError {
  const known = asApiError(error);
  if (known !== undefined) return known;
  switch (error.code) {
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return new ApiError("invalid_json", `the request body is not valid JSON: ${error.message}`);
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return new ApiError("invalid_json", "the request body is empty but Content-Type is application/json");
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new ApiError("body_too_large", "the request body is larger than this gateway accepts");
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new ApiError("unsupported_media_type", "send the body as application/json");
  }
  if (error.validation !== undefined) {
    return new ApiError("bad_request", error.message, { issues: error.validation });
  }
  if (error.statusCode === 429) return new ApiError("rate_limited", error.message);
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return ApiError.fromFramework(error.statusCode, error.message);
  }
  const storeFault = classifyStoreFault(error);
  if (storeFault !== undefined) return new ApiError(storeFault, storeFaultMessage(storeFault));
  return new ApiError(
    "internal_error",
    "an unexpected error occurred; see the server log for this request id",
  );
}

export function installErrorEnvelope(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const apiError = toApiError(error);
    // A store fault is reported once by the store's health tracker (main.ts), not once per request.
    // A deliberate 503 (/readyz) is an answer, not a failure of this request.
    if (apiError.status === 503 && classifyStoreFault(error) !== undefined) reply.header("retry-after", "30");
    else if (apiError.status >= 500 && !(error instanceof ApiError && error.status === 503)) {
      request.log.error({ err: error }, "request failed");
    }
    return sendError(reply, request, apiError);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      request,
      new ApiError("not_found", `no route ${request.method} ${request.url.split("?")[0]}`),
    ),
  );
}
