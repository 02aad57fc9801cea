// The outcome-classification table of ARCHITECTURE.md, as ONE pure function for DI and IMS alike.
//
// FBR has no idempotency key and no look-up by our own reference (FBR-SPEC §1: "a resubmission creates a
// second FBR invoice number"). So the only question that matters after a post is: could FBR have recorded
// it? Every branch below answers that, and when the evidence cannot answer it the result is `in_doubt`,
// never a retryable kind: a sale reported twice is worse than a sale a person has to look at.
import { redactText } from "../errors/redaction.ts";
import { diResponseSchema, wso2FaultSchema } from "../wire/di.ts";
import { imsFiscalNumber, imsResponseSchema } from "../wire/ims.ts";
import { parseFbrJson, parseWire } from "../wire/parse.ts";

/** One HTTP exchange as Raseed records it. Request headers are deliberately absent: they hold the token. */
export interface Exchange {
  url: string;
  requestBody: string;
  status?: number;
  responseBody?: string;
  durationMs: number;
}

/** One FBR error inside a rejection. `item` is 1-based (FBR's itemSNo). */
export interface PostOutcomeError {
  code: string;
  message: string;
  level: "header" | "item";
  item?: number;
}

/** How one post (or validate) attempt ended: exactly one row of the classification table. */
export type PostOutcome =
  | { kind: "accepted"; invoiceNumber: string; dated?: string; itemNumbers: string[]; exchange: Exchange }
  | { kind: "rejected"; errors: PostOutcomeError[]; exchange: Exchange }
  | { kind: "not_sent"; reason: string; exchange?: Exchange }
  | { kind: "throttled"; reason: string; retryAfterMs?: number; exchange: Exchange }
  | { kind: "unauthorised"; reason: string; faultCode?: number; exchange: Exchange }
  | { kind: "in_doubt"; reason: string; exchange?: Exchange };

export type PostOutcomeKind = PostOutcome["kind"];

/** Everything known about one attempt; `classifyPostOutcome` turns it into a `PostOutcome`. */
export interface PostEvidence {
  channel: "di" | "ims";
  /** DI validate saves nothing and returns no invoiceNumber (FBR-SPEC §1, §3). IMS only has "post". */
  operation: "post" | "validate";
  url: string;
  requestBody: string;
  durationMs: number;
  /** The HTTP answer, when a status line arrived. `body` is undefined when reading it failed (see `error`). */
  response?: { status: number; headers?: Headers | Readonly<Record<string, string>>; body?: string };
  /** What the transport threw: fetch's `TypeError("fetch failed")` with an undici cause, an AbortError... */
  error?: unknown;
  /**
   * Whether the transport wrote the request headers, when it could tell (undici's diagnostics channels,
   * see client/internal/write-tracker.ts). false is positive proof of "never written"; undefined = unknown.
   */
  requestWritten?: boolean;
  /** True when the caller's own timeout aborted the attempt. */
  timedOut?: boolean;
  /** The timeout that fired, for the reason text. */
  timeoutMs?: number;
  /** Epoch ms used to turn an HTTP-date Retry-After into a delay; defaults to Date.now(). */
  now?: number;
  /** Literal secrets (the token) to scrub from reasons and the recorded response body. */
  knownSecrets?: readonly string[];
}

/** Recorded response bodies are capped: an HTML gateway page is evidence, a megabyte of it is not. */
export const MAX_RECORDED_BODY_CHARS = 64 * 1024;

// WSO2 API Manager fault codes (FBR-SPEC §1): 9008xx are throttling faults (900800 "Message throttled
// out", 900802 resource level, 900803 application, 900804 subscription ...), 9009xx are authentication
// and authorisation faults (900901 Invalid Credentials, 900902 Missing Credentials, 900908 Resource
// forbidden, 900910 scope).
const WSO2_THROTTLING = { from: 900800, to: 900809 } as const;
const WSO2_AUTH = { from: 900900, to: 900999 } as const;

