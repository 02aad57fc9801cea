import { describe, expect, it } from "vitest";
import { amountInWords, formatAmountPk, wholeNumberInWords } from "./amount-in-words.ts";
import vectors from "./amount-in-words.vectors.json" with { type: "json" };

describe("amountInWords (lakh and crore)", () => {
  it.each(vectors.cases)("$amount", ({ amount, words, grouped }) => {
    expect(amountInWords(amount)).toBe(words);
    expect(formatAmountPk(amount)).toBe(grouped);
  });

  it("reads numbers and decimal strings alike", () => {
    expect(amountInWords(1180)).toBe(amountInWords("1180.00"));
    expect(amountInWords(0.5)).toBe("Fifty Paisa Only");
  });

  it("says every whole number below a crore without a gap or a double space", () => {
    for (let n = 0n; n < 10_000_000n; n += 99_991n) {
      const words = wholeNumberInWords(n);
      expect(words).not.toMatch(/ {2}|^ | $/);
    }
  });
});
