// HTTP clients for DI post/validate and IMS cloud PostData. The transport (`fetch`) is injected (STYLE.md
// principle 6); every attempt is classified by `classifyPostOutcome` and only safe outcomes are retried.
import { InvalidOptionError, WireFormatError } from "../errors/classes.ts";
import { redactText } from "../errors/redaction.ts";
import type { DiInvoice } from "../wire/di.ts";
import type { ImsInvoice } from "../wire/ims.ts";
import { IMS_AUTHORITIES, type ImsAuthority } from "./ims-authorities.ts";
import { ATTEMPT_HEADER, trackRequestWrite } from "./internal/write-tracker.ts";
import { classifyPostOutcome, type PostEvidence, type PostOutcome } from "./outcome.ts";
import { decideRetry } from "./retry.ts";
import type { TokenProvider } from "./token-provider.ts";

export type FbrEnvironment = "sandbox" | "production";

/** DI and IMS production gateway (FBR-SPEC §1, §11). */
export const FBR_GATEWAY_URL = "https://gw.fbr.gov.pk";
/** IMS cloud sandbox (FBR-SPEC §11): a different host and port from production. */
export const IMS_SANDBOX_URL = "https://esp.fbr.gov.pk:8244";

export const DI_PATHS = {
  post: { sandbox: "/di_data/v1/di/postinvoicedata_sb", production: "/di_data/v1/di/postinvoicedata" },
  validate: {
    sandbox: "/di_data/v1/di/validateinvoicedata_sb",
    production: "/di_data/v1/di/validateinvoicedata",
  },
} as const;

/** FBR's IMS PostData paths (PRA's are in IMS_AUTHORITIES). */
export const IMS_PATHS = {
  sandbox: IMS_AUTHORITIES.fbr.postData.sandbox.path,
  production: IMS_AUTHORITIES.fbr.postData.production.path,
} as const;

/** One attempt, as reported to `onAttempt` (for logs and metrics). It holds no token and no body. */
export interface ClientAttemptEvent {
  attempt: number;
  url: string;
  kind: PostOutcome["kind"];
  status?: number;
  durationMs: number;
  reason?: string;
  /** Set when the client will retry after this many milliseconds. */
  retryInMs?: number;
}

/**
 * The part of `fetch` the clients use: one POST with string headers and body, an abort signal, redirects
 * not followed; the answer's status, headers and whole body as text. Global `fetch` is one; a lighter
 * transport (undici's `request` on a keep-alive Agent, as the POS bridge passes) can be another.
 */
export type FetchLike = (
  url: string,
  init: {
    method: "POST";
    headers: Record<string, string>;
    body: string;
    signal: AbortSignal;
    redirect: "manual";
  },
) => Promise<{
  status: number;
  headers: Headers | Readonly<Record<string, string>>;
  text(): Promise<string>;
}>;

export interface FbrClientOptions {
  /**
   * PRAL/FBR Bearer token (PRAL issues a static one per seller and environment), or a TokenProvider asked
   * before every attempt (a relay's OAuth2 token: `oauth2ClientCredentials`). Never appears in outcomes,
   * errors or attempt events.
   */
  token: string | TokenProvider;
  environment: FbrEnvironment;
  /** Replaces the origin (e.g. the simulator's URL); FBR's paths are appended. */
  baseUrl?: string;
  /** The transport; default global `fetch`. */
  fetch?: FetchLike;
  /** Per attempt, covering connect, request, and reading the whole answer. Default 30 000 ms. */
  timeoutMs?: number;
  /** Client-side retries of safe outcomes (not_sent, throttled). Default 2; the gateway passes 0. */
  maxRetries?: number;
  /** A Retry-After longer than this is handed back as `throttled` instead of waited out. Default 60 000 ms. */
  maxRetryWaitMs?: number;
  /** For tests: the waiting between retries. */
  sleep?: (ms: number) => Promise<void>;
  /** For tests: the jitter source, returning [0, 1). */
  random?: () => number;
  onAttempt?: (event: ClientAttemptEvent) => void;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_RETRIES = 2;
const DEFAULT_MAX_RETRY_WAIT_MS = 60_000;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** What DiClient and ImsClient share: option checks, one attempt, the retry loop. */
abstract class FbrPostingClient {
  readonly environment: FbrEnvironment;
  readonly #tokenSource: TokenProvider;
  /** The last token sent, kept only to redact it from reasons and evidence. */
  #token = "";
  readonly #fetch: FetchLike;
  readonly #timeoutMs: number;
  readonly #maxRetries: number;
  readonly #maxRetryWaitMs: number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;
  readonly #onAttempt: ((event: ClientAttemptEvent) => void) | undefined;

