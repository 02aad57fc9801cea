import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  decimalPlacesOf,
  expectedSalesTax,
  furtherTaxOn,
  parseRateDescription,
  type RateBasis,
  roundMoney,
  roundQuantity,
  TaxAmountError,
  TaxDecimal,
  toMoneyNumber,
  toQuantityNumber,
} from "./index.ts";

function readJson<T>(relativePath: string): T {
  return JSON.parse(readFileSync(new URL(relativePath, import.meta.url), "utf8")) as T;
}

interface RoundingVectors {
  roundMoney: { input: string; expected: string }[];
  roundQuantity: { input: string; expected: string }[];
  toMoneyNumber: { input: string; json: string }[];
  badInput: string[];
  toMoneyNumberTooManyDigits: string[];
}
interface RateCase {
  rate: string;
  kind: RateBasis["kind"];
  percent?: string;
  notation?: string;
  rupees?: string;
  rupeesPerUnit?: string;
  unit?: string;
}
interface SalesTaxCase {
  name: string;
  line: {
    rate: string;
    saleType: string;
    quantity: string;
    valueSalesExcludingST: string;
    fixedNotifiedValueOrRetailPrice: string;
  };
  amount: string;
  basis: string;
  code: string | null;
  rateKind?: string;
}
interface ScenarioTaxVector {
  scenarioId: string;
  expectedSalesTax: string;
  basis: string;
  code: string | null;
  sampleAgrees: boolean;
  differsBecause?: string;
}
interface ScenarioData {
  scenarios: {
    scenarioId: string;
    sampleItem: {
      rate: string;
      saleType: string;
      quantity: number | string;
      valueSalesExcludingST: number | string;
      fixedNotifiedValueOrRetailPrice: number | string;
      salesTaxApplicable: number | string;
    };
  }[];
}
interface SaleTypeRateData {
  saleTypeToRate: { transTypeId: number; rates: { ratE_DESC: string; ratE_VALUE: number }[] }[];
  fbrAnnexTemplateRateList: string[];
}

const rounding = readJson<RoundingVectors>("./rounding.vectors.json");
const rateVectors = readJson<{ cases: RateCase[]; unreadableInFbrLists: string[] }>("./rates.vectors.json");
const salesTaxVectors = readJson<{
  cases: SalesTaxCase[];
  furtherTax: { value: string; ratePercent: string; amount: string }[];
}>("./sales-tax.vectors.json");
const scenarioVectors = readJson<{ scenarios: ScenarioTaxVector[] }>("./scenario-tax.vectors.json");
const scenarioData = readJson<ScenarioData>("../../../../spec/data/di-scenarios.json");
const saleTypeRates = readJson<SaleTypeRateData>("../../../../spec/data/di-sale-type-rates.json");

