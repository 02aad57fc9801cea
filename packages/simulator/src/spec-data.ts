// Small adapter over the repo's FBR data tables (spec/data). The sdk serves the reference snapshot and
// the scenario catalogue; the simulator reads two things it does not expose: the sample rows of each
// reference endpoint (di-reference-api.json) and the raw scenario sample items, from which the HS→UoM
// and SRO schedule/serial fixtures are derived.
import { readFileSync } from "node:fs";

const specDataDir = new URL("../../../spec/data/", import.meta.url);

function readSpecJson<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(name, specDataDir), "utf8")) as T;
}

export type SampleValue = string | number | null;

export interface SpecScenario {
  scenarioId: string;
  sampleItem: Record<string, SampleValue>;
}

interface SpecReferenceEndpoint {
  url: string;
  sample?: Record<string, SampleValue>[];
}

export interface SpecTables {
  scenarios: SpecScenario[];
  referenceSamples: Map<string, Record<string, SampleValue>[]>;
}

let cache: SpecTables | undefined;

export function specTables(): SpecTables {
  if (cache) return cache;
  const scenarios = readSpecJson<{ scenarios: SpecScenario[] }>("di-scenarios.json").scenarios;
  const reference = readSpecJson<{ referenceEndpoints: SpecReferenceEndpoint[] }>("di-reference-api.json");
  cache = {
    scenarios,
    referenceSamples: new Map(reference.referenceEndpoints.map((e) => [e.url, e.sample ?? []])),
  };
  return cache;
}
