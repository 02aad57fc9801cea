// The bridge's second upstream: a Raseed gateway instead of FBR's IMS cloud. The gateway holds the POS
// terminal's IMS token, reports the sale through its durable outbox, and answers with the outcome. Its
// answer is mapped onto the same PostOutcome kinds the uploader settles by (ARCHITECTURE.md, outcome
// classification), so the till sees the same replies whichever upstream is configured.
//
// Why a lost answer from the gateway is NOT in doubt: the gateway keys IMS sales on USIN per POSID and
// answers a repeated USIN with the stored sale (never a second post to FBR). Re-sending is therefore
// always safe, so transport failures and timeouts between bridge and gateway are `not_sent` (retryable);
// only the gateway's own verdict "in_doubt" (FBR may have the sale) is passed on as in doubt.
import type { Exchange, ImsInvoice, PostOutcome } from "@raseed/sdk";
import { type BridgeConfig, BridgeConfigError } from "../config.ts";
import type { ImsUpstream } from "./uploader.ts";

export interface GatewayUpstreamOptions {
  /** The gateway's base URL, e.g. http://127.0.0.1:8080 */
  gatewayUrl: string;
  /** A gateway API key with the invoices:write scope; sent as a bearer token, never logged. */
  apiKey: string;
  /** Seconds the gateway may wait for FBR's answer before replying (its `?wait=`, at most 30). */
  waitSeconds?: number;
  /** Longest one request to the gateway may take (a little more than the wait). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** What the gateway answers for an IMS sale (docs/api.md, "IMS sales"). */
interface GatewayImsView {
  id?: unknown;
  state?: unknown;
  fbrInvoiceNumber?: unknown;
  errors?: unknown;
  reason?: unknown;
  fbrResponse?: unknown;
}

interface GatewayErrorEnvelope {
  error?: { code?: unknown; message?: unknown; details?: { issues?: unknown } };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function errorMessage(body: unknown, fallback: string): string {
  const message = isRecord(body) ? (body as GatewayErrorEnvelope).error?.message : undefined;
  return typeof message === "string" && message !== "" ? message : fallback;
}

/** The gateway's stored errors (code, message, level, item) as PostOutcome rejection errors. */
function outcomeErrors(
  errors: unknown,
): { code: string; message: string; level: "header" | "item"; item?: number }[] {
  if (!Array.isArray(errors)) return [];
  return errors.filter(isRecord).map((error) => ({
    code: typeof error.code === "string" ? error.code : String(error.code ?? ""),
    message: typeof error.message === "string" ? error.message : "",
    level: error.level === "item" ? "item" : "header",
    ...(typeof error.item === "number" ? { item: error.item } : {}),
  }));
}

/**
 * Builds the body the uploader reads FBR's Code/Response/Errors from: FBR's own answer when the gateway
 * kept it, otherwise an IMS-style body made from the gateway's errors (e.g. its local 422 issues).
 */
function imsStyleBody(
  code: string,
  response: string,
  errors: { Code: string; Field: string; Message: string; Item?: number }[],
): string {
  return JSON.stringify({ InvoiceNumber: "Not Available", Code: code, Response: response, Errors: errors });
}

export class GatewayImsUpstream implements ImsUpstream {
  readonly postUrl: string;
  readonly #apiKey: string;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: GatewayUpstreamOptions) {
    let base: URL;
    try {
      base = new URL(options.gatewayUrl);
    } catch {
      throw new TypeError(`the gateway URL "${options.gatewayUrl}" is not a URL`);
    }
    if (base.protocol !== "http:" && base.protocol !== "https:") {
      throw new TypeError(`the gateway URL must be http(s), got ${base.protocol}`);
    }
    if (options.apiKey.trim() === "") throw new TypeError("a gateway upstream needs an API key");
    const wait = Math.min(30, Math.max(0, Math.floor(options.waitSeconds ?? 10)));
    this.postUrl = `${base.origin}${base.pathname.replace(/\/$/, "")}/v1/ims/invoices?wait=${wait}`;
    this.#apiKey = options.apiKey;
    this.#timeoutMs = options.timeoutMs ?? (wait + 5) * 1000;
    this.#fetch = options.fetch ?? fetch;
  }