  protected constructor(options: FbrClientOptions) {
    const tokenGiven =
      typeof options.token === "function" ||
      (typeof options.token === "string" && options.token.trim() !== "");
    if (!tokenGiven) {
      throw new InvalidOptionError("an FBR token is required (PRAL issues one per seller and environment)");
    }
    if (options.environment !== "sandbox" && options.environment !== "production") {
      throw new InvalidOptionError(
        `environment must be "sandbox" or "production", got ${String(options.environment)}`,
      );
    }
    this.environment = options.environment;
    const token = options.token;
    this.#tokenSource = typeof token === "function" ? token : async () => token.trim();
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#timeoutMs = positiveInteger("timeoutMs", options.timeoutMs, DEFAULT_TIMEOUT_MS);
    this.#maxRetries = nonNegativeInteger("maxRetries", options.maxRetries, DEFAULT_MAX_RETRIES);
    this.#maxRetryWaitMs = nonNegativeInteger(
      "maxRetryWaitMs",
      options.maxRetryWaitMs,
      DEFAULT_MAX_RETRY_WAIT_MS,
    );
    this.#sleep = options.sleep ?? defaultSleep;
    this.#random = options.random ?? Math.random;
    this.#onAttempt = options.onAttempt;
  }

  /** Posts `body` to `url`, retrying only safe outcomes, and returns the last attempt's outcome. */
  protected async send(
    channel: PostEvidence["channel"],
    operation: PostEvidence["operation"],
    url: string,
    body: string,
  ): Promise<PostOutcome> {
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.#attemptOnce(channel, operation, url, body);
      const decision = decideRetry(outcome, attempt, {
        maxRetries: this.#maxRetries,
        maxRetryWaitMs: this.#maxRetryWaitMs,
        random: this.#random,
      });
      this.#report(attempt, url, outcome, decision.retry ? decision.delayMs : undefined);
      if (!decision.retry) return outcome;
      await this.#sleep(decision.delayMs);
    }
  }

  async #attemptOnce(
    channel: PostEvidence["channel"],
    operation: PostEvidence["operation"],
    url: string,
    body: string,
  ): Promise<PostOutcome> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new DOMException(`no answer within ${this.#timeoutMs} ms`, "TimeoutError"));
    }, this.#timeoutMs);
    try {
      this.#token = (await this.#tokenSource()).trim();
    } catch (error) {
      clearTimeout(timer);
      // No token, no request: nothing was sent, so this is safe to try again.
      const message = error instanceof Error ? error.message : String(error);
      return {
        kind: "not_sent",
        reason: redactText(`no token to send: ${message}`, { knownSecrets: [this.#token] }),
      };
    }
    const tracking = trackRequestWrite();
    const started = performance.now();
    const evidence: PostEvidence = {
      channel,
      operation,
      url,
      requestBody: body,
      durationMs: 0,
      timeoutMs: this.#timeoutMs,
      knownSecrets: [this.#token],
    };
    try {
      const response = await untilAborted(
        this.#fetch(url, {
          method: "POST",
          headers: {
            Authorization: `Bearer ${this.#token}`,
            "Content-Type": "application/json",
            Accept: "application/json",
            // Lets this attempt recognise its own undici events (internal/write-tracker.ts).
            [ATTEMPT_HEADER]: tracking.id,
          },
          body,
          signal: controller.signal,
          // A redirect would turn the POST into a GET elsewhere; report it instead of following it.
          redirect: "manual",
        }),
        controller.signal,
      );
      evidence.response = { status: response.status, headers: response.headers };
      try {
        // The timeout keeps running while the body arrives: a stalled body is as unanswered as no headers.
        evidence.response.body = await untilAborted(response.text(), controller.signal);
      } catch (error) {
        evidence.error = error;
      }
    } catch (error) {
      evidence.error = error;
    } finally {
      clearTimeout(timer);
    }
    const verdict = tracking.verdict();
    tracking.end();
    if (verdict !== "unknown") evidence.requestWritten = verdict === "written";
    evidence.durationMs = Math.round(performance.now() - started);
    evidence.timedOut = timedOut;
    return classifyPostOutcome(evidence);
  }

  #report(attempt: number, url: string, outcome: PostOutcome, retryInMs: number | undefined): void {
    if (this.#onAttempt === undefined) return;
    const exchange = outcome.exchange;
    const reason = "reason" in outcome ? outcome.reason : undefined;
    this.#onAttempt({
      attempt,
      url,
      kind: outcome.kind,
      ...(exchange?.status !== undefined ? { status: exchange.status } : {}),
      durationMs: exchange?.durationMs ?? 0,
      ...(reason !== undefined ? { reason: redactText(reason, { knownSecrets: [this.#token] }) } : {}),
      ...(retryInMs !== undefined ? { retryInMs } : {}),
    });
  }
}

/**
 * PRAL Digital Invoicing client: post and validate, sandbox (`_sb` paths) or production.
 * @example
 * const client = new DiClient({ token: process.env.FBR_TOKEN ?? "", environment: "sandbox" });
 * const outcome = await client.postInvoice(invoice);
 * if (outcome.kind === "accepted") console.log(outcome.invoiceNumber);
 */
export class DiClient extends FbrPostingClient {
  readonly postUrl: string;
  readonly validateUrl: string;

  constructor(options: FbrClientOptions) {
    super(options);
    const origin = trimBaseUrl(options.baseUrl ?? FBR_GATEWAY_URL);
    this.postUrl = `${origin}${DI_PATHS.post[options.environment]}`;
    this.validateUrl = `${origin}${DI_PATHS.validate[options.environment]}`;
  }

  /** Posts a live invoice. FBR records it on `accepted`; see PostOutcome for every other ending. */
  postInvoice(invoice: DiInvoice): Promise<PostOutcome> {
    return this.send("di", "post", this.postUrl, this.#wireBody(invoice));
  }

  /**
   * Posts an invoice already written as JSON (an object's text, e.g. one stored as received), sent as it is:
   * no parse and no second serialisation, so FBR gets exactly these bytes. In production a `scenarioId`
   * member is dropped, as `postInvoice` does (the text is then parsed and written again).
   */
  postInvoiceJson(json: string): Promise<PostOutcome> {
    return this.send("di", "post", this.postUrl, this.#wireText(json));
  }

  /** Asks FBR to check the invoice without saving it; `accepted` carries invoiceNumber "". */
  validateInvoice(invoice: DiInvoice): Promise<PostOutcome> {
    return this.send("di", "validate", this.validateUrl, this.#wireBody(invoice));
  }

  /** The exact JSON sent: `scenarioId` only in sandbox (it is a sandbox-testing field, spec v1.12 §4.1). */
  #wireBody(invoice: DiInvoice): string {
    const record = requirePlainObject(invoice, "a DI invoice");
    if (this.environment === "production" && "scenarioId" in record) {
      const { scenarioId: _dropped, ...rest } = record;
      return JSON.stringify(rest);
    }
    return JSON.stringify(record);
  }

  #wireText(json: string): string {
    if (!json.trimStart().startsWith("{")) {
      throw new WireFormatError("a DI invoice", [{ path: "", message: "expected a JSON object's text" }]);
    }
    // Only a text that names the key can hold the member; the parse decides whether it does.
    if (this.environment === "production" && json.includes('"scenarioId"')) {
      return this.#wireBody(JSON.parse(json) as DiInvoice);
    }
    return json;
  }
}

/**
 * IMS cloud client (Tier-1 POS): PostData of the authority the till reports to (FBR by default, or PRA), in
 * its sandbox or production. A `baseUrl` replaces the origin; the authority's path is kept.
 */
export class ImsClient extends FbrPostingClient {
  readonly postDataUrl: string;
  readonly authority: ImsAuthority;

  constructor(options: FbrClientOptions & { authority?: ImsAuthority }) {
    super(options);
    this.authority = options.authority ?? "fbr";
    const endpoint = IMS_AUTHORITIES[this.authority].postData[options.environment];
    this.postDataUrl = `${trimBaseUrl(options.baseUrl ?? endpoint.origin)}${endpoint.path}`;
  }

  /** Posts one fiscal invoice. IMS has no validate endpoint: every call is live (FBR-SPEC §11). */
  postData(invoice: ImsInvoice): Promise<PostOutcome> {
    return this.send(
      "ims",
      "post",
      this.postDataUrl,
      JSON.stringify(requirePlainObject(invoice, "an IMS invoice")),
    );
  }
}

/**
 * Rejects with the signal's reason once it aborts, even if `work` ignores the signal (an injected fetch
 * might), so the timeout always bounds an attempt.
 */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

function requirePlainObject(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new WireFormatError(what, [
      {
        path: "",
        message: `expected an object, got ${value === null ? "null" : Array.isArray(value) ? "an array" : typeof value}`,
      },
    ]);
  }
  return value as Record<string, unknown>;
}

function trimBaseUrl(baseUrl: string): string {
  let parsed: URL;
  try {
    parsed = new URL(baseUrl);
  } catch {
    throw new InvalidOptionError(`baseUrl is not a URL: ${baseUrl}`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new InvalidOptionError(`baseUrl must be http(s), got ${parsed.protocol}`);
  }
  if (parsed.username !== "" || parsed.password !== "") {
    throw new InvalidOptionError("baseUrl must not contain credentials; pass the token as `token`");
  }
  return baseUrl.replace(/\/+$/, "");
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0)
    throw new InvalidOptionError(`${name} must be a positive integer, got ${value}`);
  return value;
}

function nonNegativeInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0)
    throw new InvalidOptionError(`${name} must be a whole number ≥ 0, got ${value}`);
  return value;
}
