// Client for the DI reference APIs (spec v1.12 §5, spec/data/di-reference-api.json) with a TTL cache
// and an offline fallback to the captured snapshot.
import type { z } from "zod";
import type { TokenProvider } from "../client/token-provider.ts";
import { RaseedError, SDK_ERRORS_DOCS } from "../errors/classes.ts";
import { pakistanDate } from "../time/pakistan-time.ts";
import { parseFbrJson, parseWire, type WireIssue } from "../wire/parse.ts";
import {
  type DocTypeRow,
  docTypeRowSchema,
  type HsUomRow,
  hsUomRowSchema,
  type ItemDescCodeRow,
  itemDescCodeRowSchema,
  type ProvinceRow,
  provinceRowSchema,
  type RegTypeResponse,
  referenceListSchema,
  regTypeResponseSchema,
  type SaleTypeRateRow,
  type SroItemCodeRow,
  type SroItemRow,
  type SroScheduleRow,
  type StatlResponse,
  saleTypeRateRowSchema,
  sroItemCodeRowSchema,
  sroItemRowSchema,
  sroScheduleRowSchema,
  statlResponseSchema,
  type TransTypeRow,
  transTypeRowSchema,
  type UomRow,
  uomRowSchema,
} from "../wire/reference-rows.ts";
import { docTypeRows, provinceRows, snapshotRatesFor, transactionTypes, uomRows } from "./snapshot.ts";

export const FBR_REFERENCE_BASE_URL = "https://gw.fbr.gov.pk";
/** Reference tables change rarely; a day keeps lookups cheap without serving week-old rates. */
export const REFERENCE_CACHE_TTL_MS = 24 * 60 * 60 * 1000;
const DEFAULT_TIMEOUT_MS = 30_000;
const MONTH_ABBREVIATIONS = [
  "Jan",
  "Feb",
  "Mar",
  "Apr",
  "May",
  "Jun",
  "Jul",
  "Aug",
  "Sep",
  "Oct",
  "Nov",
  "Dec",
];

export type ReferenceErrorCode =
  | "reference_unauthorised"
  | "reference_http_error"
  | "reference_network_error"
  | "reference_bad_response"
  | "reference_bad_request";

/** A reference lookup that failed with no snapshot to fall back on. Never carries the token. */
export class ReferenceApiError extends RaseedError {
  declare readonly code: ReferenceErrorCode;
  /** The endpoint's path, e.g. "/pdi/v2/SaleTypeToRate". */
  readonly endpoint: string;
  readonly issues: readonly WireIssue[] | undefined;

  constructor(
    code: ReferenceErrorCode,
    message: string,
    details: { endpoint: string; status?: number; issues?: readonly WireIssue[] },
  ) {
    super(code, message, {
      details,
      ...(details.status !== undefined ? { status: details.status } : {}),
      docsUrl: SDK_ERRORS_DOCS,
    });
    this.endpoint = details.endpoint;
    this.issues = details.issues;
  }
}

export interface SnapshotFallbackEvent {
  endpoint: string;
  /** Why the live call was not used, e.g. "/pdi/v1/uom: HTTP 503". */
  reason: string;
}

export interface ReferenceClientOptions {
  /**
   * PRAL's Bearer token (the reference APIs need one: a live probe got 401 without it), or a TokenProvider
   * asked before every live call (a relay's OAuth2 token: `oauth2ClientCredentials`).
   */
  token: string | TokenProvider;
  /** Origin of the API, default https://gw.fbr.gov.pk (the simulator serves the same paths). */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** How long a successful answer is reused, default 24 h. 0 disables the cache. */
  ttlMs?: number;
  /** Milliseconds since the epoch; injectable so tests can move time. */
  now?: () => number;
  timeoutMs?: number;
  /** Fall back to the captured snapshot when FBR cannot answer (default true). */
  offlineSnapshot?: boolean;
  /** Told every time a snapshot answer replaces a failed live call. */
  onSnapshotFallback?: (event: SnapshotFallbackEvent) => void;
}

/** The calendar day of `date` in Pakistan time ("2025-03-25"), the day FBR means. */
function pakistanDay(date: Date, endpoint: string): string {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new ReferenceApiError("reference_bad_request", `${endpoint}: the date is not a valid Date`, {
      endpoint,
    });
  }
  return pakistanDate(date);
}

/** "24-Feb-2024": the format SaleTypeToRate and SroSchedule need (an ISO date silently returns []). */
export function formatFbrDayMonthYear(date: Date): string {
  const [year, month, day] = pakistanDay(date, "date").split("-");
  return `${day}-${MONTH_ABBREVIATIONS[Number(month) - 1]}-${year}`;
}

