import { describe, expect, it } from "vitest";
import { canonicalJson } from "./canonical-json.ts";

/** The gateway's former definition: request hashes and the audit chain already stored depend on it. */
function sortedStringify(value: unknown): string {
  const sortKeys = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (v !== null && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(v).sort()) out[key] = sortKeys((v as Record<string, unknown>)[key]);
      return out;
    }
    return v;
  };
  return JSON.stringify(sortKeys(value));
}

describe("canonicalJson", () => {
  it.each([
    ["nested objects and arrays", { b: 1, a: [true, { d: null, c: "x" }], é: "ü", A: 2 }],
    ["undefined members are left out, undefined elements are null", { a: undefined, b: [undefined, 1] }],
    ["non-finite numbers are null", { a: Number.NaN, b: [Number.POSITIVE_INFINITY], c: -0 }],
    ["strings needing escapes", { 'q"uote': "line\nbreak\u2028", "": "" }],
    ["empty containers", { a: {}, b: [], c: [[], [{}]] }],
    ["scalars at the top", 12.5],
    ["null at the top", null],
  ])("writes %s exactly as the gateway's stored hashes expect", (_name, value) => {
    expect(canonicalJson(value)).toBe(sortedStringify(value));
    expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
  });

  it("gives the same text whatever the key order", () => {
    expect(canonicalJson({ a: 1, b: [1, { c: 2, d: 3 }] })).toBe(
      canonicalJson({ b: [1, { d: 3, c: 2 }], a: 1 }),
    );
    expect(canonicalJson({ a: "1" })).not.toBe(canonicalJson({ a: 1 }));
  });

  it("walks 100,000 levels of nesting without overflowing the stack", () => {
    let deep: unknown = { leaf: 1 };
    for (let i = 0; i < 100_000; i++) deep = i % 2 === 0 ? [deep] : { k: deep };
    const text = canonicalJson(deep);
    expect(text.length).toBeGreaterThan(100_000);
    expect(text.endsWith("}")).toBe(true);
  });
});
