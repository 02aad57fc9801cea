import type { Decimal } from "decimal.js";
import { TaxDecimal } from "./decimal.ts";

/**
 * What a rate string from FBR's vocabulary means for the sales-tax arithmetic (spec §8).
 *
 * - `percent`: "18%", "0.5%", "1.43%"; also the IRIS annex template's fractions ("0.18", "4.5999999999999999E-3"),
 *   marked `notation: "fraction"` because the DI API itself only takes the "18%" form.
 * - `percentPlusPerUnit`: "18% along with rupees 60 per kilogram" (potassium chlorate, 0103).
 * - `perUnit`: fixed rupees per unit of quantity: "Rs.3", "Rs.700/MT", "200/bill", "50/SqY", "Rs. 16500 per KG" (0105).
 * - `exempt`, `zero` ("0%", annex "0"), `dtre`: no sales tax.
 * - `unknown`: anything else; the text is kept so a caller can say what it could not read.
 */
export type RateBasis =
  | { kind: "percent"; percent: Decimal; notation: "percentSign" | "fraction" }
  | { kind: "percentPlusPerUnit"; percent: Decimal; rupeesPerUnit: Decimal; unit: string }
  | { kind: "perUnit"; rupees: Decimal; unit?: string }
  | { kind: "exempt" }
  | { kind: "zero" }
  | { kind: "dtre" }
  | { kind: "unknown"; text: string };

export type RateKind = RateBasis["kind"];

const NUMBER = String.raw`(\d+(?:\.\d+)?)`;
const PERCENT = new RegExp(String.raw`^${NUMBER}\s*%$`);
// "18% along with rupees 60 per kilogram", "17% along with rupees 90 per kilogram"
const PERCENT_PLUS_PER_UNIT = new RegExp(
  String.raw`^${NUMBER}\s*%\s+along\s+with\s+(?:rupees|rs\.?)\s*${NUMBER}\s+per\s+([a-z]+)$`,
  "i",
);
// "Rs.700/MT", "200/bill", "50/SqY", "Rs.1000/IMEI", "Rs.13/KWH", "Rs. 16500 per KG", "Rs. 2000 per Fan "
const PER_NAMED_UNIT = new RegExp(String.raw`^(?:rs\.?\s*)?${NUMBER}\s*(?:/\s*|\s+per\s+)([a-z]+)$`, "i");
// "Rs.3", "Rs.200", "Rs.10.58"
const RUPEES_PER_QUANTITY = new RegExp(String.raw`^rs\.?\s*${NUMBER}$`, "i");
// The IRIS annex template stores percentages as spreadsheet fractions: "0.18", "2E-3", "1.4999999999999999E-2".
const SPREADSHEET_FRACTION = /^\d+(?:\.\d+)?(?:e[-+]?\d+)?$/i;

/**
 * Reads one of FBR's rate descriptions (`ratE_DESC` from SaleTypeToRate, or the IRIS template list).
 * Never throws: an unreadable rate is `{ kind: "unknown" }`.
 *
 * @example parseRateDescription("18%") // { kind: "percent", percent: 18, notation: "percentSign" }
 * @example parseRateDescription("Rs.700/MT") // { kind: "perUnit", rupees: 700, unit: "MT" }
 */
export function parseRateDescription(rate: string): RateBasis {
  // Registry strings can carry stray spaces ("Rs. 2000 per Fan "), as sale types do (" Services ").
  const text = typeof rate === "string" ? rate.trim() : "";
  if (text === "") return { kind: "unknown", text: String(rate) };

  const lower = text.toLowerCase();
  if (lower === "exempt") return { kind: "exempt" };
  if (lower === "dtre") return { kind: "dtre" };

  let match = PERCENT.exec(text);
  if (match?.[1] !== undefined) {
    const percent = new TaxDecimal(match[1]);
    return percent.isZero() ? { kind: "zero" } : { kind: "percent", percent, notation: "percentSign" };
  }

  match = PERCENT_PLUS_PER_UNIT.exec(text);
  if (match?.[1] !== undefined && match[2] !== undefined && match[3] !== undefined) {
    return {
      kind: "percentPlusPerUnit",
      percent: new TaxDecimal(match[1]),
      rupeesPerUnit: new TaxDecimal(match[2]),
      unit: match[3],
    };
  }

  match = PER_NAMED_UNIT.exec(text);
  if (match?.[1] !== undefined && match[2] !== undefined) {
    return { kind: "perUnit", rupees: new TaxDecimal(match[1]), unit: match[2] };
  }

  match = RUPEES_PER_QUANTITY.exec(text);
  if (match?.[1] !== undefined) {
    return { kind: "perUnit", rupees: new TaxDecimal(match[1]) };
  }

  if (SPREADSHEET_FRACTION.test(text)) {
    const fraction = new TaxDecimal(text);
    if (fraction.isZero()) return { kind: "zero" };
    // A fraction above 1 would be a rate over 100%: not a spreadsheet percentage, so not ours to guess.
    if (fraction.gt(1)) return { kind: "unknown", text: String(rate) };
    // The spreadsheet wrote binary floats (4.5999999999999999E-3 is 0.46%); every FBR rate has at most
    // 4 decimals as a percentage, so 6 is enough to undo the float noise without touching a real digit.
    const percent = fraction.times(100).toDecimalPlaces(6, TaxDecimal.ROUND_HALF_UP);
    return { kind: "percent", percent, notation: "fraction" };
  }

  return { kind: "unknown", text: String(rate) };
}
