// Hostile input of any shape or depth gets issues, never a throw: a validator sits in front of tills and
// gateways, and a stack overflow there would turn one bad body into a failed request (or a crashed process).
import { describe, expect, it } from "vitest";
import { validateDiInvoice } from "./di.ts";
import { validateImsInvoice } from "./ims.ts";
import type { ValidationResult } from "./types.ts";
import { basePayload, diContext } from "./vectors/vector-runner.ts";

const DEPTH = 100_000;

function nestedObject(depth: number): unknown {
  let value: unknown = {};
  for (let level = 0; level < depth; level++) value = { a: value };
  return value;
}

function nestedArray(depth: number): unknown {
  let value: unknown = [];
  for (let level = 0; level < depth; level++) value = [value];
  return value;
}

const deepObject = nestedObject(DEPTH);
const deepArray = nestedArray(DEPTH);

type Validator = (input: unknown) => ValidationResult;

const validators: { name: string; base: string; itemsKey: string; validate: Validator }[] = [
  {
    name: "validateDiInvoice",
    base: "di-sale",
    itemsKey: "items",
    validate: (input) => validateDiInvoice(input, diContext()),
  },
  {
    name: "validateImsInvoice",
    base: "ims-sale",
    itemsKey: "Items",
    validate: (input) => validateImsInvoice(input),
  },
];

/**
 * Free-text fields the validators do not type-check today (PRAL's own handling of a non-string there is
 * unknown): a nested value in them must still not throw, but it raises no issue of its own.
 */
const FIELDS_NOT_TYPE_CHECKED = new Set([
  "invoiceRefNo",
  "items[0].productDescription",
  "items[0].sroScheduleNo",
  "items[0].sroItemSerialNo",
  "InvoiceNumber",
]);

function validateWithoutThrowing(validate: Validator, input: unknown): ValidationResult {
  const result = validate(input);
  // Messages describe a value without dumping it: a megabyte body must not come back as a megabyte error.
  for (const issue of result.issues) expect(issue.message.length).toBeLessThan(400);
  return result;
}

function expectIssuesNotThrow(validate: Validator, input: unknown): ValidationResult {
  const result = validateWithoutThrowing(validate, input);
  expect(result.valid).toBe(false);
  expect(result.issues.length).toBeGreaterThan(0);
  return result;
}

for (const { name, base, itemsKey, validate } of validators) {
  describe(`${name} on ${DEPTH.toLocaleString("en")}-level nesting`, () => {
    it("answers issues for a nested body, nested items and a nested line", () => {
      expect(validate(basePayload(base)).valid).toBe(true);
      expectIssuesNotThrow(validate, deepObject);
      expectIssuesNotThrow(validate, deepArray);
      const payload = basePayload(base) as Record<string, unknown>;
      expectIssuesNotThrow(validate, { ...payload, [itemsKey]: deepArray });
      expectIssuesNotThrow(validate, { ...payload, [itemsKey]: [deepObject] });
      expectIssuesNotThrow(validate, { ...payload, [itemsKey]: [deepArray, deepObject] });
    });

    it("answers issues when any one header or line field is nested", () => {
      const payload = basePayload(base) as Record<string, unknown>;
      const items = payload[itemsKey] as Record<string, unknown>[];
      const line = items[0] as Record<string, unknown>;
      for (const deep of [deepObject, deepArray]) {
        const paths = [
          ...Object.keys(payload)
            .filter((key) => key !== itemsKey)
            .map((field) => ({ path: field, input: { ...payload, [field]: deep } })),
          ...Object.keys(line).map((field) => ({
            path: `${itemsKey}[0].${field}`,
            input: { ...payload, [itemsKey]: [{ ...line, [field]: deep }] },
          })),
        ];
        for (const { path, input } of paths) {
          const result = validateWithoutThrowing(validate, input);
          if (FIELDS_NOT_TYPE_CHECKED.has(path)) continue;
          expect(result.valid, path).toBe(false);
          expect(
            result.issues.some((issue) => issue.path === path),
            path,
          ).toBe(true);
        }
      }
    });

    it("cuts long text short in messages and survives a cyclic object", () => {
      const payload = basePayload(base) as Record<string, unknown>;
      const field = itemsKey === "items" ? "invoiceDate" : "DateTime";
      const result = expectIssuesNotThrow(validate, { ...payload, [field]: "x".repeat(1_000_000) });
      expect(result.issues.find((issue) => issue.path === field)?.message).toContain("(1000000 characters)");
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      expectIssuesNotThrow(validate, { ...payload, [field]: cyclic });
    });
  });
}
