import type { Decimal } from "decimal.js";
import { roundMoney, TaxDecimal, toTaxDecimal } from "./decimal.ts";
import { parseRateDescription, type RateBasis } from "./rate.ts";

/** The line fields FBR reads when it recomputes sales tax (DI item, FBR spellings). */
export interface SalesTaxLine {
  rate: string;
  saleType: string;
  quantity: Decimal.Value;
  valueSalesExcludingST: Decimal.Value;
  fixedNotifiedValueOrRetailPrice: Decimal.Value;
}

/** What the tax was computed on. */
export type SalesTaxBasis = "value" | "retailPrice" | "quantity" | "valuePlusQuantity" | "none";

/** FBR's mismatch codes for the recomputation (spec §8, sales error table). */
export type SalesTaxMismatchCode = "0102" | "0103" | "0104" | "0105";

export interface ExpectedSalesTax {
  /** Rounded ROUND_HALF_UP to 2 decimals, per line. */
  amount: Decimal;
  basis: SalesTaxBasis;
  /** The code FBR raises when salesTaxApplicable differs from `amount`; null when FBR has no such check. */
  code: SalesTaxMismatchCode | null;
  /** The parsed rate, so a caller can tell an unreadable rate (`kind: "unknown"`) from a real zero. */
  rate: RateBasis;
}

/** Trimmed, case-folded sale type: the registry pads some strings (" 3rd Schedule Goods "). */
function saleTypeKey(saleType: string): string {
  return saleType.trim().toLowerCase();
}

const THIRD_SCHEDULE_SALE_TYPE = "3rd schedule goods";
const NON_ADJUSTABLE_SALE_TYPE = "non-adjustable supplies";

/** True for the "3rd Schedule Goods" sale type, however the registry pads or cases it. */
export function isThirdScheduleSaleType(saleType: string): boolean {
  return saleTypeKey(saleType) === THIRD_SCHEDULE_SALE_TYPE;
}

/** True for "Goods at Reduced Rate", whose lines must send extraTax as "" (0091). */
export function isReducedRateSaleType(saleType: string): boolean {
  return saleTypeKey(saleType) === "goods at reduced rate";
}

function percentOfAmount(amount: Decimal, percent: Decimal): Decimal {
  return amount.times(percent).dividedBy(100);
}

/**
 * The sales tax FBR recomputes for one DI line, and the code it raises when `salesTaxApplicable` differs
 * (spec §8). Each line is rounded on its own, ROUND_HALF_UP to 2 decimals; no tolerance was ever observed.
 *
 * - percentage rate: valueSalesExcludingST × rate% → 0104 (1000 × 18% = 180)
 * - "3rd Schedule Goods": fixedNotifiedValueOrRetailPrice (the LINE's retail value) × rate% → 0102
 * - "18% along with rupees 60 per kilogram": value × 18% + quantity × 60 → 0103 (100 × 18% + 1 × 60 = 78)
 * - fixed rupees ("Rs.3", "Rs.700/MT", "200/bill", "50/SqY"): quantity × rupees → 0105 (12 × 3 = 36)
 * - "Exempt", "0%", "DTRE", and the "Non-Adjustable Supplies" sale type: 0, no check known
 * - an unreadable rate: 0 with basis "none" and `rate.kind === "unknown"`; validation reports the rate itself.
 *
 * Throws TaxAmountError when a numeric field is not a finite number.
 */
export function expectedSalesTax(line: SalesTaxLine): ExpectedSalesTax {
  const rate = parseRateDescription(line.rate);
  const none = (): ExpectedSalesTax => ({ amount: new TaxDecimal(0), basis: "none", code: null, rate });

  // Spec §8: exempt, zero-rated, DTRE and non-adjustable supplies carry no sales tax on the invoice.
  if (saleTypeKey(line.saleType) === NON_ADJUSTABLE_SALE_TYPE) return none();

  switch (rate.kind) {
    case "exempt":
    case "zero":
    case "dtre":
    case "unknown":
      return none();
    case "percent": {
      if (isThirdScheduleSaleType(line.saleType)) {
        // 0102: Third Schedule goods are taxed on the printed retail price, not on the sale value.
        const retail = toTaxDecimal(line.fixedNotifiedValueOrRetailPrice, "fixedNotifiedValueOrRetailPrice");
        return {
          amount: roundMoney(percentOfAmount(retail, rate.percent)),
          basis: "retailPrice",
          code: "0102",
          rate,
        };
      }
      const value = toTaxDecimal(line.valueSalesExcludingST, "valueSalesExcludingST");
      return { amount: roundMoney(percentOfAmount(value, rate.percent)), basis: "value", code: "0104", rate };
    }
    case "percentPlusPerUnit": {
      // 0103: potassium chlorate, a percentage of value plus fixed rupees per kilogram; rounded once, at the end.
      const value = toTaxDecimal(line.valueSalesExcludingST, "valueSalesExcludingST");
      const quantity = toTaxDecimal(line.quantity, "quantity");
      const amount = percentOfAmount(value, rate.percent).plus(quantity.times(rate.rupeesPerUnit));
      return { amount: roundMoney(amount), basis: "valuePlusQuantity", code: "0103", rate };
    }
    case "perUnit": {
      // 0105: fixed rupees per unit of quantity, whatever the unit is called (MT, bill, SqY, IMEI, KWH).
      const quantity = toTaxDecimal(line.quantity, "quantity");
      return { amount: roundMoney(quantity.times(rate.rupees)), basis: "quantity", code: "0105", rate };
    }
  }
}

/** Further tax (Sales Tax Act s.3(1A)) on a value at a percentage, ROUND_HALF_UP to 2 decimals. */
export function furtherTaxOn(value: Decimal.Value, ratePercent: Decimal.Value): Decimal {
  const base = toTaxDecimal(value, "valueSalesExcludingST");
  const percent = toTaxDecimal(ratePercent, "furtherTaxRate");
  return roundMoney(percentOfAmount(base, percent));
}
