// PRAL's 28 scenario samples as complete DI payloads, for tests and the benchmark.
// PRAL's v1.11 document gives each scenario's whole payload; spec/data/di-scenarios.json keeps the parts that
// vary (sampleHeader, sampleItem). The header fields every sample shares are filled in as PRAL's samples
// write them (seller "Company 8" in Sindh, dated 2025-04-21), so the payload is PRAL's, not ours.
import { readFileSync } from "node:fs";

interface ScenarioRow {
  scenarioId: string;
  sampleHeader: Record<string, unknown>;
  sampleItem: Record<string, unknown>;
}

const rows = (
  JSON.parse(
    readFileSync(new URL("../../../../../spec/data/di-scenarios.json", import.meta.url), "utf8"),
  ) as { scenarios: ScenarioRow[] }
).scenarios;

const SHARED_SAMPLE_HEADER = {
  invoiceType: "Sale Invoice",
  invoiceDate: "2025-04-21",
  sellerBusinessName: "Company 8",
  sellerProvince: "Sindh",
  sellerAddress: "Karachi",
  buyerBusinessName: "FERTILIZER MANUFAC IRS NEW",
  buyerProvince: "Sindh",
  buyerAddress: "Karachi",
};

export const scenarioIds: readonly string[] = rows.map((row) => row.scenarioId);

/** PRAL's sample for a scenario as a fresh, mutable payload (with scenarioId). */
export function scenarioSample(scenarioId: string): Record<string, unknown> {
  const row = rows.find((candidate) => candidate.scenarioId === scenarioId);
  if (row === undefined) throw new Error(`unknown scenario ${scenarioId}`);
  return structuredClone({
    ...SHARED_SAMPLE_HEADER,
    ...row.sampleHeader,
    scenarioId: row.scenarioId,
    items: [row.sampleItem],
  });
}