describe("rounding", () => {
  it.each(rounding.roundMoney)("roundMoney($input) = $expected, half-up to 2 dp", ({ input, expected }) => {
    expect(roundMoney(input).toString()).toBe(expected);
  });

  it.each(rounding.roundQuantity)(
    "roundQuantity($input) = $expected, half-up to 4 dp",
    ({ input, expected }) => {
      expect(roundQuantity(input).toString()).toBe(expected);
    },
  );

  it.each(rounding.toMoneyNumber)("toMoneyNumber($input) serialises as $json", ({ input, json }) => {
    expect(JSON.stringify(toMoneyNumber(input))).toBe(json);
  });

  // One counter serves the tax functions and the validator's 0302 check; the fast paths must agree with
  // decimal.js reading the number's shortest text.
  it.each([
    [100, 0],
    [849.6, 1],
    [0.25, 2],
    [849.6000000000001, 13],
    [1e-7, 7],
    [1.5e-10, 11],
    [1e21, 0],
    [-0.125, 3],
    [123456789012.34, 2],
  ])("decimalPlacesOf(%s) is %s, as decimal.js counts it", (value, places) => {
    expect(decimalPlacesOf(value)).toBe(places);
    expect(decimalPlacesOf(value)).toBe(new TaxDecimal(value).decimalPlaces());
  });

  it("decimalPlacesOf is infinite for NaN and infinities", () => {
    expect(decimalPlacesOf(Number.NaN)).toBe(Number.POSITIVE_INFINITY);
    expect(decimalPlacesOf(Number.NEGATIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
  });

  it("a JS float sum is cleaned to at most 2 decimals on the wire", () => {
    const floatSum = 0.1 + 0.2; // 0.30000000000000004
    expect(decimalPlacesOf(floatSum)).toBeGreaterThan(2);
    expect(JSON.stringify(toMoneyNumber(floatSum))).toBe("0.3");
    // 1.005 as a double is 1.00499999999999989...; decimal.js reads the shortest form "1.005", a true tie.
    expect(toMoneyNumber(1.005)).toBe(1.01);
  });

  it("money numbers serialise with at most 2 decimals: every paisa to 100.00, then every 37th to 10,000.00", () => {
    // Every value near zero (where float noise is largest relative to the value), then a stride that is
    // prime to 100 so every paisa ending 00-99 is still met, at a cost that keeps the test fast.
    const paisas = [
      ...Array.from({ length: 10_001 }, (_, paisa) => paisa),
      ...Array.from({ length: Math.floor((1_000_000 - 10_000) / 37) + 1 }, (_, step) => 10_000 + step * 37),
    ];
    for (const paisa of paisas) {
      const asFloat = paisa / 100 + 1e-12; // noise a float computation could leave behind
      const text = JSON.stringify(toMoneyNumber(asFloat));
      const decimals = text.includes(".") ? (text.split(".")[1]?.length ?? 0) : 0;
      if (decimals > 2) throw new Error(`${asFloat} serialised as ${text}`);
    }
  });

  it("toQuantityNumber keeps 4 decimals and rounds the 5th half-up", () => {
    expect(toQuantityNumber("12.34565")).toBe(12.3457);
    expect(JSON.stringify(toQuantityNumber("0.0001"))).toBe("0.0001");
  });

  it.each(rounding.badInput)("refuses %j with a TaxAmountError, not a crash", (input) => {
    expect(() => roundMoney(input)).toThrow(TaxAmountError);
  });

  it.each(rounding.toMoneyNumberTooManyDigits)(
    "refuses to send %s as a JSON number it cannot hold exactly",
    (input) => {
      expect(() => toMoneyNumber(input)).toThrow(/too many digits/);
      expect(roundMoney(input).toFixed(2)).toBe(input);
    },
  );

  it("refuses NaN and Infinity given as numbers", () => {
    expect(() => toMoneyNumber(Number.NaN)).toThrow(/finite/);
    expect(() => toMoneyNumber(Number.POSITIVE_INFINITY)).toThrow(TaxAmountError);
  });
});

describe("parseRateDescription", () => {
  it.each(rateVectors.cases)("reads $rate as $kind", (vector) => {
    const parsed = parseRateDescription(vector.rate);
    expect(parsed.kind).toBe(vector.kind);
    if (parsed.kind === "percent") {
      expect(parsed.percent.toString()).toBe(vector.percent);
      expect(parsed.notation).toBe(vector.notation);
    }
    if (parsed.kind === "perUnit") {
      expect(parsed.rupees.toString()).toBe(vector.rupees);
      expect(parsed.unit).toBe(vector.unit);
    }
    if (parsed.kind === "percentPlusPerUnit") {
      expect(parsed.percent.toString()).toBe(vector.percent);
      expect(parsed.rupeesPerUnit.toString()).toBe(vector.rupeesPerUnit);
      expect(parsed.unit).toBe(vector.unit);
    }
  });

  it("understands every string of FBR's rate vocabulary, or lists it as unreadable", () => {
    const registryStrings = saleTypeRates.saleTypeToRate.flatMap((row) => row.rates.map((r) => r.ratE_DESC));
    const allStrings = [...new Set([...registryStrings, ...saleTypeRates.fbrAnnexTemplateRateList])];
    expect(allStrings.length).toBeGreaterThanOrEqual(112);
    const unreadable = allStrings.filter((rate) => parseRateDescription(rate).kind === "unknown");
    expect(unreadable).toEqual(rateVectors.unreadableInFbrLists);
  });

  it("agrees with ratE_VALUE on every SaleTypeToRate row (FBR's own number for the rate)", () => {
    for (const row of saleTypeRates.saleTypeToRate) {
      for (const { ratE_DESC, ratE_VALUE } of row.rates) {
        const parsed = parseRateDescription(ratE_DESC);
        const number =
          parsed.kind === "percent" || parsed.kind === "percentPlusPerUnit"
            ? parsed.percent
            : parsed.kind === "perUnit"
              ? parsed.rupees
              : parsed.kind === "unknown"
                ? undefined
                : 0;
        expect(number === undefined ? "unknown" : String(number), `${row.transTypeId} ${ratE_DESC}`).toBe(
          String(ratE_VALUE),
        );
      }
    }
  });

  it("reads the annex template's spreadsheet fractions as percentages with no float noise left", () => {
    for (const rate of saleTypeRates.fbrAnnexTemplateRateList) {
      const parsed = parseRateDescription(rate);
      if (parsed.kind === "percent" && parsed.notation === "fraction") {
        expect(parsed.percent.decimalPlaces(), rate).toBeLessThanOrEqual(2);
        expect(parsed.percent.gt(0) && parsed.percent.lte(100), rate).toBe(true);
      }
    }
  });
});

describe("expectedSalesTax", () => {
  it.each(salesTaxVectors.cases)("$name", (vector) => {
    const result = expectedSalesTax(vector.line);
    expect(result.amount.toString()).toBe(vector.amount);
    expect(result.basis).toBe(vector.basis);
    expect(result.code).toBe(vector.code);
    if (vector.rateKind !== undefined) expect(result.rate.kind).toBe(vector.rateKind);
  });

  it("accepts JS numbers as well as strings", () => {
    const result = expectedSalesTax({
      rate: "17%",
      saleType: "Telecommunication services",
      quantity: 1000,
      valueSalesExcludingST: 100,
      fixedNotifiedValueOrRetailPrice: 0,
    });
    expect(result.amount.toNumber()).toBe(17);
  });

  it("names the field when a number is bad", () => {
    expect(() =>
      expectedSalesTax({
        rate: "Rs.3",
        saleType: "Cement /Concrete Block",
        quantity: "twelve",
        valueSalesExcludingST: 1,
        fixedNotifiedValueOrRetailPrice: 0,
      }),
    ).toThrow(/quantity/);
  });

  it.each(salesTaxVectors.furtherTax)(
    "further tax on $value at $ratePercent% is $amount",
    ({ value, ratePercent, amount }) => {
      expect(furtherTaxOn(value, ratePercent).toString()).toBe(amount);
    },
  );
});

describe("PRAL's scenario samples SN001-SN028", () => {
  it("has one vector per scenario in spec/data/di-scenarios.json", () => {
    expect(scenarioVectors.scenarios.map((v) => v.scenarioId)).toEqual(
      scenarioData.scenarios.map((s) => s.scenarioId),
    );
  });

  it.each(scenarioVectors.scenarios)("$scenarioId: recomputed tax vs PRAL's sample", (vector) => {
    const scenario = scenarioData.scenarios.find((s) => s.scenarioId === vector.scenarioId);
    if (scenario === undefined) throw new Error(`${vector.scenarioId} missing from di-scenarios.json`);
    const result = expectedSalesTax(scenario.sampleItem);
    expect(result.amount.toString()).toBe(vector.expectedSalesTax);
    expect(result.basis).toBe(vector.basis);
    expect(result.code).toBe(vector.code);
    const sampleSays = roundMoney(scenario.sampleItem.salesTaxApplicable);
    if (vector.sampleAgrees) {
      expect(result.amount.eq(sampleSays)).toBe(true);
    } else {
      expect(vector.differsBecause, "a differing sample must say why").toMatch(/\S/);
      expect(result.amount.eq(sampleSays)).toBe(false);
    }
  });
});
