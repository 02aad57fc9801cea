// The one error type the HTTP layer turns into `{ error: { code, message, details?, requestId } }`.
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new ApiError(404, "not_found", `${what} not found`);

/** What a client is told when the store cannot take writes; the store's own error is in the server log. */
export function storeFaultMessage(code: "store_full" | "store_unavailable"): string {
  return code === "store_full"
    ? "the gateway's database is out of space; the request was not completed (retry later)"
    : "the gateway's database cannot take writes right now; the request was not completed (retry later)";
}
