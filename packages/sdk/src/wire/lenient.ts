// Building blocks for parsing FBR's JSON leniently while handing out strict types.
// FBR's own samples and live replies put numbers in string fields (`invoiceNo: 0`, `Code: 100`) and
// numeric strings in number fields ("205000.00" in PRAL's SN003 sample), so each field accepts the
// other form where the meaning is unambiguous and always outputs one type.
import { z } from "zod";

const NUMERIC_STRING = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

function describeInput(input: unknown): string {
  if (input === undefined) return "nothing (the field is missing)";
  if (input === null) return "null";
  if (typeof input === "string")
    return input.length > 40 ? `a string "${input.slice(0, 40)}…"` : `"${input}"`;
  if (Array.isArray(input)) return "an array";
  return typeof input === "object" ? "an object" : `${typeof input} ${String(input)}`;
}

/** A string holding a plain decimal number becomes that number; anything else is left for the check. */
function numericStringToNumber(value: unknown): unknown {
  if (typeof value === "string") {
    const trimmed = value.trim();
    if (NUMERIC_STRING.test(trimmed)) return Number(trimmed);
  }
  return value;
}

/** A finite number becomes its decimal string; anything else is left for the check. */
function numberToString(value: unknown): unknown {
  return typeof value === "number" && Number.isFinite(value) ? String(value) : value;
}

/** A number field that also accepts a numeric string ("205000.00" → 205000). */
export function lenientNumber() {
  return z.preprocess(
    numericStringToNumber,
    z.number({
      error: (issue) => `expected a number (a numeric string is accepted), got ${describeInput(issue.input)}`,
    }),
  );
}

/** An integer field that also accepts a numeric string ("7" → 7). */
export function lenientInteger() {
  return z.preprocess(
    numericStringToNumber,
    z
      .number({ error: (issue) => `expected an integer, got ${describeInput(issue.input)}` })
      .int({ error: (issue) => `expected an integer, got ${describeInput(issue.input)}` }),
  );
}

/** A string field that also accepts a number (`invoiceNo: 0` → "0"). */
export function lenientString() {
  return z.preprocess(
    numberToString,
    z.string({
      error: (issue) => `expected a string (a number is accepted), got ${describeInput(issue.input)}`,
    }),
  );
}

/** A string field where FBR sends null or leaves the key out to mean "nothing": both become "". */
export function lenientStringOrEmpty() {
  return z.preprocess((value) => (value === null || value === undefined ? "" : value), lenientString());
}

/**
 * An FBR status or error code: a string of `width` digits. A number is zero-padded, so `statusCode: 0`
 * reads as "00" and `errorCode: 52` as "0052" (FBR's codes are always written with their leading zeros).
 */
export function fbrCode(width: number) {
  return z.preprocess(
    (value) =>
      typeof value === "number" && Number.isInteger(value) && value >= 0
        ? String(value).padStart(width, "0")
        : value,
    z.string({
      error: (issue) =>
        `expected a code string such as "${"0".repeat(width)}", got ${describeInput(issue.input)}`,
    }),
  );
}

/**
 * Drops the listed keys when FBR sends them as null, so an optional field reads as absent
 * rather than failing the parse. Other values pass through untouched.
 */
export function nullKeysAsAbsent<T extends z.ZodType>(keys: readonly string[], schema: T) {
  return z.preprocess((value) => {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
    const record = value as Record<string, unknown>;
    if (!keys.some((key) => record[key] === null)) return value;
    const copy: Record<string, unknown> = { ...record };
    for (const key of keys) if (copy[key] === null) delete copy[key];
    return copy;
  }, schema);
}

/** Object-level error message for a value that is not a JSON object at all. */
export function objectError(what: string) {
  return {
    error: (issue: { input: unknown }) =>
      `expected ${what} (a JSON object), got ${describeInput(issue.input)}`,
  };
}

/** Array-level error message for a value that is not a JSON array at all. */
export function arrayError(what: string) {
  return {
    error: (issue: { input: unknown }) =>
      `expected ${what} (a JSON array), got ${describeInput(issue.input)}`,
  };
}
