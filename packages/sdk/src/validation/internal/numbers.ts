// Reading FBR's numeric fields the way PRAL's validator appears to: JSON numbers, or numeric strings
// (PRAL's own SN003/SN004/SN011 samples send "205000.00"), never null or missing (0300), with a limit on
// decimals (0302: money 2, quantity 4).

export type NumericReading =
  | { state: "missing" }
  | { state: "invalid"; shown: string }
  | { state: "ok"; value: number | string; decimals: number };

const NUMERIC_TEXT = /^[+-]?\d+(?:\.(\d+))?$/;

/** How many decimals a JS number prints with: 849.6000000000001 has 13, 1e-7 has 7. */
export function decimalsOfNumber(value: number): number {
  // Fast paths for the usual money and quantity values, without formatting the number: a double prints
  // with at most d decimals exactly when it is the double nearest to round(value x 10^d) / 10^d.
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

export function readNumeric(value: unknown): NumericReading {
  if (value === undefined || value === null) return { state: "missing" };
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return { state: "invalid", shown: String(value) };
    return { state: "ok", value, decimals: decimalsOfNumber(value) };
  }
  if (typeof value === "string") {
    const trimmed = value.trim();
    const match = NUMERIC_TEXT.exec(trimmed);
    if (match === null) return { state: "invalid", shown: JSON.stringify(value) };
    return { state: "ok", value: trimmed, decimals: match[1]?.length ?? 0 };
  }
  return { state: "invalid", shown: JSON.stringify(value) ?? typeof value };
}

/** The reading as a JS number, for comparisons that are not money arithmetic (signs, zero tests). */
export function numericValue(reading: NumericReading): number | undefined {
  return reading.state === "ok" ? Number(reading.value) : undefined;
}

/** Describes a value for a message: "null", "missing", "\"abc\"". */
export function shownValue(value: unknown): string {
  if (value === undefined) return "missing";
  return JSON.stringify(value) ?? String(value);
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
