import { describe, expect, it } from "vitest";
import { ratesForTransactionType, transactionTypes } from "../../reference/index.ts";
import { expectedSalesTax } from "../../tax/sales-tax.ts";
import { salesTaxCertainlyMatches, salesTaxPlan } from "./fast-tax.ts";
import { readNumeric } from "./numbers.ts";

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rateLines = transactionTypes().flatMap((row) =>
  ratesForTransactionType(row.transactioN_TYPE_ID).map((rate) => ({
    saleType: row.transactioN_DESC.trim(),
    rate: rate.ratE_DESC,
  })),
);

describe("fast sales-tax pre-check agrees with expectedSalesTax", () => {
  it("never accepts an amount expectedSalesTax would refuse, and decides the usual lines itself", () => {
    const next = random(20250801);
    let decided = 0;
    let correctCases = 0;
    for (let round = 0; round < 4000; round++) {
      const line = rateLines[Math.floor(next() * rateLines.length)] as { saleType: string; rate: string };
      // Amounts from paisa to crores, with 0-2 decimals; quantities with 0-4 decimals; a few negatives.
      const sign = next() < 0.05 ? -1 : 1;
      const value = sign * (Math.round(next() * 10 ** (2 + Math.floor(next() * 9))) / 100);
      const retail = Math.round(next() * 10 ** (2 + Math.floor(next() * 8))) / 100;
      const quantity = Math.round(next() * 10 ** Math.floor(next() * 9)) / 10_000;
      const expected = expectedSalesTax({
        rate: line.rate,
        saleType: line.saleType,
        quantity,
        valueSalesExcludingST: value,
        fixedNotifiedValueOrRetailPrice: retail,
      });
      const offBy = [0, 0, 0.01, -0.01, 1][Math.floor(next() * 5)] as number;
      const salesTax = Number(expected.amount.plus(offBy).toFixed(2));
      const plan = salesTaxPlan(line.rate, line.saleType);
      const verdict =
        plan === null
          ? undefined
          : salesTaxCertainlyMatches(
              plan,
              readNumeric(quantity),
              readNumeric(value),
              readNumeric(retail),
              readNumeric(salesTax),
            );
      const reallyMatches = expected.code === null || expected.amount.equals(salesTax);
      if (verdict === true)
        expect(reallyMatches, `${line.rate} ${line.saleType} ${value} ${quantity} ${salesTax}`).toBe(true);
      if (offBy === 0) {
        correctCases++;
        if (verdict === true) decided++;
      }
    }
    // The pre-check must carry the normal (correct) lines, or it would not be worth having.
    expect(decided / correctCases).toBeGreaterThan(0.95);
  });

  it("rounds half up exactly where floats would not: 0.25 x 18% = 0.045 → 0.05, and 1.005 x 100%", () => {
    const plan = salesTaxPlan("18%", "Goods at standard rate (default)");
    expect(plan).toEqual({ basis: "value", percentE4: 180_000 });
    if (plan === null) return;
    const line = (value: number, tax: number) =>
      salesTaxCertainlyMatches(plan, readNumeric(1), readNumeric(value), readNumeric(0), readNumeric(tax));
    expect(line(0.25, 0.05)).toBe(true);
    expect(line(0.25, 0.04)).toBeUndefined();
    expect(line(1e12, 1.8e11)).toBeUndefined(); // too large for exact integers: left to expectedSalesTax
  });
});
