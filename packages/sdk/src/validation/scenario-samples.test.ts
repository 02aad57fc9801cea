import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { scenarioPralSample } from "../scenarios/index.ts";
import { validateDiInvoice } from "./di.ts";
import { scenarioIds } from "./vectors/scenario-samples.ts";
import { DEFAULT_VECTOR_NOW, type ExpectedIssue } from "./vectors/vector-runner.ts";

const exceptions = (
  JSON.parse(readFileSync(new URL("./vectors/scenario-sample-exceptions.json", import.meta.url), "utf8")) as {
    exceptions: Record<string, { issues: ExpectedIssue[]; reason: string }>;
  }
).exceptions;

function summarise(issues: readonly { code: string; item?: number; field: string }[]): string[] {
  return issues.map((issue) => `${issue.code} item=${issue.item ?? "-"} field=${issue.field}`).sort();
}

// Sandbox mode, as the samples are sandbox payloads; 2046004 is the sandbox's registered buyer (spec §5).
const sandboxContext = () => ({
  sandbox: true,
  now: new Date(DEFAULT_VECTOR_NOW),
  isRegisteredBuyer: (ntn: string) => ntn === "2046004",
});

describe("PRAL's 28 scenario samples", () => {
  it("there are 28, SN001-SN028", () => {
    expect(scenarioIds).toEqual(Array.from({ length: 28 }, (_, i) => `SN${String(i + 1).padStart(3, "0")}`));
  });

  for (const id of scenarioIds) {
    const exception = exceptions[id];
    it(
      exception === undefined
        ? `${id} validates clean`
        : `${id} is refused exactly as listed: ${exception.reason}`,
      () => {
        // The committed vector (spec/vectors/di), and PRAL's sample as published (numbers as strings, extra keys).
        const vector: unknown = JSON.parse(
          readFileSync(new URL(`../../../../spec/vectors/di/${id}.json`, import.meta.url), "utf8"),
        );
        for (const payload of [vector, scenarioPralSample(id)]) {
          const result = validateDiInvoice(payload, sandboxContext());
          expect(summarise(result.issues)).toEqual(summarise(exception?.issues ?? []));
        }
      },
    );
  }

  it("the exception list names only real scenarios, each with a reason", () => {
    for (const [id, exception] of Object.entries(exceptions)) {
      expect(scenarioIds).toContain(id);
      expect(exception.reason.length).toBeGreaterThan(40);
      expect(exception.issues.length).toBeGreaterThan(0);
    }
  });
});
