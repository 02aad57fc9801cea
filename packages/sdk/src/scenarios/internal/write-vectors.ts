// Writes PRAL's 28 sample payloads as test vectors: spec/vectors/di/SN001.json ... SN028.json.
// scenarios.test.ts fails when a file no longer equals scenarioSamplePayload(id).
import { mkdirSync, writeFileSync } from "node:fs";
import { scenarioCatalogue, scenarioSamplePayload } from "../catalogue.ts";

const vectorDirectory = new URL("../../../../../spec/vectors/di/", import.meta.url);
mkdirSync(vectorDirectory, { recursive: true });
for (const scenario of scenarioCatalogue) {
  const text = `${JSON.stringify(scenarioSamplePayload(scenario.id), null, 2)}\n`;
  writeFileSync(new URL(`${scenario.id}.json`, vectorDirectory), text);
}
console.log(`wrote ${scenarioCatalogue.length} vectors to ${vectorDirectory.pathname}`);
