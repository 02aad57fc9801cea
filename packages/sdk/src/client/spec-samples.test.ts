// The response samples in spec/data (FBR-SPEC §3 and §11) classified straight from the files, so the
// classification follows the spec data if it is ever corrected.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { classifyPostOutcome, type PostEvidence } from "./outcome.ts";

const specData = (name: string) => new URL(`../../../../spec/data/${name}`, import.meta.url);
const diText = readFileSync(specData("di-response-samples.json"), "utf8");
const imsText = readFileSync(specData("ims.json"), "utf8");
const di = JSON.parse(diText) as Record<string, { status?: number; body?: unknown }>;
const ims = JSON.parse(imsText) as { responses: Record<string, unknown> };

const evidence = (
  channel: "di" | "ims",
  operation: "post" | "validate",
  status: number,
  body: string,
): PostEvidence => ({
  channel,
  operation,
  url: "https://gw.fbr.gov.pk/x",
  requestBody: "{}",
  durationMs: 1,
  response: { status, body },
});

describe("spec/data/di-response-samples.json", () => {
  it.each([
    ["postSuccess", "post", "accepted"],
    ["postInvalidHeader", "post", "rejected"],
    ["postInvalidItem", "post", "rejected"],
    ["validateValid", "validate", "accepted"],
    ["validateInvalid", "validate", "rejected"],
    ["http401_missingToken", "post", "unauthorised"],
    ["http401_invalidToken", "post", "unauthorised"],
  ] as const)("%s (%s) is %s", (key, operation, kind) => {
    const sample = di[key];
    expect(sample?.body).toBeDefined();
    const outcome = classifyPostOutcome(
      evidence("di", operation, sample?.status ?? 200, JSON.stringify(sample?.body)),
    );
    expect(outcome.kind).toBe(kind);
  });

  it("the item-level sample reports item 1 with 0046", () => {
    const outcome = classifyPostOutcome(
      evidence("di", "post", 200, JSON.stringify(di.postInvalidItem?.body)),
    );
    expect(outcome).toMatchObject({ kind: "rejected", errors: [{ code: "0046", level: "item", item: 1 }] });
  });
});

describe("spec/data/ims.json responses", () => {
  it("success_local is accepted with its number", () => {
    const outcome = classifyPostOutcome(
      evidence("ims", "post", 200, JSON.stringify(ims.responses.success_local)),
    );
    expect(outcome).toMatchObject({ kind: "accepted", invoiceNumber: "9000052011142444901" });
  });

  it("success_kb is accepted with the exact 20-digit number, read from the file's own text", () => {
    // JSON.parse would round 11000120181112000369; classify the raw object text instead.
    const raw = /"success_kb":\s*(\{[^}]*\})/.exec(imsText)?.[1] ?? "";
    expect(raw).toContain("11000120181112000369");
    const outcome = classifyPostOutcome(evidence("ims", "post", 200, raw));
    expect(outcome).toMatchObject({ kind: "accepted", invoiceNumber: "11000120181112000369" });
  });

  it("rejected_observed ('Not Available') is rejected", () => {
    const outcome = classifyPostOutcome(
      evidence("ims", "post", 200, JSON.stringify(ims.responses.rejected_observed)),
    );
    expect(outcome).toMatchObject({ kind: "rejected", errors: [{ code: "102" }] });
  });
});
