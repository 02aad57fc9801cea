// Reading FBR's numeric fields the way PRAL's validator appears to: JSON numbers, or numeric strings
// (PRAL's own SN003/SN004/SN011 samples send "205000.00"), never null or missing (0300), with a limit on
// decimals (0302: money 2, quantity 4).
import { decimalPlacesOf } from "../../tax/decimal.ts";

export type NumericReading =
  | { state: "missing" }
  | { state: "invalid"; shown: string }
  | { state: "ok"; value: number | string; decimals: number };

const NUMERIC_TEXT = /^[+-]?\d+(?:\.(\d+))?$/;

export function readNumeric(value: unknown): NumericReading {
  if (value === undefined || value === null) return { state: "missing" };
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return { state: "invalid", shown: String(value) };
    return { state: "ok", value, decimals: decimalPlacesOf(value) };
  }
  if (typeof value === "string") {
    const trimmed = value.trim();
    const match = NUMERIC_TEXT.exec(trimmed);
    if (match === null) return { state: "invalid", shown: shownValue(value) };
    return { state: "ok", value: trimmed, decimals: match[1]?.length ?? 0 };
  }
  return { state: "invalid", shown: shownValue(value) };
}

/** The reading as a JS number, for comparisons that are not money arithmetic (signs, zero tests). */
export function numericValue(reading: NumericReading): number | undefined {
  return reading.state === "ok" ? Number(reading.value) : undefined;
}

/** Longest text quoted in a message; hostile input may send megabytes in one field. */
const SHOWN_TEXT_LIMIT = 60;

/**
 * Describes a value for a message: "missing", "null", "12", "\"abc\"", "an array of 3 entries",
 * "an object". Never recurses into the value: JSON.stringify of a 100,000-level nested body overflows
 * the stack (and of a cyclic one throws), and a validator must answer issues for any input, never throw.
 */
export function shownValue(value: unknown): string {
  if (value === undefined) return "missing";
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
      if (value.length <= SHOWN_TEXT_LIMIT) return JSON.stringify(value);
      return `${JSON.stringify(`${value.slice(0, SHOWN_TEXT_LIMIT)}…`)} (${value.length} characters)`;
    case "number":
    case "boolean":
    case "bigint":
      return String(value);
    case "object":
      if (Array.isArray(value))
        return `an array of ${value.length} ${value.length === 1 ? "entry" : "entries"}`;
      return "an object";
    default:
      return typeof value;
  }
}

/**
 * The value as an exact whole number of 1/10^scale units (paisa for scale 2), when it has at most `scale`
 * decimals and stays a safe integer; undefined otherwise. Lets totals be summed exactly without decimals.
 */
export function scaledInteger(reading: NumericReading, scale: number): number | undefined {
  if (reading.state !== "ok" || reading.decimals > scale) return undefined;
  const scaled = Math.round(Number(reading.value) * 10 ** scale);
  return Number.isSafeInteger(scaled) ? scaled : undefined;
}