  async postData(invoice: ImsInvoice): Promise<PostOutcome> {
    const requestBody = JSON.stringify(invoice);
    const started = performance.now();
    const exchange = (status?: number, responseBody?: string): Exchange => ({
      url: this.postUrl,
      requestBody,
      ...(status !== undefined ? { status } : {}),
      ...(responseBody !== undefined ? { responseBody } : {}),
      durationMs: performance.now() - started,
    });
    let status: number;
    let text: string;
    let retryAfter: string | null;
    try {
      const response = await this.#fetch(this.postUrl, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json",
          authorization: `Bearer ${this.#apiKey}`,
        },
        body: requestBody,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      status = response.status;
      retryAfter = response.headers.get("retry-after");
      text = await response.text();
    } catch (error) {
      // Safe to send again: the gateway answers a repeated USIN from its store (see the file comment).
      return {
        kind: "not_sent",
        reason: `the gateway did not answer: ${(error as Error).name === "TimeoutError" ? "timed out" : (error as Error).message}`,
        exchange: exchange(),
      };
    }
    const body = parseJson(text);
    if (status === 401 || status === 403) {
      return {
        kind: "unauthorised",
        reason: `the gateway refused the bridge's API key (${status}): ${errorMessage(body, "unauthorised")}`,
        exchange: exchange(status, text),
      };
    }
    if (status === 429) {
      const seconds = retryAfter === null ? Number.NaN : Number(retryAfter);
      return {
        kind: "throttled",
        reason: errorMessage(body, "the gateway's rate limit"),
        ...(Number.isFinite(seconds) && seconds >= 0 ? { retryAfterMs: seconds * 1000 } : {}),
        exchange: exchange(status, text),
      };
    }
    if (status === 422 || status === 409 || status === 400) {
      // The gateway refused the sale itself (its validation, a USIN reused for another sale, a bad body):
      // it queued nothing, and sending it again would be refused again.
      const issues = isRecord(body) ? (body as GatewayErrorEnvelope).error?.details?.issues : undefined;
      const problems = Array.isArray(issues)
        ? issues.filter(isRecord).map((issue) => ({
            Code: String(issue.code ?? ""),
            Field: String(issue.path ?? issue.field ?? ""),
            Message: String(issue.message ?? ""),
            ...(typeof issue.item === "number" ? { Item: issue.item } : {}),
          }))
        : [
            {
              Code: String(status),
              Field: "",
              Message: errorMessage(body, `the gateway answered ${status}`),
            },
          ];
      return {
        kind: "rejected",
        errors: problems.map((p) => ({
          code: p.Code,
          message: p.Message,
          level: p.Item === undefined ? "header" : "item",
          ...(p.Item !== undefined ? { item: p.Item } : {}),
        })),
        exchange: exchange(status, imsStyleBody("102", "Invalid data received", problems)),
      };
    }
    if (status !== 200 && status !== 202) {
      // 5xx or anything unexpected: the gateway did not take the sale (or will answer it again by USIN).
      return {
        kind: "not_sent",
        reason: `the gateway answered HTTP ${status}: ${errorMessage(body, text.slice(0, 200))}`,
        exchange: exchange(status, text),
      };
    }
    if (!isRecord(body)) {
      return {
        kind: "not_sent",
        reason: "the gateway's answer is not JSON",
        exchange: exchange(status, text),
      };
    }
    return this.#fromView(body as GatewayImsView, exchange(status, text));
  }

  #fromView(view: GatewayImsView, exchange: Exchange): PostOutcome {
    const reason = typeof view.reason === "string" ? view.reason : undefined;
    switch (view.state) {
      case "accepted":
        if (typeof view.fbrInvoiceNumber === "string" && view.fbrInvoiceNumber !== "") {
          return { kind: "accepted", invoiceNumber: view.fbrInvoiceNumber, itemNumbers: [], exchange };
        }
        return { kind: "in_doubt", reason: "the gateway says accepted but gives no fiscal number", exchange };
      case "rejected": {
        const errors = outcomeErrors(view.errors);
        // FBR's own Code/Response/Errors (as the gateway kept them) is what the till is shown.
        const fbr = isRecord(view.fbrResponse) ? view.fbrResponse : undefined;
        const responseBody =
          fbr !== undefined
            ? JSON.stringify(fbr)
            : imsStyleBody(
                errors[0]?.code ?? "102",
                "Invalid data received",
                errors.map((e) => ({ Code: e.code, Field: "", Message: e.message })),
              );
        return { kind: "rejected", errors, exchange: { ...exchange, responseBody } };
      }
      case "in_doubt":
      case "abandoned":
        return {
          kind: "in_doubt",
          reason: `the gateway holds this sale as ${view.state}${reason !== undefined ? `: ${reason}` : ""}`,
          exchange,
        };
      default:
        // queued, submitting, retrying, paused, failed: the gateway has the sale durably and reports it
        // itself; asking again later (same USIN) returns its progress and never posts it twice.
        return {
          kind: "not_sent",
          reason: `the gateway has the sale (${String(view.state)}), FBR's answer is pending${reason !== undefined ? `: ${reason}` : ""}`,
          exchange,
        };
    }
  }
}

/**
 * The gateway upstream for a bridge configured with `--upstream <gateway URL>`. One request may take up to
 * the bridge's upload timeout; the gateway is asked to wait for FBR's answer for most of it.
 */
export function createGatewayUpstream(
  config: Readonly<Pick<BridgeConfig, "upstream" | "uploadTimeoutMs"> & { gatewayApiKey?: string }>,
): GatewayImsUpstream {
  if (config.gatewayApiKey === undefined) {
    throw new BridgeConfigError(
      "a gateway upstream needs an API key: --api-key, RASEED_POS_BRIDGE_GATEWAY_API_KEY or gatewayApiKey",
    );
  }
  try {
    return new GatewayImsUpstream({
      gatewayUrl: config.upstream,
      apiKey: config.gatewayApiKey,
      waitSeconds: Math.max(1, Math.floor(config.uploadTimeoutMs / 1000) - 2),
      timeoutMs: config.uploadTimeoutMs,
    });
  } catch (error) {
    throw new BridgeConfigError(`--upstream: ${(error as Error).message}`);
  }
}