/**
 * THE classification of one DI or IMS attempt (ARCHITECTURE.md, "Outcome classification"). Pure: no I/O,
 * never throws, same evidence → same outcome.
 */
export function classifyPostOutcome(evidence: PostEvidence): PostOutcome {
  const secrets = { knownSecrets: evidence.knownSecrets ?? [] };
  const scrub = (text: string) => redactText(text, secrets);
  const exchange: Exchange = {
    url: evidence.url,
    requestBody: evidence.requestBody,
    durationMs: evidence.durationMs,
    ...(evidence.response !== undefined ? { status: evidence.response.status } : {}),
    ...(evidence.response?.body !== undefined
      ? { responseBody: scrub(truncate(evidence.response.body, MAX_RECORDED_BODY_CHARS)) }
      : {}),
  };

  const response = evidence.response;
  if (response === undefined) {
    // No status line ever arrived: the transport error alone must say whether the request left.
    const failure = classifyTransportFailure(
      evidence.error,
      evidence.timedOut === true,
      evidence.timeoutMs,
      evidence.requestWritten,
    );
    return { kind: failure.kind, reason: scrub(failure.reason), exchange };
  }

  const { status } = response;
  const parsedBody = response.body === undefined ? undefined : parseFbrJson(response.body);
  const json = parsedBody?.ok === true ? parsedBody.value : undefined;
  // Only an object with a `fault` key can be one: every DI answer would otherwise build zod's issues.
  const fault =
    typeof json === "object" && json !== null && "fault" in json
      ? parseWire(wso2FaultSchema, json)
      : undefined;
  const faultCode = fault?.ok === true ? fault.value.fault.code : undefined;
  const faultText =
    fault?.ok === true
      ? `WSO2 fault ${fault.value.fault.code} ${fault.value.fault.message}`.trim()
      : undefined;

  // 401/403 and WSO2 9009xx: the gateway refused the credentials before the backend saw the invoice. DI
  // also answers 401 with a validationResponse (0401: token not issued for this seller, FBR-SPEC §1).
  if (status === 401 || status === 403 || (faultCode !== undefined && inRange(faultCode, WSO2_AUTH))) {
    const reason = faultText ?? diHeaderErrorText(json) ?? `HTTP ${status}`;
    return {
      kind: "unauthorised",
      reason: scrub(`HTTP ${status}: ${reason}`),
      ...(faultCode !== undefined ? { faultCode } : {}),
      exchange,
    };
  }

  // 429, 503 and WSO2 throttling faults: the gateway turned the request away; sending it again is safe.
  if (status === 429 || status === 503 || (faultCode !== undefined && inRange(faultCode, WSO2_THROTTLING))) {
    const retryAfterMs = parseRetryAfter(response.headers, evidence.now ?? Date.now());
    const what = status === 503 ? "service unavailable" : "throttled";
    return {
      kind: "throttled",
      reason: scrub(`HTTP ${status} ${what}${faultText === undefined ? "" : `: ${faultText}`}`),
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      exchange,
    };
  }

  // Any other 5xx (500, 502 gateway page, 504): the backend may have saved the invoice and then failed.
  if (status >= 500) {
    return {
      kind: "in_doubt",
      reason: `HTTP ${status} from FBR: the invoice may have been recorded`,
      exchange,
    };
  }

  if (status >= 200 && status < 300) {
    if (response.body === undefined) {
      // A 2xx whose body was lost: FBR processed the request, but we cannot tell what it decided.
      const failure = describeError(evidence.error);
      return {
        kind: "in_doubt",
        reason: scrub(`HTTP ${status} but the body could not be read: ${failure}`),
        exchange,
      };
    }
    if (parsedBody?.ok !== true) {
      // An HTML gateway page or garbage under a 2xx: undecodable, so in doubt.
      const issue = parsedBody?.issues[0]?.message ?? "the body is not JSON";
      return { kind: "in_doubt", reason: `HTTP ${status} with an undecodable answer: ${issue}`, exchange };
    }
    return evidence.channel === "di"
      ? classifyDiAnswer(json, evidence.operation, exchange)
      : classifyImsAnswer(json, exchange);
  }

  // 408: the server gave up waiting for our request; it may have got part or all of it. Be careful.
  if (status === 408) {
    return { kind: "in_doubt", reason: "HTTP 408: the server timed out reading the request", exchange };
  }

  // Remaining 1xx/3xx/4xx: the request was refused as a request (wrong path 404, wrong verb 405, a
  // redirect, malformed 400, too large 413) and not processed. A DI/IMS rejection body decides first.
  const bodyRejection =
    json === undefined
      ? undefined
      : evidence.channel === "di"
        ? classifyDiAnswer(json, evidence.operation, exchange)
        : classifyImsAnswer(json, exchange);
  if (bodyRejection?.kind === "rejected") return bodyRejection;

  // 404/405 (WSO2's "No matching resource": wrong path or verb) and 3xx (a redirect, e.g. http:// for
  // https://, which the client does not follow) never reached DI or IMS, so nothing was recorded and the
  // same request may be sent again. The fault is the URL, not the invoice: "rejected" would mark every
  // queued sale final one by one. As "throttled" they are retried with backoff, and the gateway's circuit
  // breaker stops hammering a wrong URL.
  const faultDescription = fault?.ok === true ? fault.value.fault.description.trim() : "";
  const noMatchingResource =
    faultCode === 404 || faultCode === 405 || /no matching resource/i.test(faultDescription);
  if (status === 404 || status === 405 || (status >= 300 && status < 400) || noMatchingResource) {
    const location = status >= 300 && status < 400 ? headerValue(response.headers, "location") : undefined;
    const said =
      faultDescription !== ""
        ? faultDescription
        : location !== undefined
          ? `redirected to ${location}`
          : firstLine(response.body ?? "");
    return {
      kind: "throttled",
      reason: scrub(
        `HTTP ${status}${said === "" ? "" : `: ${said}`}; the request was refused as a request and not ` +
          `processed, so it is safe to send again: check the FBR URL (${evidence.url})`,
      ),
      exchange,
    };
  }

  // 400/413 (and any other 4xx) without a DI/IMS rejection body: final, because the same bytes would get
  // the same answer; nothing was recorded, so a person fixes the request and it is submitted afresh.
  const detail = faultText ?? firstLine(response.body ?? "");
  return {
    kind: "rejected",
    errors: [
      {
        code: `HTTP${status}`,
        message: scrub(`HTTP ${status}${detail === "" ? "" : `: ${detail}`}`),
        level: "header",
      },
    ],
    exchange,
  };
}

