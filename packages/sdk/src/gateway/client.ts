// RaseedGateway: a small typed client for the gateway's REST API (docs/api.md), in the manner of stripe-node.
//
// Retries: only where the API makes a second send harmless. GETs always; POST /v1/invoices only with an
// idempotency key (the Idempotency-Key header, or the envelope's externalRef), because the gateway answers a
// repeat of the same body with the stored invoice; POST /v1/ims/invoices always, because FBR's USIN is unique
// per POSID and the gateway answers a repeat with the stored sale. Reconcile and retry are never repeated by the
// client: a second one is a decision, not a transport detail. Retried: no answer, 429, 502, 503, 504.
import type { ImsInvoice } from "../wire/ims.ts";
import { GatewayRateLimitError, gatewayErrorFor, type RaseedGatewayError } from "./errors.ts";
import type {
  GatewayImsInvoice,
  GatewayInvoice,
  GatewayInvoiceInput,
  GatewayInvoiceListParams,
  GatewayReconcileDecision,
} from "./types.ts";
import { type VerifySignatureOptions, verifyWebhookSignature } from "./webhooks.ts";

export interface RaseedGatewayOptions {
  /** The gateway's base URL, e.g. `https://raseed.example.com` or `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** An API key (`rsd_...`) from `raseed key create`. Sent as a bearer token; never logged or echoed. */
  apiKey: string;
  /** How many times a request that is safe to repeat is sent again after no answer, 429 or 502-504; default 2. */
  maxRetries?: number;
  /** Per request, in milliseconds; default 60 000. */
  timeoutMs?: number;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
  /** Waits between retries (default: setTimeout); tests inject one that does not wait. */
  sleep?: (ms: number) => Promise<void>;
}

export interface CreateInvoiceOptions {
  /** Makes the request idempotent (and retryable): the same key with the same body returns the stored invoice. */
  idempotencyKey?: string;
  /** Seconds (0-30) to hold the answer until FBR has settled the invoice. */
  wait?: number;
}

export interface PdfOptions {
  format?: "a4" | "receipt";
  /** A PDF marked PROFORMA for an invoice FBR has not accepted (otherwise 409). */
  proforma?: boolean;
}

interface RequestSpec {
  method: "GET" | "POST";
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  retryable: boolean;
  binary?: boolean;
}

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function hasExternalRef(input: GatewayInvoiceInput): boolean {
  const ref = (input as { externalRef?: unknown }).externalRef;
  return typeof ref === "string" && ref !== "";
}

export class RaseedGateway {
  readonly invoices: InvoicesResource;
  readonly ims: ImsResource;
  readonly webhooks = {
    /** See verifyWebhookSignature: true when the Raseed-Signature header signs the raw body with the secret. */
    verifySignature: (
      rawBody: string | Uint8Array,
      header: string | null | undefined,
      secret: string,
      options?: VerifySignatureOptions,
    ): boolean => verifyWebhookSignature(rawBody, header, secret, options),
  };
  readonly #baseUrl: URL;
  readonly #apiKey: string;
  readonly #maxRetries: number;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: RaseedGatewayOptions) {
    let base: URL;
    try {
      base = new URL(options.baseUrl);
    } catch {
      throw new TypeError(`baseUrl must be an absolute http(s) URL, got ${JSON.stringify(options.baseUrl)}`);
    }
    if (base.protocol !== "http:" && base.protocol !== "https:") {
      throw new TypeError(`baseUrl must be an http(s) URL, got ${base.protocol}`);
    }
    if (typeof options.apiKey !== "string" || options.apiKey.trim() === "") {
      throw new TypeError("apiKey is required (create one with `raseed key create`)");
    }
    this.#baseUrl = base;
    this.#apiKey = options.apiKey.trim();
    this.#maxRetries = options.maxRetries ?? 2;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#sleep = options.sleep ?? defaultSleep;
    this.invoices = new InvoicesResource(this);
    this.ims = new ImsResource(this);
  }

  /** @internal Sends one API request with the retry policy above; answers the parsed JSON (or the bytes). */
  async request<T>(spec: RequestSpec): Promise<T> {
    const url = new URL(
      spec.path.replace(/^\//, ""),
      this.#baseUrl.href.endsWith("/") ? this.#baseUrl : `${this.#baseUrl.href}/`,
    );
    for (const [name, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.#apiKey}`,
      accept: spec.binary === true ? "application/pdf" : "application/json",
      ...spec.headers,
    };
    if (spec.body !== undefined) headers["content-type"] = "application/json";
    const attempts = spec.retryable ? this.#maxRetries + 1 : 1;
    let lastError: RaseedGatewayError | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) {
        const hinted = lastError instanceof GatewayRateLimitError ? lastError.retryAfterSeconds : null;
        await this.#sleep(hinted !== null ? hinted * 1000 : 250 * 2 ** (attempt - 2));
      }
      let response: Response;
      try {
        response = await this.#fetch(url, {
          method: spec.method,
          headers,
          ...(spec.body !== undefined ? { body: JSON.stringify(spec.body) } : {}),
          signal: AbortSignal.timeout(this.#timeoutMs),
        });
      } catch (error) {
        lastError = gatewayErrorFor({
          status: null,
          code: "connection_failed",
          message: `no answer from ${url.origin}: ${(error as Error).message}`,
          requestId: null,
        });
        continue;
      }
      if (response.ok) {
        if (spec.binary === true) return new Uint8Array(await response.arrayBuffer()) as T;
        return (await response.json()) as T;
      }
      lastError = await errorFrom(response);
      if (!RETRYABLE_STATUS.has(response.status)) throw lastError;
    }
    throw lastError ?? new Error("unreachable: no attempt made");
  }
}

