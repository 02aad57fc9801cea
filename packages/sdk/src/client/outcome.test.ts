import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { classifyPostOutcome, type PostEvidence, parseRetryAfter } from "./outcome.ts";

interface ErrorSpec {
  name: string;
  message: string;
  code?: string;
  syscall?: string;
  socket?: Record<string, number>;
  cause?: ErrorSpec;
}

interface GoldenCase {
  name: string;
  evidence: {
    channel: "di" | "ims";
    operation: "post" | "validate";
    now?: number;
    timedOut?: boolean;
    timeoutMs?: number;
    requestWritten?: boolean;
    response?: {
      status: number;
      headers?: Record<string, string>;
      json?: unknown;
      body?: string;
      bodyLost?: boolean;
    };
    error?: ErrorSpec;
  };
  expect: { kind: string; match?: Record<string, unknown>; reasonIncludes?: string; absent?: string[] };
}

const golden = JSON.parse(readFileSync(new URL("./vectors/outcome-cases.json", import.meta.url), "utf8")) as {
  cases: GoldenCase[];
};

/** Rebuilds the error object the transport would throw, with the same fields undici sets. */
function buildError(spec: ErrorSpec): Error {
  const error = new Error(
    spec.message,
    spec.cause === undefined ? undefined : { cause: buildError(spec.cause) },
  );
  error.name = spec.name;
  const extra = error as Error & Record<string, unknown>;
  if (spec.code !== undefined) extra.code = spec.code;
  if (spec.syscall !== undefined) extra.syscall = spec.syscall;
  if (spec.socket !== undefined) extra.socket = spec.socket;
  return error;
}

function toEvidence(input: GoldenCase["evidence"]): PostEvidence {
  const { response } = input;
  return {
    channel: input.channel,
    operation: input.operation,
    url: "https://gw.fbr.gov.pk/di_data/v1/di/postinvoicedata_sb",
    requestBody: '{"invoiceType":"Sale Invoice"}',
    durationMs: 12,
    ...(input.now !== undefined ? { now: input.now } : {}),
    ...(input.timedOut !== undefined ? { timedOut: input.timedOut } : {}),
    ...(input.timeoutMs !== undefined ? { timeoutMs: input.timeoutMs } : {}),
    ...(input.requestWritten !== undefined ? { requestWritten: input.requestWritten } : {}),
    ...(input.error !== undefined ? { error: buildError(input.error) } : {}),
    ...(response !== undefined
      ? {
          response: {
            status: response.status,
            ...(response.headers !== undefined ? { headers: response.headers } : {}),
            ...(response.bodyLost === true
              ? {}
              : {
                  body: response.body ?? (response.json === undefined ? "" : JSON.stringify(response.json)),
                }),
          },
        }
      : {}),
  };
}

describe("classifyPostOutcome: golden cases (spec/data samples and transport failures)", () => {
  it("covers every outcome kind", () => {
    const kinds = new Set(golden.cases.map((entry) => entry.expect.kind));
    expect([...kinds].sort()).toEqual([
      "accepted",
      "in_doubt",
      "not_sent",
      "rejected",
      "throttled",
      "unauthorised",
    ]);
  });

  it.each(golden.cases.map((entry) => [entry.name, entry] as const))("%s", (_name, entry) => {
    const evidence = toEvidence(entry.evidence);
    const outcome = classifyPostOutcome(evidence);
    expect(outcome.kind).toBe(entry.expect.kind);
    if (entry.expect.match !== undefined) expect(outcome).toMatchObject(entry.expect.match);
    if (entry.expect.reasonIncludes !== undefined) {
      expect("reason" in outcome ? outcome.reason : "").toContain(entry.expect.reasonIncludes);
    }
    for (const key of entry.expect.absent ?? []) expect(outcome).not.toHaveProperty(key);
    // The exchange is always the evidence, never more: no headers, so no token.
    expect(outcome.exchange).toMatchObject({
      url: evidence.url,
      requestBody: evidence.requestBody,
      durationMs: 12,
    });
    if (evidence.response !== undefined) expect(outcome.exchange?.status).toBe(evidence.response.status);
  });
});

describe("classifyPostOutcome: details", () => {
  const base = {
    channel: "di" as const,
    operation: "post" as const,
    url: "http://127.0.0.1:1/x",
    requestBody: "{}",
    durationMs: 1,
  };

  it("keeps header and item errors together on a header-level rejection that lists items", () => {
    const body = JSON.stringify({
      validationResponse: {
        statusCode: "01",
        status: "Invalid",
        errorCode: "0003",
        error: "Provide proper invoice type.",
        invoiceStatuses: [
          { itemSNo: "2", statusCode: "01", status: "Invalid", errorCode: "0046", error: "Provide rate." },
        ],
      },
    });
    const outcome = classifyPostOutcome({ ...base, response: { status: 200, body } });
    expect(outcome).toMatchObject({
      kind: "rejected",
      errors: [
        { code: "0003", level: "header" },
        { code: "0046", level: "item", item: 2 },
      ],
    });
  });

  it("scrubs a known token out of reasons and the recorded body", () => {
    const token = "tok-1234567890-secret";
    const body = JSON.stringify({
      fault: { code: 900901, message: "Invalid Credentials", description: `token ${token}` },
    });
    const outcome = classifyPostOutcome({ ...base, knownSecrets: [token], response: { status: 401, body } });
    expect(JSON.stringify(outcome)).not.toContain(token);
    const refused = classifyPostOutcome({
      ...base,
      knownSecrets: [token],
      error: new TypeError("fetch failed", {
        cause: Object.assign(new Error(`refused ${token}`), { code: "ECONNREFUSED" }),
      }),
    });
    expect(refused.kind).toBe("not_sent");
    expect(JSON.stringify(refused)).not.toContain(token);
  });

  it("caps a huge recorded body", () => {
    const outcome = classifyPostOutcome({
      ...base,
      response: { status: 502, body: "<html>".padEnd(200_000, "x") },
    });
    expect(outcome.exchange?.responseBody?.length).toBeLessThan(70_000);
    expect(outcome.exchange?.responseBody).toContain("truncated");
  });

  it("reads Retry-After as seconds, an HTTP date, or not at all", () => {
    const now = Date.parse("2025-05-13T09:53:20Z");
    expect(parseRetryAfter(new Headers({ "Retry-After": "120" }), now)).toBe(120_000);
    expect(parseRetryAfter({ "retry-after": "Tue, 13 May 2025 09:54:20 GMT" }, now)).toBe(60_000);
    expect(parseRetryAfter({ "Retry-After": "Tue, 13 May 2025 09:00:00 GMT" }, now)).toBe(0);
    expect(parseRetryAfter({ "Retry-After": "later" }, now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
