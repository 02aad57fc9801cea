// A small client for the gateway's REST API, for the commands that work against a running gateway
// (`import`, `scenarios run`). The API key comes from RASEED_API_KEY or --key-file, never from argv (argv is
// visible to every user in `ps` and lands in shell history).
import { readFileSync } from "node:fs";

export class GatewayCallError extends Error {
  override readonly name = "GatewayCallError";
  constructor(
    message: string,
    readonly status: number | null,
    readonly code: string | null,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** The API key from --key-file, else RASEED_API_KEY. Throws a one-line usage error when neither gives one. */
export function readApiKey(keyFile: string | undefined, env: Record<string, string | undefined>): string {
  let key: string | undefined;
  if (keyFile !== undefined) {
    try {
      key = readFileSync(keyFile, "utf8");
    } catch (error) {
      throw new GatewayCallError(
        `cannot read --key-file ${keyFile}: ${(error as NodeJS.ErrnoException).code ?? "error"}`,
        null,
        "usage",
      );
    }
  } else {
    key = env.RASEED_API_KEY;
  }
  const trimmed = key?.trim() ?? "";
  if (trimmed === "") {
    throw new GatewayCallError(
      "give the gateway API key with --key-file <path> or the RASEED_API_KEY environment variable",
      null,
      "usage",
    );
  }
  return trimmed;
}

export interface GatewayResponse {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: JSON from the gateway, read field by field by the caller
  body: any;
  headers: Headers;
}

export interface GatewayHttpOptions {
  baseUrl: string;
  apiKey: string;
  fetch?: typeof fetch;
  /** Waits between retries (tests pass one that does not sleep). */
  sleep?: (ms: number) => Promise<void>;
  /** Retries of an idempotent request after 429, 502-504 or a connection failure. */
  maxRetries?: number;
}

const RETRY_STATUSES = new Set([429, 502, 503, 504]);
const MAX_RETRY_DELAY_MS = 30_000;

export class GatewayHttp {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly maxRetries: number;

  constructor(private readonly options: GatewayHttpOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch {
      throw new GatewayCallError(`--gateway ${options.baseUrl} is not a URL`, null, "usage");
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new GatewayCallError(`--gateway ${options.baseUrl} must be an http(s) URL`, null, "usage");
    }
    this.baseUrl = url.toString().replace(/\/+$/, "");
    this.fetchImpl = options.fetch ?? fetch;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.maxRetries = options.maxRetries ?? 8;
  }

  /**
   * One call. `idempotent` requests (GETs, and POSTs that carry an Idempotency-Key) are retried on 429 (after
   * Retry-After), 502-504 and connection failures: the gateway answers a repeat from its store, so nothing is
   * queued twice. Other requests are tried once.
   */
  async call(
    method: "GET" | "POST",
    path: string,
    options: { body?: unknown; headers?: Record<string, string>; idempotent?: boolean } = {},
  ): Promise<GatewayResponse> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.options.apiKey}`,
      accept: "application/json",
      ...(options.headers ?? {}),
    };
    if (options.body !== undefined) headers["content-type"] = "application/json";
    const idempotent = options.idempotent ?? method === "GET";
    for (let attempt = 0; ; attempt += 1) {
      let response: Response;
      try {
        response = await this.fetchImpl(`${this.baseUrl}${path}`, {
          method,
          headers,
          ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
        });
      } catch (error) {
        if (idempotent && attempt < this.maxRetries) {
          await this.sleep(Math.min(MAX_RETRY_DELAY_MS, 250 * 2 ** attempt));
          continue;
        }
        const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
        throw new GatewayCallError(
          `cannot reach the gateway at ${this.baseUrl} (${cause})`,
          null,
          "unreachable",
        );
      }
      const text = await response.text();
      let body: unknown = text;
      try {
        body = text === "" ? null : JSON.parse(text);
      } catch {}
      if (idempotent && RETRY_STATUSES.has(response.status) && attempt < this.maxRetries) {
        const retryAfter = Number(response.headers.get("retry-after"));
        const delay = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : 250 * 2 ** attempt;
        await this.sleep(Math.min(MAX_RETRY_DELAY_MS, delay));
        continue;
      }
      if (response.status === 401 || response.status === 403) {
        const message = (body as { error?: { message?: string } } | null)?.error?.message ?? "refused";
        throw new GatewayCallError(
          `the gateway refused the API key: ${message}`,
          response.status,
          "unauthorised",
        );
      }
      return { status: response.status, body, headers: response.headers };
    }
  }
}

/** `{ error: { code, message } }` → one line. */
export function errorLine(response: GatewayResponse): string {
  const error = (response.body as { error?: { code?: string; message?: string } } | null)?.error;
  return error === undefined
    ? `HTTP ${response.status}`
    : `${error.code ?? response.status}: ${error.message ?? ""}`;
}