/** "2025-03-25": the format SROItem and statl take. */
export function formatFbrIsoDate(date: Date): string {
  return pakistanDay(date, "date");
}

interface CacheEntry {
  expiresAt: number;
  value: unknown;
}

interface ReferenceRequest<T> {
  method: "GET" | "POST";
  path: string;
  query?: Record<string, string>;
  body?: Record<string, string>;
  schema: z.ZodType<T>;
  /** The snapshot answer when FBR cannot be reached, if the snapshot covers this request. */
  snapshot?: () => T | undefined;
  /**
   * For the /dist/ lookups, which the spec calls "Get" but shows with a JSON body: when the POST is
   * answered 404 or 405, ask again with GET and the body's fields as query parameters.
   */
  getFallback?: boolean;
}

/**
 * Every DI reference API behind one cache. Snapshot fallback covers provinces, doctypecode,
 * transtypecode, uom and SaleTypeToRate (by transTypeId; the capture ignores date and province, and
 * has no rows for 178 and 181). itemdesccode, sroitemcode, SroSchedule, HS_UOM, SROItem, statl and
 * Get_Reg_Type have no snapshot and fail with ReferenceApiError. An authorisation failure never falls
 * back: a wrong token must surface.
 * @example
 * const reference = new ReferenceClient({ token: process.env.FBR_TOKEN ?? "" });
 * const rates = await reference.saleTypeRates({ transTypeId: 18, date: new Date(), originationSupplier: 8 });
 */
export class ReferenceClient {
  readonly #tokenSource: TokenProvider;
  readonly #baseUrl: string;
  readonly #fetch: typeof fetch;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #timeoutMs: number;
  readonly #offlineSnapshot: boolean;
  readonly #onSnapshotFallback: ((event: SnapshotFallbackEvent) => void) | undefined;
  readonly #cache = new Map<string, CacheEntry>();
  readonly #inFlight = new Map<string, Promise<unknown>>();

  constructor(options: ReferenceClientOptions) {
    const token = options.token;
    this.#tokenSource = typeof token === "function" ? token : async () => token;
    this.#baseUrl = (options.baseUrl ?? FBR_REFERENCE_BASE_URL).replace(/\/+$/, "");
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#ttlMs = options.ttlMs ?? REFERENCE_CACHE_TTL_MS;
    this.#now = options.now ?? Date.now;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#offlineSnapshot = options.offlineSnapshot ?? true;
    this.#onSnapshotFallback = options.onSnapshotFallback;
  }

