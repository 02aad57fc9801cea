// The FBR error catalogue: one `as const` table generated from spec/data (scripts/generate-errors.ts),
// plus the typed look-ups everything else uses. docs/errors.md is generated from the same rows.
import { fbrErrorCatalogue } from "./catalogue.generated.ts";

export { fbrErrorCatalogue };

/** Every code the catalogue knows: FBR's spec codes, the runtime-only ones, and Raseed's own ("RDI01", "RIMS01"...). */
export type FbrErrorCode = keyof typeof fbrErrorCatalogue;

/** One catalogue row. `level` is where FBR reports the code (header or line); `origin` where we learned it. */
export interface FbrErrorDescription {
  readonly code: string;
  readonly message: string;
  readonly brief: string;
  readonly fix: string;
  readonly field: string;
  readonly level: "header" | "item";
  readonly origin: "spec" | "runtime" | "raseed";
  readonly runtimeMessage?: string;
}

export function isFbrErrorCode(code: string): code is FbrErrorCode {
  return Object.hasOwn(fbrErrorCatalogue, code);
}

/**
 * Looks a code up; accepts FBR's zero-padded strings and numbers that lost their padding (46 → "0046").
 * Returns undefined for a code FBR has not documented and nobody has observed.
 */
export function describeFbrError(code: string | number): FbrErrorDescription | undefined {
  const raw = String(code).trim();
  const key = /^\d{1,3}$/.test(raw) ? raw.padStart(4, "0") : raw;
  return isFbrErrorCode(key) ? fbrErrorCatalogue[key] : undefined;
}
