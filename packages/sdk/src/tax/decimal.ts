import type { Decimal } from "decimal.js";
import DecimalModule from "decimal.js";
import { RaseedError, SDK_ERRORS_DOCS } from "../errors/classes.ts";

// decimal.js ships ESM whose default export is the class, but TypeScript (NodeNext) reads its .d.ts as
// CommonJS and types the default import as the module object. At run time it is the class.
const DecimalClass = DecimalModule as unknown as typeof Decimal;

/**
 * The decimal type every tax computation uses. A private clone so that no other part of the process can
 * change our precision or rounding through decimal.js's global config. Instances share Decimal's prototype,
 * so they are ordinary `Decimal` values to callers (`instanceof Decimal` holds).
 *
 * 40 significant digits: a 13-digit rupee amount times a 6-decimal percentage is exact with room to spare,
 * so the only rounding that ever happens is the explicit one in roundMoney / roundQuantity.
 */
export const TaxDecimal: Decimal.Constructor = DecimalClass.clone({
  precision: 40,
  rounding: DecimalClass.ROUND_HALF_UP,
  toExpNeg: -30,
  toExpPos: 40,
});

/** Money is reported to FBR with at most 2 decimals (0302). */
export const MONEY_DECIMAL_PLACES = 2;
/** Quantity is reported to FBR with at most 4 decimals (0302 notes, spec §2.2). */
export const QUANTITY_DECIMAL_PLACES = 4;

/** Bad numeric input to the tax functions: NaN, Infinity, empty, or text that is not a number. */
export class TaxAmountError extends RaseedError {
  declare readonly code: "tax_amount";
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super("tax_amount", message, {
      ...(field !== undefined ? { details: { field } } : {}),
      docsUrl: SDK_ERRORS_DOCS,
    });
  }
}

/**
 * Converts any accepted numeric input into a TaxDecimal, refusing what cannot be money.
 * A JS number is read through its shortest decimal string (849.6 stays 849.6, never 849.6000000000001).
 */
export function toTaxDecimal(value: Decimal.Value, field = "amount"): Decimal {
  if (typeof value === "string" && value.trim() === "") {
    throw new TaxAmountError(`${field} is empty; give a number such as "1000.00"`, field);
  }
  // Decimals are immutable: one that is already finite is used as it is (no copy on every rounding).
  if (DecimalClass.isDecimal(value) && value.isFinite()) return value;
  let decimal: Decimal;
  try {
    decimal = new TaxDecimal(typeof value === "string" ? value.trim() : value);
  } catch {
    throw new TaxAmountError(`${field} is not a number: ${JSON.stringify(String(value))}`, field);
  }
  if (!decimal.isFinite()) {
    throw new TaxAmountError(`${field} must be a finite number, got ${decimal.toString()}`, field);
  }
  return decimal;
}

/** Rounds to 2 decimals, ROUND_HALF_UP (away from zero on .xx5, as FBR's half-up per-line rounding). */
export function roundMoney(value: Decimal.Value): Decimal {
  return toTaxDecimal(value).toDecimalPlaces(MONEY_DECIMAL_PLACES, DecimalClass.ROUND_HALF_UP);
}

/** Rounds to 4 decimals, ROUND_HALF_UP. */
export function roundQuantity(value: Decimal.Value): Decimal {
  return toTaxDecimal(value, "quantity").toDecimalPlaces(QUANTITY_DECIMAL_PLACES, DecimalClass.ROUND_HALF_UP);
}

/**
 * The JS number to put on the wire for a money field: rounded ROUND_HALF_UP to 2 decimals, then read
 * back from its fixed-point string. JSON.stringify prints a number's shortest round-trip form, and the
 * number parsed from "849.60" round-trips as "849.6", so the wire never shows 849.6000000000001 (0302).
 * Negative zero is normalised to 0.
 */
export function toMoneyNumber(value: Decimal.Value): number {
  return exactWireNumber(roundMoney(value), MONEY_DECIMAL_PLACES);
}

/** Same as toMoneyNumber for quantities: ROUND_HALF_UP to 4 decimals. */
export function toQuantityNumber(value: Decimal.Value): number {
  return exactWireNumber(roundQuantity(value), QUANTITY_DECIMAL_PLACES);
}

/**
 * A JS number equal to the rounded decimal, or an error: past about 15 significant digits a double cannot
 * hold the amount exactly, and FBR would then recompute tax from a different number than we meant.
 */
function exactWireNumber(rounded: Decimal, places: number): number {
  // TaxDecimal prints no trailing zeros and no exponent below 1e40, so its text is the amount's canonical
  // form. The double parsed from it is exact when its shortest round-trip text (what JSON.stringify prints)
  // is the same text; a double prints "1e+21" from 1e21 up, so exponent notation is caught too.
  const text = rounded.toString();
  const wire = Number(text);
  if (wire === 0) return 0; // no "-0" on the wire
  if (String(wire) !== text) {
    throw new TaxAmountError(
      `${rounded.toFixed(places)} has too many digits to be sent exactly as a JSON number`,
    );
  }
  return wire;
}

/**
 * How many digits a number shows after the decimal point when serialised (849.6 → 1, 849.6000000000001 → 13,
 * 1e-7 → 7): what FBR counts for 0302. The validator calls it for every numeric field, so it avoids
 * formatting the number where it can.
 */
export function decimalPlacesOf(value: number): number {
  if (!Number.isFinite(value)) return Number.POSITIVE_INFINITY;
  // Fast paths for the usual money and quantity values: a double prints with at most d decimals exactly when
  // it is the double nearest to round(value x 10^d) / 10^d.
  if (Number.isInteger(value)) return 0;
  if (Math.abs(value) < 1e11) {
    if (Math.round(value * 10) / 10 === value) return 1;
    if (Math.round(value * 100) / 100 === value) return 2;
  }
  const text = String(value);
  const exponentAt = text.indexOf("e");
  if (exponentAt === -1) {
    const dot = text.indexOf(".");
    return dot === -1 ? 0 : text.length - dot - 1;
  }
  const mantissa = text.slice(0, exponentAt);
  const exponent = Number(text.slice(exponentAt + 1));
  const dot = mantissa.indexOf(".");
  const mantissaDecimals = dot === -1 ? 0 : mantissa.length - dot - 1;
  return Math.max(0, mantissaDecimals - exponent);
}