/** DI post/validate answer under a 2xx, by the success predicate of FBR-SPEC §3. */
function classifyDiAnswer(json: unknown, operation: "post" | "validate", exchange: Exchange): PostOutcome {
  const parsed = parseWire(diResponseSchema, json);
  if (!parsed.ok) {
    // A header "01" is FBR saying "invalid, nothing saved" even when the rest of the answer is odd (items
    // without a status, no errorCode): a rejection, never in doubt.
    const odd = oddHeaderRejection(json);
    if (odd !== undefined) return { kind: "rejected", errors: odd, exchange };
    const first = parsed.issues[0];
    const where =
      first === undefined ? "" : `: ${first.path === "" ? "(root)" : first.path}: ${first.message}`;
    return { kind: "in_doubt", reason: `the DI answer lacks required fields${where}`, exchange };
  }
  const answer = parsed.value;
  const header = answer.validationResponse;
  const items = header.invoiceStatuses ?? [];
  const itemErrors: PostOutcomeError[] = items
    .filter((item) => item.statusCode !== "00")
    .map((item) => {
      const itemNumber = Number.parseInt(item.itemSNo, 10);
      return {
        ...fbrError(item.errorCode, item.error === "" ? item.status : item.error),
        level: "item" as const,
        ...(Number.isFinite(itemNumber) ? { item: itemNumber } : {}),
      };
    });

  if (header.statusCode === "01") {
    // Header-level rejection (0052, 0003, 0027, 0106, 0205 ...): invoiceStatuses is normally null, but
    // any item errors that do come along are kept so a person sees every problem at once.
    const headerError: PostOutcomeError = {
      ...fbrError(header.errorCode ?? "", header.error === "" ? header.status : header.error),
      level: "header",
    };
    return { kind: "rejected", errors: [headerError, ...itemErrors], exchange };
  }

  if (header.statusCode !== "00") {
    return { kind: "in_doubt", reason: `unknown DI statusCode "${header.statusCode}"`, exchange };
  }

  // Under a "00" header an item can still be "01" (spec v1.12 §4.1.5: status "invalid", lower case).
  if (items.some((item) => item.statusCode === "01"))
    return { kind: "rejected", errors: itemErrors, exchange };
  const strange = items.find((item) => item.statusCode !== "00");
  if (strange !== undefined) {
    return {
      kind: "in_doubt",
      reason: `unknown DI item statusCode "${strange.statusCode}" on item ${strange.itemSNo}`,
      exchange,
    };
  }

  const invoiceNumber = answer.invoiceNumber?.trim() ?? "";
  const itemNumbers = items
    .map((item) => (item.invoiceNo ?? "").trim())
    .filter((number) => number !== "" && number !== "0");
  const dated = answer.dated !== undefined && answer.dated !== "" ? { dated: answer.dated } : {};
  if (operation === "validate") {
    // Validate saves nothing and issues no number (spec v1.12 §4.2): "accepted" means "would be accepted".
    return { kind: "accepted", invoiceNumber: "", ...dated, itemNumbers, exchange };
  }
  if (invoiceNumber === "") {
    // Valid everywhere yet no number: FBR may have saved it, and we have no number to prove either way.
    return { kind: "in_doubt", reason: "a valid DI answer without an invoiceNumber", exchange };
  }
  return { kind: "accepted", invoiceNumber, ...dated, itemNumbers, exchange };
}

