import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

// The simulator ships copies of spec/data tables in packages/simulator/data so the published package carries
// them (spec-data.ts). Every file in that folder must be a byte-for-byte copy of its spec/data original, so the
// simulator can never judge by a table that has drifted from the one the sdk and the docs use.
const COPIES = new URL("../data/", import.meta.url);
const ORIGINALS = new URL("../../../spec/data/", import.meta.url);

const copies = readdirSync(COPIES).filter((name) => name.endsWith(".json"));

describe("packages/simulator/data", () => {
  it("holds the two tables spec-data.ts imports", () => {
    expect(copies.sort()).toEqual(["di-reference-api.json", "di-scenarios.json"]);
  });

  it.each(copies)("%s is byte-identical to spec/data", (name) => {
    const copy = readFileSync(new URL(name, COPIES));
    const original = readFileSync(new URL(name, ORIGINALS));
    expect(copy.equals(original)).toBe(true);
  });
});
