import { describe, expect, it } from "vitest";
import { FbrRejectedError, InDoubtSubmissionError, InvalidOptionError } from "../errors/classes.ts";
import type { DiInvoice } from "../wire/di.ts";
import type { ImsInvoice } from "../wire/ims.ts";
import {
  assertAccepted,
  type ClientAttemptEvent,
  DiClient,
  type FbrClientOptions,
  ImsClient,
} from "./index.ts";
import { decideRetry, RETRY_MAX_DELAY_MS, retryDelayMs } from "./retry.ts";

const TOKEN = "sandbox-demo-token-0123456789";

interface Call {
  url: string;
  init: RequestInit;
}

/** A fake transport: answers (or throws) from a script, one entry per call, and records each call. */
function scriptedFetch(script: (() => Response | Promise<Response>)[]) {
  const calls: Call[] = [];
  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(input), init: init ?? {} });
    const next = script[Math.min(calls.length - 1, script.length - 1)];
    if (next === undefined) throw new Error("script is empty");
    return next();
  }) as typeof fetch;
  return { fetchImpl, calls };
}

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}) =>
  () =>
    new Response(JSON.stringify(body), {
      status,
      headers: { "content-type": "application/json", ...headers },
    });

const refused = () => {
  throw new TypeError("fetch failed", {
    cause: Object.assign(new Error(`connect ECONNREFUSED 127.0.0.1:1`), {
      code: "ECONNREFUSED",
      syscall: "connect",
    }),
  });
};
const resetAfterWrite = () => {
  throw new TypeError("fetch failed", {
    cause: Object.assign(new Error("other side closed"), {
      code: "UND_ERR_SOCKET",
      socket: { bytesWritten: 300 },
    }),
  });
};

const diSuccess = {
  invoiceNumber: "7000007DI1747119701593",
  dated: "2025-05-13 12:01:41",
  validationResponse: {
    statusCode: "00",
    status: "Valid",
    error: "",
    invoiceStatuses: [
      {
        itemSNo: "1",
        statusCode: "00",
        status: "Valid",
        invoiceNo: "7000007DI1747119701593-1",
        errorCode: "",
        error: "",
      },
    ],
  },
};

const invoice = { invoiceType: "Sale Invoice", scenarioId: "SN001", items: [] } as unknown as DiInvoice;
const imsInvoice = { InvoiceNumber: "", POSID: 110014, USIN: "U1", Items: [] } as unknown as ImsInvoice;

function client(fetchImpl: typeof fetch, options: Partial<FbrClientOptions> = {}) {
  const sleeps: number[] = [];
  const events: ClientAttemptEvent[] = [];
  const di = new DiClient({
    token: TOKEN,
    environment: "sandbox",
    fetch: fetchImpl,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    onAttempt: (event) => events.push(event),
    ...options,
  });
  return { di, sleeps, events };
}

