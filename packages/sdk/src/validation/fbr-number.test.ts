import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fbrNumberProblem } from "./fbr-number.ts";

interface NumberCase {
  name: string;
  channel: "di" | "ims";
  number: string;
  sellerNtnCnic: string;
  ok: boolean;
  problemIncludes?: string;
}

const { cases } = JSON.parse(readFileSync(new URL("./fbr-number-cases.json", import.meta.url), "utf8")) as {
  cases: NumberCase[];
};

describe("fbrNumberProblem (fbr-number-cases.json)", () => {
  for (const c of cases) {
    it(c.name, () => {
      const found = fbrNumberProblem(c.channel, c.number, { sellerNtnCnic: c.sellerNtnCnic });
      if (c.ok) {
        expect(found).toBeUndefined();
      } else {
        expect(found?.fix.length).toBeGreaterThan(0);
        if (c.problemIncludes !== undefined) expect(found?.problem).toContain(c.problemIncludes);
      }
    });
  }
});

describe("fbrNumberProblem for IMS without a seller (the POS bridge's reconcile)", () => {
  // An IMS fiscal number carries no seller, so the same answer comes with or without one.
  for (const c of cases.filter((each) => each.channel === "ims")) {
    it(c.name, () => {
      expect(fbrNumberProblem("ims", c.number)).toEqual(
        fbrNumberProblem("ims", c.number, { sellerNtnCnic: c.sellerNtnCnic }),
      );
    });
  }
});