/** Said when FBR rejects without an error code: the code stays "" (never invented), the text says so. */
export const FBR_GAVE_NO_CODE = "FBR gave no code";

/** FBR's code exactly as sent ("" when it sent none), with a message that says so when it is missing. */
function fbrError(code: string, text: string): { code: string; message: string } {
  const trimmed = code.trim();
  if (trimmed !== "") return { code: trimmed, message: text };
  return { code: "", message: text.trim() === "" ? FBR_GAVE_NO_CODE : `${FBR_GAVE_NO_CODE}: ${text.trim()}` };
}

/**
 * The errors of a DI answer whose header says "01" but whose body does not fit the schema (items without
 * statusCode or status, odd types): every code and text FBR did send, read leniently. Undefined when the
 * header does not say "01".
 */
function oddHeaderRejection(json: unknown): PostOutcomeError[] | undefined {
  const header = field(json, "validationResponse");
  if (String(field(header, "statusCode") ?? "").trim() !== "01") return undefined;
  const textOf = (value: unknown) =>
    typeof value === "string" || typeof value === "number" ? String(value) : "";
  const errors: PostOutcomeError[] = [
    {
      ...fbrError(
        textOf(field(header, "errorCode")),
        textOf(field(header, "error")) || textOf(field(header, "status")),
      ),
      level: "header",
    },
  ];
  const items = field(header, "invoiceStatuses");
  if (Array.isArray(items)) {
    for (const item of items) {
      const code = textOf(field(item, "errorCode"));
      const text = textOf(field(item, "error"));
      // Only items that say something: a bare item (no code, no text) adds nothing to the header's error.
      if (code.trim() === "" && text.trim() === "") continue;
      const itemNumber = Number.parseInt(textOf(field(item, "itemSNo")), 10);
      errors.push({
        ...fbrError(code, text),
        level: "item",
        ...(Number.isFinite(itemNumber) ? { item: itemNumber } : {}),
      });
    }
  }
  return errors;
}

