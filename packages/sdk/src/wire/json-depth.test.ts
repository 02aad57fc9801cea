import { describe, expect, it } from "vitest";
import { jsonNestingExceeds, MAX_JSON_DEPTH } from "./json-depth.ts";

describe("jsonNestingExceeds", () => {
  it("counts object and array nesting, not brackets inside strings", () => {
    expect(jsonNestingExceeds('{"items":[{"a":1}]}', 3)).toBe(false);
    expect(jsonNestingExceeds('{"items":[{"a":[1]}]}', 3)).toBe(true);
    expect(jsonNestingExceeds(`{"note":"${"[".repeat(500)}"}`, 1)).toBe(false);
    // An escaped quote does not end the string, so the brackets after it are still text.
    expect(jsonNestingExceeds(`{"note":"\\"${"{".repeat(500)}"}`, 1)).toBe(false);
    expect(jsonNestingExceeds("42")).toBe(false);
  });

  it("flags the 6 KB, 3,000-level body that once overflowed the gateway's stack", () => {
    const hostile = `${"[".repeat(3000)}${"]".repeat(3000)}`;
    expect(hostile.length).toBe(6000);
    expect(jsonNestingExceeds(hostile)).toBe(true);
    expect(jsonNestingExceeds(`${"[".repeat(MAX_JSON_DEPTH)}${"]".repeat(MAX_JSON_DEPTH)}`)).toBe(false);
    expect(jsonNestingExceeds(`${"[".repeat(MAX_JSON_DEPTH + 1)}${"]".repeat(MAX_JSON_DEPTH + 1)}`)).toBe(
      true,
    );
  });
});