async function errorFrom(response: Response): Promise<RaseedGatewayError> {
  const text = await response.text();
  let envelope: { error?: { code?: unknown; message?: unknown; details?: unknown; requestId?: unknown } } =
    {};
  try {
    envelope = JSON.parse(text) as typeof envelope;
  } catch {
    // not the gateway's envelope (a proxy's page, say): keep the status and a short excerpt
  }
  const body = envelope.error;
  const error = gatewayErrorFor({
    status: response.status,
    code: typeof body?.code === "string" ? body.code : `http_${response.status}`,
    message:
      typeof body?.message === "string"
        ? body.message
        : `HTTP ${response.status}: ${text.slice(0, 200).trim()}`,
    requestId: typeof body?.requestId === "string" ? body.requestId : response.headers.get("request-id"),
    ...(body?.details !== undefined ? { details: body.details } : {}),
  });
  if (error instanceof GatewayRateLimitError) {
    const after = Number(response.headers.get("retry-after"));
    error.retryAfterSeconds = Number.isFinite(after) && after >= 0 ? after : null;
  }
  return error;
}

const idPath = (id: string, suffix = "") => `/v1/invoices/${encodeURIComponent(id)}${suffix}`;

class InvoicesResource {
  readonly #client: RaseedGateway;
  constructor(client: RaseedGateway) {
    this.#client = client;
  }

  /**
   * Submits an invoice (FBR's DI payload, `{ invoice, externalRef? }` or `{ draft, externalRef? }`). Answers the
   * stored invoice: `queued` at first, or settled when `wait` allowed. A 422 (GatewayValidationError) lists every
   * problem; nothing was queued.
   */
  create(input: GatewayInvoiceInput, options: CreateInvoiceOptions = {}): Promise<GatewayInvoice> {
    return this.#client.request<GatewayInvoice>({
      method: "POST",
      path: "/v1/invoices",
      query: { wait: options.wait },
      body: input,
      ...(options.idempotencyKey !== undefined
        ? { headers: { "idempotency-key": options.idempotencyKey } }
        : {}),
      retryable: options.idempotencyKey !== undefined || hasExternalRef(input),
    });
  }

  /** One invoice with its FBR payload. */
  retrieve(id: string): Promise<GatewayInvoice> {
    return this.#client.request<GatewayInvoice>({ method: "GET", path: idPath(id), retryable: true });
  }

  /** Every invoice matching the filters, newest first; pages are fetched as the loop goes. */
  async *list(params: GatewayInvoiceListParams = {}): AsyncGenerator<GatewayInvoice, void, undefined> {
    let cursor: string | undefined;
    do {
      const page = await this.#client.request<{ items: GatewayInvoice[]; nextCursor: string | null }>({
        method: "GET",
        path: "/v1/invoices",
        query: { ...params, cursor },
        retryable: true,
      });
      yield* page.items;
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  }

  /** Settles an in_doubt or failed invoice: FBR's number from IRIS, resubmit, or abandon. */
  reconcile(id: string, decision: GatewayReconcileDecision): Promise<GatewayInvoice> {
    return this.#client.request<GatewayInvoice>({
      method: "POST",
      path: idPath(id, "/reconcile"),
      body: decision,
      retryable: false,
    });
  }

  /** Sends a failed or paused invoice again. */
  retry(id: string): Promise<GatewayInvoice> {
    return this.#client.request<GatewayInvoice>({
      method: "POST",
      path: idPath(id, "/retry"),
      retryable: false,
    });
  }

  /** The invoice as a PDF (A4 tax invoice or 80 mm receipt). */
  pdf(id: string, options: PdfOptions = {}): Promise<Uint8Array> {
    return this.#client.request<Uint8Array>({
      method: "GET",
      path: idPath(id, "/pdf"),
      query: { format: options.format, proforma: options.proforma },
      retryable: true,
      binary: true,
    });
  }
}

class ImsResource {
  readonly #client: RaseedGateway;
  constructor(client: RaseedGateway) {
    this.#client = client;
  }

  /** Submits an IMS sale (FBR's POS invoice model) for its fiscal number; USIN makes it safe to repeat. */
  create(invoice: ImsInvoice, options: { wait?: number } = {}): Promise<GatewayImsInvoice> {
    return this.#client.request<GatewayImsInvoice>({
      method: "POST",
      path: "/v1/ims/invoices",
      query: { wait: options.wait },
      body: invoice,
      retryable: true,
    });
  }
}
