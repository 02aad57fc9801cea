// A fast, exact pre-check of the sales tax FBR recomputes (0102-0105), so validating a batch costs a few
// times JSON.parse, not dozens. The tax module's expectedSalesTax stays the authority:
//   - which basis a line uses (value, retail price, quantity, value + quantity, none) is learned from
//     expectedSalesTax itself, once per (rate, saleType), since it depends on nothing else;
//   - the pre-check only ever answers "the amount is right"; anything else (a mismatch, a figure with more
//     decimals than FBR accepts, a product too large for exact integers) goes to expectedSalesTax.
// The arithmetic is in whole integers (paisa x 10^4), so it is exact, with ROUND_HALF_UP as the tax module uses.
// A test compares it with expectedSalesTax on thousands of random lines.
import { expectedSalesTax } from "../../tax/sales-tax.ts";
import { type NumericReading, scaledInteger } from "./numbers.ts";

export interface SalesTaxPlan {
  basis: "value" | "retailPrice" | "quantity" | "valuePlusQuantity" | "none";
  /** percent x 10^4 as an integer ("1.43%" → 14300); undefined when the basis has no percentage. */
  percentE4?: number;
  /** rupees per unit x 100 as an integer ("Rs.3" → 300). */
  rupeesE2?: number;
}

const plans = new Map<string, SalesTaxPlan | null>();

function scaledDecimal(
  value: { times(n: number): { isInteger(): boolean; toNumber(): number } },
  scale: number,
) {
  const scaled = value.times(10 ** scale);
  if (!scaled.isInteger()) return undefined;
  const number = scaled.toNumber();
  return Number.isSafeInteger(number) ? number : undefined;
}

/** How expectedSalesTax computes lines with this rate and sale type; null when the pre-check cannot help. */
export function salesTaxPlan(rate: string, saleType: string): SalesTaxPlan | null {
  const key = `${rate}\u0000${saleType}`;
  const cached = plans.get(key);
  if (cached !== undefined) return cached;
  let plan: SalesTaxPlan | null = null;
  const probe = expectedSalesTax({
    rate,
    saleType,
    quantity: 1,
    valueSalesExcludingST: 1,
    fixedNotifiedValueOrRetailPrice: 1,
  });
  const basis = probe.rate;
  if (probe.code === null) {
    plan = { basis: "none" };
  } else if (basis.kind === "percent" && (probe.basis === "value" || probe.basis === "retailPrice")) {
    const percentE4 = scaledDecimal(basis.percent, 4);
    if (percentE4 !== undefined) plan = { basis: probe.basis, percentE4 };
  } else if (basis.kind === "perUnit" && probe.basis === "quantity") {
    const rupeesE2 = scaledDecimal(basis.rupees, 2);
    if (rupeesE2 !== undefined) plan = { basis: "quantity", rupeesE2 };
  } else if (basis.kind === "percentPlusPerUnit" && probe.basis === "valuePlusQuantity") {
    const percentE4 = scaledDecimal(basis.percent, 4);
    const rupeesE2 = scaledDecimal(basis.rupeesPerUnit, 2);
    if (percentE4 !== undefined && rupeesE2 !== undefined)
      plan = { basis: "valuePlusQuantity", percentE4, rupeesE2 };
  }
  plans.set(key, plan);
  return plan;
}

/** numerator / divisor rounded ROUND_HALF_UP (halves away from zero), for exact safe integers. */
function divideHalfUp(numerator: number, divisor: number): number {
  const magnitude = Math.abs(numerator);
  let quotient = Math.floor(magnitude / divisor);
  let remainder = magnitude - quotient * divisor;
  // Float division of large integers can be one off; the remainder (exact) corrects it.
  if (remainder < 0) {
    quotient -= 1;
    remainder += divisor;
  } else if (remainder >= divisor) {
    quotient += 1;
    remainder -= divisor;
  }
  if (remainder * 2 >= divisor) quotient += 1;
  return numerator < 0 ? -quotient : quotient;
}

function safeProduct(a: number, b: number): number | undefined {
  const product = a * b;
  return Number.isSafeInteger(product) ? product : undefined;
}

/**
 * True when salesTaxApplicable certainly equals what expectedSalesTax computes for the line; undefined when
 * the pre-check cannot decide (ask expectedSalesTax). Never answers false.
 */
export function salesTaxCertainlyMatches(
  plan: SalesTaxPlan,
  quantity: NumericReading,
  value: NumericReading,
  retail: NumericReading,
  salesTax: NumericReading,
): true | undefined {
  if (plan.basis === "none") return true;
  const taxPaisa = scaledInteger(salesTax, 2);
  if (taxPaisa === undefined) return undefined;
  let expectedPaisa: number | undefined;
  switch (plan.basis) {
    case "value":
    case "retailPrice": {
      const basePaisa = scaledInteger(plan.basis === "value" ? value : retail, 2);
      if (basePaisa === undefined || plan.percentE4 === undefined) return undefined;
      // tax = base x percent / 100 → in paisa: basePaisa x percentE4 / 10^6.
      const product = safeProduct(basePaisa, plan.percentE4);
      expectedPaisa = product === undefined ? undefined : divideHalfUp(product, 1_000_000);
      break;
    }
    case "quantity": {
      const quantityE4 = scaledInteger(quantity, 4);
      if (quantityE4 === undefined || plan.rupeesE2 === undefined) return undefined;
      // tax = quantity x rupees → in paisa: quantityE4 x rupeesE2 / 10^4.
      const product = safeProduct(quantityE4, plan.rupeesE2);
      expectedPaisa = product === undefined ? undefined : divideHalfUp(product, 10_000);
      break;
    }
    case "valuePlusQuantity": {
      const valuePaisa = scaledInteger(value, 2);
      const quantityE4 = scaledInteger(quantity, 4);
      if (valuePaisa === undefined || quantityE4 === undefined) return undefined;
      if (plan.percentE4 === undefined || plan.rupeesE2 === undefined) return undefined;
      // Rounded once, at the end, as the tax module does: (value x percent + quantity x rupees x 100) / 10^6.
      const percentPart = safeProduct(valuePaisa, plan.percentE4);
      const unitPart = safeProduct(quantityE4, plan.rupeesE2 * 100);
      if (percentPart === undefined || unitPart === undefined) return undefined;
      const sum = percentPart + unitPart;
      expectedPaisa = Number.isSafeInteger(sum) ? divideHalfUp(sum, 1_000_000) : undefined;
      break;
    }
  }
  return expectedPaisa !== undefined && expectedPaisa === taxPaisa ? true : undefined;
}