function field(source: unknown, key: string): unknown {
  return source !== null && typeof source === "object" && !Array.isArray(source)
    ? (source as Record<string, unknown>)[key]
    : undefined;
}

/** IMS PostData answer under a 2xx (FBR-SPEC §11): Code "100" (as a string) and a real fiscal number. */
function classifyImsAnswer(json: unknown, exchange: Exchange): PostOutcome {
  const parsed = parseWire(imsResponseSchema, json);
  if (!parsed.ok) {
    const first = parsed.issues[0];
    const where =
      first === undefined ? "" : `: ${first.path === "" ? "(root)" : first.path}: ${first.message}`;
    return { kind: "in_doubt", reason: `the IMS answer lacks required fields${where}`, exchange };
  }
  const answer = parsed.value;
  const code = answer.Code.trim();
  const fiscalNumber = imsFiscalNumber(answer);
  const stated = (
    answer.InvoiceNumber ?? (typeof answer.FBRInvoiceNumber === "string" ? answer.FBRInvoiceNumber : "")
  )
    .trim()
    .toLowerCase();

  if (code === "100") {
    // Accepted only with a real number; the older KB shape sends it as a 20-digit JSON number under
    // FBRInvoiceNumber, which parseFbrJson keeps exact as a string.
    if (fiscalNumber !== undefined)
      return { kind: "accepted", invoiceNumber: fiscalNumber, itemNumbers: [], exchange };
    if (stated === "not available") {
      // "Not Available" means no fiscal number was issued: FBR did not record the sale.
      return {
        kind: "rejected",
        errors: [
          {
            code,
            message: imsMessage(answer.Response, answer.Errors, "no fiscal number issued"),
            level: "header",
          },
        ],
        exchange,
      };
    }
    return { kind: "in_doubt", reason: 'IMS Code "100" without a fiscal invoice number', exchange };
  }
  if (code === "") return { kind: "in_doubt", reason: "an IMS answer with an empty Code", exchange };
  // Any other Code ("102" Invalid data received, "402" creation failed, ...) is a refusal.
  return {
    kind: "rejected",
    errors: [
      { code, message: imsMessage(answer.Response, answer.Errors, `IMS Code ${code}`), level: "header" },
    ],
    exchange,
  };
}

function imsMessage(response: string, errors: unknown, fallback: string): string {
  const parts = [response.trim()];
  if (typeof errors === "string" && errors.trim() !== "") parts.push(errors.trim());
  else if (Array.isArray(errors) && errors.length > 0)
    parts.push(errors.map((entry) => describeUnknown(entry)).join("; "));
  else if (errors !== null && typeof errors === "object") parts.push(describeUnknown(errors));
  const text = parts.filter((part) => part !== "").join(": ");
  return text === "" ? fallback : text;
}

