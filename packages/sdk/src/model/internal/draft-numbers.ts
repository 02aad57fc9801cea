import type { Decimal } from "decimal.js";
import { roundMoney, roundQuantity, TaxAmountError, toTaxDecimal } from "../../tax/index.ts";
import { InvoiceDraftError } from "../errors.ts";

/** Reads a draft number as a decimal, turning a bad value into an InvoiceDraftError that names the field. */
export function draftDecimal(
  value: Decimal.Value | undefined,
  path: string,
  fallback?: Decimal.Value,
): Decimal {
  const given = value ?? fallback;
  if (given === undefined) throw new InvoiceDraftError(path, "is required");
  try {
    return toTaxDecimal(given, path);
  } catch (error) {
    if (error instanceof TaxAmountError) throw new InvoiceDraftError(path, error.message);
    throw error;
  }
}

/** A money input from the draft, ROUND_HALF_UP to 2 decimals; negatives refused (FBR reports debits as positives). */
export function draftMoney(
  value: Decimal.Value | undefined,
  path: string,
  fallback?: Decimal.Value,
): Decimal {
  const amount = draftDecimal(value, path, fallback);
  if (amount.isNegative() && !amount.isZero()) throw new InvoiceDraftError(path, "must not be negative");
  return roundMoney(amount);
}

/** A non-negative price of one unit, at full precision: only the line amount computed from it is rounded. */
export function draftUnitPrice(value: Decimal.Value | undefined, path: string): Decimal {
  const price = draftDecimal(value, path);
  if (price.isNegative() && !price.isZero()) throw new InvoiceDraftError(path, "must not be negative");
  return price;
}

/** A quantity from the draft, ROUND_HALF_UP to 4 decimals: everything is computed from what is sent. */
export function draftQuantity(value: Decimal.Value | undefined, path: string): Decimal {
  const quantity = draftDecimal(value, path);
  if (quantity.isNegative() && !quantity.isZero()) throw new InvoiceDraftError(path, "must not be negative");
  return roundQuantity(quantity);
}

/** A required, non-blank text field. */
export function draftText(value: string | undefined, path: string, fbrCode?: string): string {
  if (typeof value !== "string" || value.trim() === "") {
    throw new InvoiceDraftError(path, "is required and must not be blank", fbrCode);
  }
  return value;
}

/**
 * Runs one line's computation and mapping, reporting an amount the wire cannot carry exactly (TaxAmountError
 * from toMoneyNumber) as a draft error on that line.
 */
export function asDraftError<T>(path: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof TaxAmountError) throw new InvoiceDraftError(path, error.message);
    throw error;
  }
}

/** An optional text field: absent stays absent, anything but a string is refused. */
export function optionalDraftText(value: unknown, path: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw new InvoiceDraftError(path, "must be text");
  return value;
}
