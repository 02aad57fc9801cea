// Small adapter over the repo's FBR data tables (spec/data). The sdk serves the reference snapshot and
// the scenario catalogue; the simulator reads two things it does not expose: the sample rows of each
// reference endpoint (di-reference-api.json) and the raw scenario sample items, from which the HS→UoM
// and SRO schedule/serial fixtures are derived.
// packages/simulator/data holds byte-identical copies of the two spec/data files (spec-data.test.ts keeps them equal), so
// the published package carries them.
import referenceFile from "../data/di-reference-api.json" with { type: "json" };
import scenariosFile from "../data/di-scenarios.json" with { type: "json" };

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
  const scenarios = (scenariosFile as unknown as { scenarios: SpecScenario[] }).scenarios;
  const reference = referenceFile as unknown as { referenceEndpoints: SpecReferenceEndpoint[] };
  cache = {
    scenarios,
    referenceSamples: new Map(reference.referenceEndpoints.map((e) => [e.url, e.sample ?? []])),
  };
  return cache;
}
