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

function nested(levels: number): unknown {
  let value: unknown = { b: 1, a: "leaf" };
  for (let i = 0; i < levels; i++) value = i % 2 === 0 ? [value, { z: i, y: i }] : { k: value, c: i };
  return value;
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

  it.each([
    [
      "the same key count with other keys, in turn",
      [
        { b: 1, a: 2 },
        { d: 1, c: 2 },
        { a: 2, b: 1 },
        { b: 3, a: 4 },
      ],
    ],
    [
      "one shape in two key orders",
      [
        { y: 1, x: { q: 1, p: 2 } },
        { x: { p: 2, q: 1 }, y: 1 },
      ],
    ],
    ["nesting past the fast path's depth", nested(150)],
    [
      "a line's many keys",
      Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`k${(i * 37) % 80}`, i])),
    ],
  ])("writes %s as the key-sorting definition does", (_name, value) => {
    expect(canonicalJson(value)).toBe(sortedStringify(value));
  });

  it("sorts keys that are array indexes as strings and writes an own __proto__ key, as it always did", () => {
    // An object lists index keys first, in numeric order, and assigning __proto__ sets the prototype: the
    // key-sorting definition above gets both wrong, the stored hashes have these texts.
    expect(canonicalJson({ b: 1, 10: "x", 9: "y", a: { 2: 0, 1: 0 } })).toBe(
      '{"10":"x","9":"y","a":{"1":0,"2":0},"b":1}',
    );
    expect(canonicalJson(JSON.parse('{"z":1,"__proto__":{"b":2,"a":1}}'))).toBe(
      '{"__proto__":{"a":1,"b":2},"z":1}',
    );
  });

  it("leaves out function members (a toJSON is never called) and keeps a sparse array's holes as before", () => {
    expect(canonicalJson({ b: 1, toJSON: () => "called", a: [() => 1, Symbol("s")] })).toBe(
      '{"a":[null,null],"b":1}',
    );
    // JSON never has holes; the text for one is the explicit walk's, as it always was.
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point
    expect(canonicalJson([, 1])).toBe("[,1]");
    expect(canonicalJson(undefined)).toBe("null");
    expect(canonicalJson(new Date(0))).toBe("{}");
  });

  it("walks 100,000 levels of nesting without overflowing the stack", () => {
    let deep: unknown = { leaf: 1 };
    for (let i = 0; i < 100_000; i++) deep = i % 2 === 0 ? [deep] : { k: deep };
    const text = canonicalJson(deep);
    expect(text.length).toBeGreaterThan(100_000);
    expect(text.endsWith("}")).toBe(true);
  });
});
