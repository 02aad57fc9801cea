// Lookup failures in the scenario catalogue and matrix carry the valid values, so a caller can list them.

export type ScenarioLookupErrorCode = "unknown_scenario" | "unknown_business_activity" | "unknown_sector";

export class ScenarioLookupError extends Error {
  readonly code: ScenarioLookupErrorCode;
  /** What would have been accepted. */
  readonly validValues: readonly string[];

  constructor(code: ScenarioLookupErrorCode, message: string, validValues: readonly string[]) {
    super(message);
    this.name = "ScenarioLookupError";
    this.code = code;
    this.validValues = validValues;
  }
}
