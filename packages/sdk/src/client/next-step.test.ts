import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { nextStep, nextStepAfterCrash, queuedRetryDelayMs } from "./next-step.ts";
import type { PostOutcome, PostOutcomeKind } from "./outcome.ts";

interface StepCase {
  name: string;
  outcome: { kind: PostOutcomeKind; retryAfterMs?: number };
  attempts: number;
  policy: { maxAttempts?: number; maxRetryDelayMs: number; random: number };
  expect: { next: string; fbrAnswered: boolean; delayMs?: number };
}

const vectors = JSON.parse(
  readFileSync(new URL("./vectors/next-step-cases.json", import.meta.url), "utf8"),
) as {
  cases: StepCase[];
  crashCases: { name: string; attemptOpen: boolean; provenUnsent?: boolean; expect: string }[];
};

const exchange = {
  url: "https://gw.fbr.gov.pk/di_data/v1/di/postinvoicedata_sb",
  requestBody: "{}",
  durationMs: 5,
};

/** A PostOutcome of the given kind with the fields the decision may read. */
function outcomeOf({ kind, retryAfterMs }: StepCase["outcome"]): PostOutcome {
  switch (kind) {
    case "accepted":
      return { kind, invoiceNumber: "7000007DI1747119701593", itemNumbers: [], exchange };
    case "rejected":
      return { kind, errors: [{ code: "0052", message: "HS code", level: "item", item: 1 }], exchange };
    case "unauthorised":
      return { kind, reason: "401 from FBR", exchange };
    case "throttled":
      return {
        kind,
        reason: "429 from FBR",
        exchange,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      };
    case "not_sent":
      return { kind, reason: "ECONNREFUSED" };
    case "in_doubt":
      return { kind, reason: "timed out after the request was written" };
  }
}

describe("nextStep (vectors/next-step-cases.json)", () => {
  it("covers every outcome kind", () => {
    const kinds = new Set(vectors.cases.map((c) => c.outcome.kind));
    expect([...kinds].sort()).toEqual([
      "accepted",
      "in_doubt",
      "not_sent",
      "rejected",
      "throttled",
      "unauthorised",
    ]);
  });

  for (const c of vectors.cases) {
    it(c.name, () => {
      const { random, ...rest } = c.policy;
      const step = nextStep(outcomeOf(c.outcome), c.attempts, { ...rest, random: () => random });
      expect(step.next).toBe(c.expect.next);
      expect(step.fbrAnswered).toBe(c.expect.fbrAnswered);
      expect(step.why.length).toBeGreaterThan(0);
      if (c.expect.delayMs !== undefined) {
        expect(step.next === "retrying" ? step.delayMs : undefined).toBe(c.expect.delayMs);
      } else {
        expect("delayMs" in step).toBe(c.expect.next === "retrying");
      }
    });
  }

  for (const c of vectors.crashCases) {
    it(`after a crash: ${c.name}`, () => {
      expect(nextStepAfterCrash(c.attemptOpen, c.provenUnsent).next).toBe(c.expect);
    });
  }

  it("queuedRetryDelayMs stays inside the jitter window with the real random source", () => {
    for (let i = 0; i < 200; i++) {
      const delay = queuedRetryDelayMs(4, undefined, 300_000);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(4_000);
    }
  });
});