  /** §5.1 GET /pdi/v1/provinces. */
  async provinces(): Promise<readonly ProvinceRow[]> {
    return this.#request({
      method: "GET",
      path: "/pdi/v1/provinces",
      schema: referenceListSchema(provinceRowSchema, "provinces"),
      snapshot: () => provinceRows(),
    });
  }

  /** §5.2 GET /pdi/v1/doctypecode. */
  async docTypeCodes(): Promise<readonly DocTypeRow[]> {
    return this.#request({
      method: "GET",
      path: "/pdi/v1/doctypecode",
      schema: referenceListSchema(docTypeRowSchema, "document types"),
      snapshot: () => docTypeRows(),
    });
  }

  /** §5.3 GET /pdi/v1/itemdesccode: every HS code FBR knows (large; no snapshot). */
  async itemDescCodes(): Promise<readonly ItemDescCodeRow[]> {
    return this.#request({
      method: "GET",
      path: "/pdi/v1/itemdesccode",
      schema: referenceListSchema(itemDescCodeRowSchema, "HS codes"),
    });
  }

  /** §5.4 GET /pdi/v1/sroitemcode (no snapshot). */
  async sroItemCodes(): Promise<readonly SroItemCodeRow[]> {
    return this.#request({
      method: "GET",
      path: "/pdi/v1/sroitemcode",
      schema: referenceListSchema(sroItemCodeRowSchema, "SRO item codes"),
    });
  }

  /** §5.5 GET /pdi/v1/transtypecode; descriptions come back verbatim, padding included. */
  async transactionTypeCodes(): Promise<readonly TransTypeRow[]> {
    return this.#request({
      method: "GET",
      path: "/pdi/v1/transtypecode",
      schema: referenceListSchema(transTypeRowSchema, "transaction types"),
      snapshot: () => transactionTypes(),
    });
  }

  /** §5.6 GET /pdi/v1/uom. */
  async uoms(): Promise<readonly UomRow[]> {
    return this.#request({
      method: "GET",
      path: "/pdi/v1/uom",
      schema: referenceListSchema(uomRowSchema, "units of measure"),
      snapshot: () => uomRows(),
    });
  }

  /**
   * §5.7 GET /pdi/v1/SroSchedule?rate_id&date&origination_supplier_csv. Version 1 on purpose: v2 answers
   * 200 with []. The date goes as dd-MMM-yyyy.
   */
  async sroSchedules(query: {
    rateId: number;
    date: Date;
    originationSupplier: number;
  }): Promise<readonly SroScheduleRow[]> {
    const endpoint = "/pdi/v1/SroSchedule";
    return this.#request({
      method: "GET",
      path: endpoint,
      query: {
        rate_id: String(query.rateId),
        date: this.#dayMonthYear(query.date, endpoint),
        origination_supplier_csv: String(query.originationSupplier),
      },
      schema: referenceListSchema(sroScheduleRowSchema, "SRO schedules"),
    });
  }

  /** §5.8 GET /pdi/v2/SaleTypeToRate?date&transTypeId&originationSupplier; the date goes as dd-MMM-yyyy. */
  async saleTypeRates(query: {
    transTypeId: number;
    date: Date;
    originationSupplier: number;
  }): Promise<readonly SaleTypeRateRow[]> {
    const endpoint = "/pdi/v2/SaleTypeToRate";
    return this.#request({
      method: "GET",
      path: endpoint,
      query: {
        date: this.#dayMonthYear(query.date, endpoint),
        transTypeId: String(query.transTypeId),
        originationSupplier: String(query.originationSupplier),
      },
      schema: referenceListSchema(saleTypeRateRowSchema, "rates"),
      snapshot: () => snapshotRatesFor(query.transTypeId),
    });
  }

  /** §5.9 GET /pdi/v2/HS_UOM?hs_code&annexure_id; annexure 3 is the sales annexure. */
  async hsUoms(query: { hsCode: string; annexureId?: number }): Promise<readonly HsUomRow[]> {
    return this.#request({
      method: "GET",
      path: "/pdi/v2/HS_UOM",
      query: { hs_code: query.hsCode, annexure_id: String(query.annexureId ?? 3) },
      schema: referenceListSchema(hsUomRowSchema, "HS units of measure"),
    });
  }

  /** §5.10 GET /pdi/v2/SROItem?date&sro_id; unlike its neighbours, the date goes as yyyy-MM-dd. */
  async sroItems(query: { sroId: number; date: Date }): Promise<readonly SroItemRow[]> {
    const endpoint = "/pdi/v2/SROItem";
    return this.#request({
      method: "GET",
      path: endpoint,
      query: { date: this.#isoDate(query.date, endpoint), sro_id: String(query.sroId) },
      schema: referenceListSchema(sroItemRowSchema, "SRO items"),
    });
  }

  /**
   * §5.11 POST /dist/v1/statl {regno, date}: active-taxpayer status. The spec says "Get" but shows a body;
   * integrators POST, so this POSTs and asks again with GET ?regno&date when the POST gets 404/405.
   */
  async registrationStatus(query: { registrationNo: string; date: Date }): Promise<StatlResponse> {
    const endpoint = "/dist/v1/statl";
    return this.#request({
      method: "POST",
      path: endpoint,
      body: { regno: query.registrationNo, date: this.#isoDate(query.date, endpoint) },
      schema: statlResponseSchema,
      getFallback: true,
    });
  }

  /**
   * §5.12 POST /dist/v1/Get_Reg_Type {Registration_No}: "00" Registered, "01" unregistered. Falls back
   * to GET ?Registration_No like statl.
   */
  async registrationType(registrationNo: string): Promise<RegTypeResponse> {
    return this.#request({
      method: "POST",
      path: "/dist/v1/Get_Reg_Type",
      body: { Registration_No: registrationNo },
      schema: regTypeResponseSchema,
      getFallback: true,
    });
  }

  /** Forgets every cached answer. */
  clearCache(): void {
    this.#cache.clear();
  }

  // Both check the Date first so a bad one is reported against the endpoint that needed it.
  #dayMonthYear(date: Date, endpoint: string): string {
    pakistanDay(date, endpoint);
    return formatFbrDayMonthYear(date);
  }

  #isoDate(date: Date, endpoint: string): string {
    pakistanDay(date, endpoint);
    return formatFbrIsoDate(date);
  }

  async #request<T>(request: ReferenceRequest<T>): Promise<T> {
    const search = request.query ? `?${new URLSearchParams(request.query).toString()}` : "";
    const url = `${this.#baseUrl}${request.path}${search}`;
    const bodyText = request.body ? JSON.stringify(request.body) : undefined;
    const cacheKey = `${request.method} ${url} ${bodyText ?? ""}`;

    const cached = this.#cache.get(cacheKey);
    if (cached && cached.expiresAt > this.#now()) return cached.value as T;

    // Concurrent callers of the same lookup share one HTTP call.
    const pending = this.#inFlight.get(cacheKey);
    if (pending) return pending as Promise<T>;
    const call = this.#fetchLiveOrGet(request, url, bodyText)
      .then((value) => {
        if (this.#ttlMs > 0) this.#cache.set(cacheKey, { expiresAt: this.#now() + this.#ttlMs, value });
        return value;
      })
      .catch((error: unknown) => this.#fallBack(request, error))
      .finally(() => this.#inFlight.delete(cacheKey));
    this.#inFlight.set(cacheKey, call);
    return call;
  }

  async #fetchLiveOrGet<T>(
    request: ReferenceRequest<T>,
    url: string,
    bodyText: string | undefined,
  ): Promise<T> {
    try {
      return await this.#fetchLive(request, url, bodyText);
    } catch (error) {
      const methodRefused =
        error instanceof ReferenceApiError &&
        error.code === "reference_http_error" &&
        (error.status === 404 || error.status === 405);
      if (!(request.getFallback === true && request.body !== undefined && methodRefused)) throw error;
      const query = new URLSearchParams(request.body).toString();
      return this.#fetchLive(
        { ...request, method: "GET" },
        `${this.#baseUrl}${request.path}?${query}`,
        undefined,
      );
    }
  }

  async #fetchLive<T>(request: ReferenceRequest<T>, url: string, bodyText: string | undefined): Promise<T> {
    let token: string;
    try {
      token = await this.#tokenSource();
    } catch (error) {
      // No token, nothing sent: a network-class failure, so the snapshot may still answer.
      const message = error instanceof Error ? error.message : String(error);
      throw new ReferenceApiError(
        "reference_network_error",
        `${request.path}: no token to send: ${message}`,
        {
          endpoint: request.path,
        },
      );
    }
    const headers: Record<string, string> = {
      Accept: "application/json",
      Authorization: `Bearer ${token}`,
    };
    if (bodyText !== undefined) headers["Content-Type"] = "application/json";
    const init: RequestInit = {
      method: request.method,
      headers,
      signal: AbortSignal.timeout(this.#timeoutMs),
    };
    if (bodyText !== undefined) init.body = bodyText;

    let response: Response;
    let text: string;
    try {
      response = await this.#fetch(url, init);
      text = await response.text();
    } catch (error) {
      // Only the error's own message, which names the cause (ECONNREFUSED, timeout).
      const timedOut =
        error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
      const message = error instanceof Error ? error.message : String(error);
      // undici quotes an invalid header value in its message; that value would be our token.
      const scrubbed = token === "" ? message : message.split(token).join("[redacted]");
      const cause = timedOut ? `no answer within ${this.#timeoutMs} ms` : scrubbed;
      throw new ReferenceApiError("reference_network_error", `${request.path}: network error: ${cause}`, {
        endpoint: request.path,
      });
    }

    // 401/403 and WSO2 9009xx faults: the token is missing, wrong or not subscribed (FBR-SPEC §1).
    if (response.status === 401 || response.status === 403) {
      throw new ReferenceApiError(
        "reference_unauthorised",
        `${request.path}: HTTP ${response.status}: FBR refused the token (check it is the right one for this environment)`,
        { endpoint: request.path, status: response.status },
      );
    }
    if (response.status < 200 || response.status > 299) {
      throw new ReferenceApiError("reference_http_error", `${request.path}: HTTP ${response.status}`, {
        endpoint: request.path,
        status: response.status,
      });
    }
    const json = parseFbrJson(text);
    const parsed = json.ok ? parseWire(request.schema, json.value) : json;
    if (!parsed.ok) {
      const first = parsed.issues[0];
      const summary = first ? `${first.path === "" ? "" : `${first.path}: `}${first.message}` : "unreadable";
      throw new ReferenceApiError(
        "reference_bad_response",
        `${request.path}: unexpected answer: ${summary}`,
        {
          endpoint: request.path,
          status: response.status,
          issues: parsed.issues,
        },
      );
    }
    return parsed.value;
  }

  #fallBack<T>(request: ReferenceRequest<T>, error: unknown): T {
    const usable =
      this.#offlineSnapshot &&
      request.snapshot !== undefined &&
      error instanceof ReferenceApiError &&
      error.code !== "reference_unauthorised" &&
      error.code !== "reference_bad_request";
    const snapshot = usable ? request.snapshot?.() : undefined;
    if (snapshot === undefined) throw error;
    this.#onSnapshotFallback?.({ endpoint: request.path, reason: (error as ReferenceApiError).message });
    return snapshot;
  }
}
