// Which sandbox scenarios a taxpayer must pass: spec v1.12 §10, business activity x sector,
// from packages/sdk/data/di-scenario-matrix.json (104 rows, as printed).
import matrixFile from "../../data/di-scenario-matrix.json" with { type: "json" };
import { ScenarioLookupError } from "./errors.ts";

function uniqueInOrder(values: Iterable<string>): string[] {
  return [...new Set(values)];
}

const ACTIVITIES: readonly string[] = Object.freeze(
  uniqueInOrder(matrixFile.rows.map((row) => row.businessActivity)),
);
const SECTORS: readonly string[] = Object.freeze(uniqueInOrder(matrixFile.rows.map((row) => row.sector)));

const nameKey = (name: string) => name.trim().toLowerCase();
const ACTIVITY_BY_KEY = new Map(ACTIVITIES.map((name) => [nameKey(name), name] as const));
const SECTOR_BY_KEY = new Map(SECTORS.map((name) => [nameKey(name), name] as const));
const SCENARIOS_BY_CELL = new Map<string, readonly string[]>(
  matrixFile.rows.map((row) => [`${row.businessActivity}\u0000${row.sector}`, row.scenarios] as const),
);

/** The 8 business activities of §10, in the spec's order (Manufacturer, Importer, ... Other). */
export function businessActivities(): readonly string[] {
  return ACTIVITIES;
}

/** The 13 sectors of §10, in the spec's order (All Other Sectors, Steel, ... Wholesale / Retails). */
export function scenarioSectors(): readonly string[] {
  return SECTORS;
}

function resolveActivity(activity: string): string {
  const found = ACTIVITY_BY_KEY.get(nameKey(activity));
  if (found) return found;
  throw new ScenarioLookupError(
    "unknown_business_activity",
    `Unknown business activity "${activity}". Valid activities: ${ACTIVITIES.join(", ")}`,
    ACTIVITIES,
  );
}

function resolveSector(sector: string): string {
  const found = SECTOR_BY_KEY.get(nameKey(sector));
  if (found) return found;
  throw new ScenarioLookupError(
    "unknown_sector",
    `Unknown sector "${sector}". Valid sectors: ${SECTORS.join(", ")}`,
    SECTORS,
  );
}

/**
 * The scenario ids a taxpayer with this business activity and sector must pass in the sandbox, in the
 * spec's order without its duplicates (Distributor/Wholesaler x FMCG print SN008 twice). Names match
 * after trimming, ignoring case. Note Manufacturer x Pharmaceuticals lacks SN025 in v1.12, as printed.
 * IRIS > Sandbox shows the authoritative list for a real registration.
 * @throws ScenarioLookupError listing the valid names when the activity or sector is unknown.
 */
export function scenariosForActivity(activity: string, sector: string): readonly string[] {
  const cell = `${resolveActivity(activity)}\u0000${resolveSector(sector)}`;
  return uniqueInOrder(SCENARIOS_BY_CELL.get(cell) ?? []);
}

/**
 * IRIS lets a taxpayer pick several business activities and one sector; this is the union of their
 * scenarios in first-seen order. The union is an integrator inference, not a rule PRAL states.
 */
export function scenariosForActivities(activities: readonly string[], sector: string): readonly string[] {
  return uniqueInOrder(activities.flatMap((activity) => scenariosForActivity(activity, sector)));
}
