import { RaseedError, SDK_ERRORS_DOCS } from "../errors/classes.ts";

// Lookup failures in the scenario catalogue and matrix carry the valid values, so a caller can list them.

export type ScenarioLookupErrorCode = "unknown_scenario" | "unknown_business_activity" | "unknown_sector";

export class ScenarioLookupError extends RaseedError {
  declare readonly code: ScenarioLookupErrorCode;
  /** What would have been accepted. */
  readonly validValues: readonly string[];

  constructor(code: ScenarioLookupErrorCode, message: string, validValues: readonly string[]) {
    super(code, message, { details: { validValues }, docsUrl: SDK_ERRORS_DOCS });
    this.validValues = validValues;
  }
}