describe("DiClient", () => {
  it("posts to the sandbox _sb path with a Bearer token and keeps scenarioId", async () => {
    const { fetchImpl, calls } = scriptedFetch([json(200, diSuccess)]);
    const outcome = await client(fetchImpl).di.postInvoice(invoice);
    expect(outcome).toMatchObject({ kind: "accepted", invoiceNumber: "7000007DI1747119701593" });
    expect(calls[0]?.url).toBe("https://gw.fbr.gov.pk/di_data/v1/di/postinvoicedata_sb");
    expect(calls[0]?.init.method).toBe("POST");
    expect(new Headers(calls[0]?.init.headers).get("authorization")).toBe(`Bearer ${TOKEN}`);
    expect(JSON.parse(String(calls[0]?.init.body))).toEqual(invoice);
  });

  it("uses production paths and strips scenarioId there", async () => {
    const { fetchImpl, calls } = scriptedFetch([json(200, diSuccess), json(200, diSuccess)]);
    const { di } = client(fetchImpl, { environment: "production", baseUrl: "http://127.0.0.1:8244/" });
    await di.postInvoice(invoice);
    await di.validateInvoice(invoice);
    expect(calls.map((call) => call.url)).toEqual([
      "http://127.0.0.1:8244/di_data/v1/di/postinvoicedata",
      "http://127.0.0.1:8244/di_data/v1/di/validateinvoicedata",
    ]);
    for (const call of calls) expect(JSON.parse(String(call.init.body))).not.toHaveProperty("scenarioId");
  });

  it("posts an invoice's JSON text as it is, and drops scenarioId from it only in production", async () => {
    // Spacing and key order JSON.stringify would not write: kept byte for byte.
    const text = '{ "scenarioId": "SN001",  "invoiceType": "Sale Invoice", "items": [] }';
    const sandbox = scriptedFetch([json(200, diSuccess)]);
    const outcome = await client(sandbox.fetchImpl).di.postInvoiceJson(text);
    expect(outcome).toMatchObject({ kind: "accepted", invoiceNumber: "7000007DI1747119701593" });
    expect(sandbox.calls[0]?.url).toBe("https://gw.fbr.gov.pk/di_data/v1/di/postinvoicedata_sb");
    expect(sandbox.calls[0]?.init.body).toBe(text);

    const production = scriptedFetch([json(200, diSuccess), json(200, diSuccess)]);
    const { di } = client(production.fetchImpl, { environment: "production" });
    await di.postInvoiceJson(text);
    // "scenarioId" only as a value: nothing to drop, the text goes as it is.
    const asValue = '{"invoiceType":"Sale Invoice","items":[{"productDescription":"scenarioId"}]}';
    await di.postInvoiceJson(asValue);
    expect(production.calls.map((call) => call.init.body)).toEqual([
      JSON.stringify({ invoiceType: "Sale Invoice", items: [] }),
      asValue,
    ]);
    expect(() => di.postInvoiceJson("[1, 2]")).toThrow(/expected a JSON object's text/);
  });

  it("validate in sandbox uses validateinvoicedata_sb and accepts without an invoiceNumber", async () => {
    const { invoiceNumber: _n, ...validOnly } = diSuccess;
    const { fetchImpl, calls } = scriptedFetch([json(200, validOnly)]);
    const outcome = await client(fetchImpl).di.validateInvoice(invoice);
    expect(calls[0]?.url).toBe("https://gw.fbr.gov.pk/di_data/v1/di/validateinvoicedata_sb");
    expect(outcome).toMatchObject({ kind: "accepted", invoiceNumber: "" });
  });

  it("retries not_sent with full-jitter backoff, then succeeds", async () => {
    const { fetchImpl, calls } = scriptedFetch([refused, refused, json(200, diSuccess)]);
    const { di, sleeps, events } = client(fetchImpl);
    const outcome = await di.postInvoice(invoice);
    expect(outcome.kind).toBe("accepted");
    expect(calls).toHaveLength(3);
    // random() = 0.5: half of 500 ms, then half of 1000 ms.
    expect(sleeps).toEqual([250, 500]);
    expect(events.map((event) => [event.kind, event.retryInMs])).toEqual([
      ["not_sent", 250],
      ["not_sent", 500],
      ["accepted", undefined],
    ]);
  });

  it("stops after maxRetries and returns the last outcome", async () => {
    const { fetchImpl, calls } = scriptedFetch([refused]);
    const outcome = await client(fetchImpl, { maxRetries: 1 }).di.postInvoice(invoice);
    expect(outcome.kind).toBe("not_sent");
    expect(calls).toHaveLength(2);
  });

  it("honours Retry-After on throttling", async () => {
    const { fetchImpl, calls } = scriptedFetch([json(429, {}, { "Retry-After": "3" }), json(200, diSuccess)]);
    const { di, sleeps } = client(fetchImpl);
    expect((await di.postInvoice(invoice)).kind).toBe("accepted");
    expect(calls).toHaveLength(2);
    expect(sleeps).toEqual([3000]);
  });

  it("hands back a throttle whose Retry-After is longer than it will wait", async () => {
    const { fetchImpl, calls } = scriptedFetch([json(503, {}, { "Retry-After": "3600" })]);
    const outcome = await client(fetchImpl).di.postInvoice(invoice);
    expect(outcome).toMatchObject({ kind: "throttled", retryAfterMs: 3_600_000 });
    expect(calls).toHaveLength(1);
  });

  it.each([
    ["in_doubt (reset after write)", resetAfterWrite],
    ["in_doubt (HTTP 500)", json(500, { message: "boom" })],
    [
      "rejected",
      json(200, {
        validationResponse: {
          statusCode: "01",
          status: "Invalid",
          errorCode: "0052",
          error: "x",
          invoiceStatuses: null,
        },
      }),
    ],
    ["unauthorised", json(401, { fault: { code: 900901, message: "Invalid Credentials", description: "" } })],
  ] as const)("never retries %s", async (_name, answer) => {
    const { fetchImpl, calls } = scriptedFetch([answer, json(200, diSuccess)]);
    const { di, sleeps } = client(fetchImpl, { maxRetries: 5 });
    const outcome = await di.postInvoice(invoice);
    expect(outcome.kind).not.toBe("accepted");
    expect(calls).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it("times out a transport that never answers as in_doubt (even one that ignores the signal)", async () => {
    const never = (() => new Promise<Response>(() => {})) as unknown as typeof fetch;
    const outcome = await client(never, { timeoutMs: 50 }).di.postInvoice(invoice);
    expect(outcome.kind).toBe("in_doubt");
    if (outcome.kind === "in_doubt") expect(outcome.reason).toContain("within 50 ms");
  });

  it("times out a body that stalls after the headers as in_doubt", async () => {
    const stalled = (async () =>
      new Response(new ReadableStream({ start() {} }), { status: 200 })) as unknown as typeof fetch;
    const outcome = await client(stalled, { timeoutMs: 50 }).di.postInvoice(invoice);
    expect(outcome).toMatchObject({ kind: "in_doubt", exchange: { status: 200 } });
  });

  it("never lets the token reach outcomes, attempt events or errors", async () => {
    const leaky = () => {
      throw new TypeError("fetch failed", {
        cause: Object.assign(new Error(`connect ECONNREFUSED (Authorization: Bearer ${TOKEN})`), {
          code: "ECONNREFUSED",
        }),
      });
    };
    const echo = json(401, {
      fault: { code: 900901, message: "Invalid Credentials", description: `token ${TOKEN} unknown` },
    });
    for (const answer of [leaky, echo, resetAfterWrite]) {
      const { fetchImpl } = scriptedFetch([answer]);
      const { di, events } = client(fetchImpl, { maxRetries: 1 });
      const outcome = await di.postInvoice(invoice);
      expect(JSON.stringify(outcome)).not.toContain(TOKEN);
      expect(JSON.stringify(events)).not.toContain(TOKEN);
      if (outcome.kind !== "accepted") {
        let thrown: unknown;
        try {
          assertAccepted(outcome);
        } catch (error) {
          thrown = error;
        }
        expect(thrown).toBeInstanceOf(Error);
        expect(`${String(thrown)} ${JSON.stringify(thrown)} ${(thrown as Error).stack}`).not.toContain(TOKEN);
      }
    }
  });

  it("assertAccepted returns the accepted outcome and throws the factory's class otherwise", async () => {
    const { fetchImpl } = scriptedFetch([json(200, diSuccess)]);
    expect(assertAccepted(await client(fetchImpl).di.postInvoice(invoice)).invoiceNumber).toBe(
      "7000007DI1747119701593",
    );
    const { fetchImpl: rejecting } = scriptedFetch([
      json(200, {
        validationResponse: {
          statusCode: "01",
          status: "Invalid",
          errorCode: "0052",
          error: "x",
          invoiceStatuses: null,
        },
      }),
    ]);
    const rejected = await client(rejecting).di.postInvoice(invoice);
    expect(() => assertAccepted(rejected)).toThrow(FbrRejectedError);
    const { fetchImpl: lost } = scriptedFetch([resetAfterWrite]);
    const inDoubt = await client(lost).di.postInvoice(invoice);
    expect(() => assertAccepted(inDoubt)).toThrow(InDoubtSubmissionError);
  });

  it("refuses bad options and bad input with clear errors", () => {
    const { fetchImpl } = scriptedFetch([json(200, diSuccess)]);
    expect(() => new DiClient({ token: " ", environment: "sandbox" })).toThrow(InvalidOptionError);
    expect(() => new DiClient({ token: TOKEN, environment: "live" as "sandbox" })).toThrow(/environment/);
    expect(() => new DiClient({ token: TOKEN, environment: "sandbox", baseUrl: "not a url" })).toThrow(
      /baseUrl/,
    );
    expect(() => new DiClient({ token: TOKEN, environment: "sandbox", timeoutMs: 0 })).toThrow(/timeoutMs/);
    expect(() => new DiClient({ token: TOKEN, environment: "sandbox", maxRetries: -1 })).toThrow(
      /maxRetries/,
    );
    expect(() => client(fetchImpl).di.postInvoice(null as unknown as DiInvoice)).toThrow(
      /expected an object/,
    );
  });
});

describe("ImsClient", () => {
  it.each([
    ["sandbox", undefined, "https://esp.fbr.gov.pk:8244/FBR/v1/api/Live/PostData"],
    ["production", undefined, "https://gw.fbr.gov.pk/imsp/v1/api/Live/PostData"],
    ["sandbox", "http://127.0.0.1:9000", "http://127.0.0.1:9000/FBR/v1/api/Live/PostData"],
    ["production", "http://127.0.0.1:9000", "http://127.0.0.1:9000/imsp/v1/api/Live/PostData"],
  ] as const)("%s with baseUrl %s posts to %s", async (environment, baseUrl, expected) => {
    const { fetchImpl, calls } = scriptedFetch([
      json(200, { InvoiceNumber: "9000052011142444901", Code: "100", Response: "ok", Errors: null }),
    ]);
    const ims = new ImsClient({
      token: TOKEN,
      environment,
      fetch: fetchImpl,
      ...(baseUrl ? { baseUrl } : {}),
    });
    const outcome = await ims.postData(imsInvoice);
    expect(outcome).toMatchObject({ kind: "accepted", invoiceNumber: "9000052011142444901" });
    expect(calls[0]?.url).toBe(expected);
    expect(new Headers(calls[0]?.init.headers).get("authorization")).toBe(`Bearer ${TOKEN}`);
  });

  it("classifies 'Not Available' as rejected and does not retry it", async () => {
    const { fetchImpl, calls } = scriptedFetch([
      json(200, { Code: "102", Response: "Invalid data received", InvoiceNumber: "Not Available" }),
    ]);
    const ims = new ImsClient({ token: TOKEN, environment: "sandbox", fetch: fetchImpl, maxRetries: 3 });
    expect((await ims.postData(imsInvoice)).kind).toBe("rejected");
    expect(calls).toHaveLength(1);
  });
});

describe("retryDelayMs and decideRetry", () => {
  it("grows the full-jitter ceiling exponentially up to the cap", () => {
    expect([1, 2, 3, 4].map((attempt) => retryDelayMs(attempt, undefined, () => 0.999_999))).toEqual([
      499, 999, 1999, 3999,
    ]);
    expect(retryDelayMs(50, undefined, () => 0.999_999)).toBe(RETRY_MAX_DELAY_MS - 1);
    expect(retryDelayMs(1_000_000, undefined, () => 0.5)).toBe(RETRY_MAX_DELAY_MS / 2);
    expect(retryDelayMs(3, undefined, () => 0)).toBe(0);
    for (let run = 0; run < 200; run++) {
      const delay = retryDelayMs(4);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(4000);
    }
  });

  it("uses Retry-After as given", () => {
    expect(retryDelayMs(1, 2000, () => 0)).toBe(2000);
    expect(retryDelayMs(9, 0)).toBe(0);
  });

  it("is a decision list: only not_sent and throttled are retried", () => {
    const exchange = { url: "u", requestBody: "{}", durationMs: 1, status: 429 };
    const policy = { maxRetries: 2, maxRetryWaitMs: 60_000, random: () => 0 };
    expect(decideRetry({ kind: "not_sent", reason: "r" }, 1, policy).retry).toBe(true);
    expect(decideRetry({ kind: "throttled", reason: "r", exchange }, 2, policy).retry).toBe(true);
    expect(decideRetry({ kind: "throttled", reason: "r", exchange }, 3, policy).retry).toBe(false);
    expect(decideRetry({ kind: "in_doubt", reason: "r" }, 1, policy).retry).toBe(false);
    expect(decideRetry({ kind: "rejected", errors: [], exchange }, 1, policy).retry).toBe(false);
    expect(decideRetry({ kind: "unauthorised", reason: "r", exchange }, 1, policy).retry).toBe(false);
    expect(
      decideRetry({ kind: "accepted", invoiceNumber: "x", itemNumbers: [], exchange }, 1, policy).retry,
    ).toBe(false);
  });
});

describe("IMS authorities", () => {
  it("posts to the authority's own PostData: FBR by default, PRA (Punjab) on PRAL's IMS hosts", () => {
    const url = (options: Partial<FbrClientOptions> & { authority?: "fbr" | "pra" }) =>
      new ImsClient({ token: TOKEN, environment: "sandbox", ...options }).postDataUrl;
    expect(url({})).toBe("https://esp.fbr.gov.pk:8244/FBR/v1/api/Live/PostData");
    expect(url({ environment: "production" })).toBe("https://gw.fbr.gov.pk/imsp/v1/api/Live/PostData");
    expect(url({ authority: "pra" })).toBe("https://ims.pral.com.pk/ims/sandbox/api/Live/PostData");
    expect(url({ authority: "pra", environment: "production" })).toBe(
      "https://ims.pral.com.pk/ims/production/api/Live/PostData",
    );
    // A base URL (a relay, the simulator) replaces the host and keeps the authority's path.
    expect(url({ authority: "pra", baseUrl: "http://127.0.0.1:8244/" })).toBe(
      "http://127.0.0.1:8244/ims/sandbox/api/Live/PostData",
    );
  });
});

describe("IMS_AUTHORITIES", () => {
  it("is the table in spec/data/ims-authorities.json", async () => {
    const { readFileSync } = await import("node:fs");
    const spec = JSON.parse(
      readFileSync(new URL("../../../../spec/data/ims-authorities.json", import.meta.url), "utf8"),
    ) as {
      authorities: Record<
        string,
        { name: string; shortName: string; registrationLabel: string; postData: Record<string, string> }
      >;
    };
    const { IMS_AUTHORITIES } = await import("./ims-authorities.ts");
    for (const [key, facts] of Object.entries(IMS_AUTHORITIES)) {
      const row = spec.authorities[key];
      expect(row, key).toMatchObject({
        name: facts.name,
        shortName: facts.shortName,
        registrationLabel: facts.registrationLabel,
      });
      for (const environment of ["sandbox", "production"] as const) {
        const endpoint = facts.postData[environment];
        expect(row?.postData[environment], `${key} ${environment}`).toBe(
          `${endpoint.origin}${endpoint.path}`,
        );
      }
    }
    expect(Object.keys(spec.authorities).sort()).toEqual(Object.keys(IMS_AUTHORITIES).sort());
  });
});