function describeUnknown(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function diHeaderErrorText(json: unknown): string | undefined {
  const parsed = json === undefined ? undefined : parseWire(diResponseSchema, json);
  if (parsed?.ok !== true) return undefined;
  const header = parsed.value.validationResponse;
  const code = header.errorCode ?? "";
  return `${code === "" ? "" : `${code} `}${header.error}`.trim() || undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Transport failures: was the request written before it failed?
//
// fetch (undici) rejects with `TypeError("fetch failed")` whose `cause` is the real error. Observed on
// Node 20 against 127.0.0.1 (see transport-errors.test.ts, which provokes each one for real):
//   closed port                    → cause { code: "ECONNREFUSED", syscall: "connect" }
//   unknown host                   → cause { code: "ENOTFOUND", syscall: "getaddrinfo" }
//   plain HTTP server on https://  → cause { code: "ERR_SSL_WRONG_VERSION_NUMBER" }
//   socket closed after our body   → cause SocketError { code: "UND_ERR_SOCKET", socket: { bytesWritten > 0 } }
//   TCP RST after our body         → cause { code: "ECONNRESET", syscall: "read" }
//   our AbortSignal timeout        → DOMException { name: "TimeoutError" } (or "AbortError" for abort())
// A timeout says nothing about writing by itself, so the client also asks undici's diagnostics channels
// (internal/write-tracker.ts) and passes the answer in as `requestWritten`, which outranks the codes.
// ---------------------------------------------------------------------------------------------------------

/** Codes that can only happen before a single byte of the request is written. */
const NEVER_WRITTEN_CODES = new Set([
  // Name resolution failed: there was no address to send to.
  "ENOTFOUND",
  "EAI_AGAIN",
  "EAI_FAIL",
  "EAI_NONAME",
  "EAI_NODATA",
  // The TCP connection was never established.
  "ECONNREFUSED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EHOSTDOWN",
  "ENETDOWN",
  "EADDRNOTAVAIL",
  "UND_ERR_CONNECT_TIMEOUT",
  // A URL or option fetch refused up front.
  "ERR_INVALID_URL",
  "UND_ERR_INVALID_ARG",
  // TLS failed during the handshake; the HTTP request is only written after a successful handshake.
  "EPROTO",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "HOSTNAME_MISMATCH",
]);

const TLS_CODE_PREFIXES = ["ERR_TLS_", "ERR_SSL_", "CERT_", "UNABLE_TO_"];

/** Syscalls that belong to the connection phase: whatever their code, nothing was written yet. */
const CONNECT_SYSCALLS = new Set(["connect", "getaddrinfo", "getaddrinfoAsync", "queryA", "queryAaaa"]);

interface ErrorFacts {
  name?: string;
  message: string;
  code?: string;
  syscall?: string;
  bytesWritten?: number;
}

/** Flattens an error and its `cause` chain (fetch wraps the undici error) into facts, outermost first. */
function errorChain(error: unknown): ErrorFacts[] {
  const chain: ErrorFacts[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    if (typeof current !== "object") {
      chain.push({ message: String(current) });
      break;
    }
    const record = current as Record<string, unknown>;
    const socket = record.socket as Record<string, unknown> | undefined;
    chain.push({
      ...(typeof record.name === "string" ? { name: record.name } : {}),
      message: typeof record.message === "string" ? record.message : "",
      ...(typeof record.code === "string" ? { code: record.code } : {}),
      ...(typeof record.syscall === "string" ? { syscall: record.syscall } : {}),
      ...(socket !== undefined && typeof socket === "object" && typeof socket.bytesWritten === "number"
        ? { bytesWritten: socket.bytesWritten }
        : {}),
    });
    current = record.cause;
  }
  return chain;
}

function describeError(error: unknown): string {
  const chain = errorChain(error);
  if (chain.length === 0) return "no error was recorded";
  // The innermost error says what happened ("connect ECONNREFUSED 127.0.0.1:8244"); the outer is "fetch failed".
  const innermost = chain[chain.length - 1] as ErrorFacts;
  const code =
    innermost.code !== undefined && !innermost.message.includes(innermost.code) ? `${innermost.code}: ` : "";
  return `${code}${innermost.message || innermost.name || "unknown error"}`;
}

/**
 * Decides not_sent vs in_doubt for an attempt that produced no HTTP status. The rule: `not_sent` only
 * on positive proof that the request was never written; everything else, including errors we have never
 * seen, is `in_doubt`.
 */
export function classifyTransportFailure(
  error: unknown,
  timedOut: boolean,
  timeoutMs?: number,
  requestWritten?: boolean,
): { kind: "not_sent" | "in_doubt"; reason: string } {
  const chain = errorChain(error);
  const description = describeError(error);

  // The transport itself said it never wrote the headers (undici queued the request, then it failed or
  // timed out while connecting / in the TLS handshake): nothing of the request left this machine.
  if (requestWritten === false) {
    const stage = timedOut ? `no connection within ${timeoutMs ?? "?"} ms` : description;
    return { kind: "not_sent", reason: `the request was never written (${stage})` };
  }
  // The headers were written: from here on FBR may have the request, so nothing below may say not_sent.
  if (requestWritten === true) {
    const within = timedOut && timeoutMs !== undefined ? `no answer within ${timeoutMs} ms` : description;
    return { kind: "in_doubt", reason: `the request was written but no answer came back: ${within}` };
  }

  // Our timeout (or a caller's abort) fired and the transport could not say whether it had written the
  // request. The body normally leaves within a millisecond of connecting, so a request that waited long
  // enough to time out has probably reached FBR. In doubt.
  if (timedOut || chain.some((fact) => fact.name === "TimeoutError" || fact.name === "AbortError")) {
    const within = timeoutMs === undefined ? "" : ` within ${timeoutMs} ms`;
    return {
      kind: "in_doubt",
      reason: `no answer${within} (the request may have been written): ${description}`,
    };
  }

  for (const fact of chain) {
    // DNS, refused/unreachable connection, connect timeout, TLS handshake failure: never written.
    if (fact.code !== undefined && NEVER_WRITTEN_CODES.has(fact.code)) {
      return { kind: "not_sent", reason: `the request was never written: ${description}` };
    }
    if (fact.code !== undefined && TLS_CODE_PREFIXES.some((prefix) => fact.code?.startsWith(prefix))) {
      return { kind: "not_sent", reason: `TLS failed before the request was written: ${description}` };
    }
    // Any error raised by the connect/lookup syscall happened before there was a connection to write to.
    if (fact.syscall !== undefined && CONNECT_SYSCALLS.has(fact.syscall)) {
      return { kind: "not_sent", reason: `the connection was never established: ${description}` };
    }
    // Node's TLS socket reports a reset during the handshake with this message; the request comes after.
    if (fact.message.includes("before secure TLS connection was established")) {
      return { kind: "not_sent", reason: `TLS failed before the request was written: ${description}` };
    }
    // undici's SocketError carries the socket's byte counters: zero bytes written is proof nothing left.
    // (On a reused keep-alive socket the counter includes earlier requests, so > 0 proves nothing.)
    if (fact.code === "UND_ERR_SOCKET" && fact.bytesWritten === 0) {
      return {
        kind: "not_sent",
        reason: `the connection closed before anything was written: ${description}`,
      };
    }
  }

  // ECONNRESET/EPIPE on read or write, UND_ERR_SOCKET "other side closed" after our bytes, headers or
  // body timeouts, and anything unknown: the request may have reached FBR.
  return {
    kind: "in_doubt",
    reason: `the connection failed after the request may have been written: ${description}`,
  };
}

/** A response header by case-insensitive name, from fetch's Headers or a plain record. */
function headerValue(
  headers: Headers | Readonly<Record<string, string>> | undefined,
  name: string,
): string | undefined {
  if (headers === undefined) return undefined;
  if (typeof Headers !== "undefined" && headers instanceof Headers) return headers.get(name) ?? undefined;
  const record = headers as Readonly<Record<string, string>>;
  const key = Object.keys(record).find((candidate) => candidate.toLowerCase() === name);
  return key === undefined ? undefined : record[key];
}

/**
 * Retry-After in milliseconds: delta-seconds ("120") or an HTTP date, relative to `now`. Undefined
 * when absent or unreadable; never negative.
 */
export function parseRetryAfter(
  headers: Headers | Readonly<Record<string, string>> | undefined,
  now: number = Date.now(),
): number | undefined {
  if (headers === undefined) return undefined;
  let raw: string | null | undefined;
  if (typeof Headers !== "undefined" && headers instanceof Headers) raw = headers.get("retry-after");
  else {
    const record = headers as Readonly<Record<string, string>>;
    const key = Object.keys(record).find((name) => name.toLowerCase() === "retry-after");
    raw = key === undefined ? undefined : record[key];
  }
  if (raw === undefined || raw === null) return undefined;
  const value = raw.trim();
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

function inRange(code: number, range: { from: number; to: number }): boolean {
  return code >= range.from && code <= range.to;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…[truncated ${text.length - max} chars]`;
}

function firstLine(text: string): string {
  const line = text.trim().split(/\r?\n/, 1)[0] ?? "";
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
