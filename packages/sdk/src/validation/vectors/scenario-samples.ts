// PRAL's 28 scenario samples as complete DI payloads (scenarioSamplePayload from the sdk's scenarios/,
// identical to spec/vectors/di/SN0xx.json), fresh and mutable for each test vector.
import { scenarioCatalogue, scenarioSamplePayload } from "../../scenarios/index.ts";

export const scenarioIds: readonly string[] = scenarioCatalogue.map((info) => info.id);

/** PRAL's sample for a scenario as a fresh, mutable payload (with scenarioId). */
export function scenarioSample(scenarioId: string): Record<string, unknown> {
  return structuredClone(scenarioSamplePayload(scenarioId)) as unknown as Record<string, unknown>;
}
