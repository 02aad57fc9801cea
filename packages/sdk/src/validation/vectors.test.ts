import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { validateDiInvoice } from "./di.ts";
import { validateImsInvoice } from "./ims.ts";
import type { ValidationIssue } from "./types.ts";
import {
  applyMutations,
  basePayload,
  diContext,
  type ExpectedIssue,
  imsContext,
  loadVectorFiles,
} from "./vectors/vector-runner.ts";

function summarise(issues: readonly (ValidationIssue | ExpectedIssue)[]): string[] {
  return issues.map((issue) => `${issue.code} item=${issue.item ?? "-"} field=${issue.field}`).sort();
}

const files = loadVectorFiles();

for (const file of files) {
  describe(`validation vectors: ${file.file}`, () => {
    for (const vector of file.vectors) {
      it(vector.name, () => {
        const payload = applyMutations(basePayload(vector.base), vector.mutations);
        const di = file.kind === "di" ? validateDiInvoice(payload, diContext(vector.context)) : undefined;
        const result = di ?? validateImsInvoice(payload, imsContext(vector.context));
        expect(summarise(result.issues)).toEqual(summarise(vector.expect));
        expect(result.valid).toBe(vector.expect.length === 0);
        if (vector.fbrWillCheck !== undefined && di !== undefined) {
          const pending = di.fbrWillCheck.map((check) => `${check.rule} ${check.codes.join(",")}`);
          const wanted = vector.fbrWillCheck.map((check) => `${check.rule} ${check.codes.join(",")}`);
          expect(pending.sort()).toEqual(wanted.sort());
          const verdict =
            vector.expect.length > 0 ? "invalid" : wanted.length > 0 ? "valid-fbr-will-check" : "valid";
          expect(di.verdict).toBe(verdict);
        }
        for (const issue of result.issues) {
          expect(issue.message.length).toBeGreaterThan(0);
          expect(issue.fix.length).toBeGreaterThan(0);
          expect(issue.level).toBe(issue.item === undefined ? "header" : "item");
          if (issue.item !== undefined) {
            const line = `${file.kind === "di" ? "items" : "Items"}[${issue.item - 1}]`;
            expect(issue.path).toBe(issue.field === "" ? line : `${line}.${issue.field}`);
          } else {
            expect(issue.path).toBe(issue.field);
          }
        }
      });
    }
  });
}

describe("validation vectors cover every rule", () => {
  // Every code literal in a validator's source appears in at least one vector's expectations, so no rule is
  // untested. DI also raises the tax module's mismatch codes (0102-0105) through expectedSalesTax.
  const emitted = (source: string) =>
    new Set([...source.matchAll(/"(\d{4}|RDI\d\d|RIMS\d\d)"/g)].map((match) => match[1] as string));
  // A code also counts as covered when a vector expects it among the checks left to FBR.
  const expected = new Set(
    files.flatMap((file) =>
      file.vectors.flatMap((v) => [
        ...v.expect.map((e) => e.code),
        ...(v.fbrWillCheck ?? []).flatMap((check) => check.codes),
      ]),
    ),
  );

  it("DI: each code emitted by di.ts has a vector", () => {
    const codes = emitted(readFileSync(new URL("./di.ts", import.meta.url), "utf8"));
    for (const taxCode of ["0102", "0103", "0104", "0105"]) codes.add(taxCode);
    expect(codes.size).toBeGreaterThan(45);
    expect([...codes].filter((code) => !expected.has(code))).toEqual([]);
  });

  it("IMS: each code emitted by ims.ts has a vector", () => {
    const codes = emitted(readFileSync(new URL("./ims.ts", import.meta.url), "utf8"));
    expect(codes.size).toBeGreaterThan(10);
    expect([...codes].filter((code) => !expected.has(code))).toEqual([]);
  });
});
