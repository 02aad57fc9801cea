import { describe, expect, it } from "vitest";
import type { Exchange, PostOutcome } from "../client/outcome.ts";
import {
  FbrRejectedError,
  FbrThrottledError,
  FbrUnauthorisedError,
  FbrUnavailableError,
  InDoubtSubmissionError,
  NotSentError,
  QrCapacityError,
  RaseedError,
  raseedErrorFromOutcome,
  WireFormatError,
} from "./classes.ts";

const exchange = (status?: number): Exchange => ({
  url: "https://gw.fbr.gov.pk/di_data/v1/di/postinvoicedata",
  requestBody: "{}",
  durationMs: 5,
  ...(status !== undefined ? { status } : {}),
});

describe("raseedErrorFromOutcome", () => {
  const cases: [PostOutcome, new (...args: never[]) => RaseedError, string][] = [
    [
      {
        kind: "rejected",
        errors: [{ code: "0046", message: "Provide rate.", level: "item", item: 2 }],
        exchange: exchange(200),
      },
      FbrRejectedError,
      "fbr_rejected",
    ],
    [
      { kind: "unauthorised", reason: "Invalid Credentials", faultCode: 900901, exchange: exchange(401) },
      FbrUnauthorisedError,
      "fbr_unauthorised",
    ],
    [
      { kind: "throttled", reason: "429", retryAfterMs: 2000, exchange: exchange(429) },
      FbrThrottledError,
      "fbr_throttled",
    ],
    [{ kind: "throttled", reason: "503", exchange: exchange(503) }, FbrUnavailableError, "fbr_unavailable"],
    [{ kind: "throttled", reason: "404", exchange: exchange(404) }, FbrUnavailableError, "fbr_unavailable"],
    [{ kind: "not_sent", reason: "ECONNREFUSED" }, NotSentError, "not_sent"],
    [{ kind: "in_doubt", reason: "timeout", exchange: exchange() }, InDoubtSubmissionError, "in_doubt"],
  ];

  it.each(cases.map(([outcome, type, code]) => [outcome.kind, outcome, type, code] as const))(
    "%s picks its class",
    (_kind, outcome, type, code) => {
      const error = raseedErrorFromOutcome(outcome);
      expect(error).toBeInstanceOf(type);
      expect(error).toBeInstanceOf(RaseedError);
      expect(error).toBeInstanceOf(Error);
      expect(error?.code).toBe(code);
      expect(error?.name).toBe(type.name);
      expect(error?.docsUrl).toMatch(/\.md(#[a-z-]+|#\d{4})?$/);
    },
  );

  it("returns nothing for an accepted outcome", () => {
    const accepted: PostOutcome = {
      kind: "accepted",
      invoiceNumber: "7000007DI1",
      itemNumbers: [],
      exchange: exchange(200),
    };
    expect(raseedErrorFromOutcome(accepted)).toBeUndefined();
  });

  it("carries what is known", () => {
    const rejected = raseedErrorFromOutcome(cases[0]?.[0] as PostOutcome) as FbrRejectedError;
    expect(rejected.message).toContain("0046 (item 2): Provide rate.");
    expect(rejected.errors).toHaveLength(1);
    expect(rejected.status).toBe(200);
    expect(rejected.docsUrl).toBe("docs/errors.md#0046");
    const refusedPath = raseedErrorFromOutcome({
      kind: "rejected",
      errors: [{ code: "HTTP404", message: "Not Found", level: "header" }],
      exchange: exchange(404),
    });
    // HTTP404 is no FBR code, so there is no row to link: the outcome's own page explains it.
    expect(refusedPath?.docsUrl).toBe("packages/sdk/src/client/README.md#fbr-rejected");
    const throttled = raseedErrorFromOutcome(cases[2]?.[0] as PostOutcome) as FbrThrottledError;
    expect(throttled.retryAfterMs).toBe(2000);
    expect(throttled.message).toContain("retry after 2 s");
    const unauthorised = raseedErrorFromOutcome(cases[1]?.[0] as PostOutcome) as FbrUnauthorisedError;
    expect(unauthorised.faultCode).toBe(900901);
  });
});

describe("RaseedError", () => {
  it("redacts its details and serialises without secrets", () => {
    const error = new WireFormatError("a DI invoice", [
      { path: "items[0].rate", message: "expected a string" },
    ]);
    expect(error.message).toBe(
      "a DI invoice does not match the FBR wire format: items[0].rate: expected a string",
    );
    const withSecret = new RaseedError("invalid_option", "bad", {
      details: { token: "abc", note: "Bearer xyz" },
    });
    expect(JSON.stringify(withSecret)).not.toMatch(/abc|xyz/);
    expect(withSecret.toJSON()).toMatchObject({ code: "invalid_option", details: { token: "[REDACTED]" } });
  });

  it("QrCapacityError names the limit", () => {
    const error = new QrCapacityError("too long", 40, 38);
    expect(error).toMatchObject({ code: "qr_capacity", length: 40, maxLength: 38 });
  });
});
