import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { startSimulator } from "../src/index.ts";
import type { Transcript } from "./golden-runner.ts";
import { checkStep, sendRaw } from "./golden-runner.ts";

/** A clock that always reads the transcript's instant. */
function fixedClock(iso: string): () => number {
  const instant = Date.parse(iso);
  if (Number.isNaN(instant)) throw new Error(`simulator.clock "${iso}" is not an ISO instant`);
  return () => instant;
}

const folder = new URL("../golden-transcripts/", import.meta.url);
const files = readdirSync(folder)
  .filter((name) => name.endsWith(".json"))
  .sort();

describe("golden transcripts", () => {
  it("has transcripts to replay", () => {
    expect(files.length).toBeGreaterThan(30);
  });

  it.each(files)("%s", async (file) => {
    const transcript = JSON.parse(readFileSync(new URL(file, folder), "utf8")) as Transcript;
    const sim = await startSimulator({
      port: 0,
      ...(transcript.simulator?.config ? { config: transcript.simulator.config } : {}),
      ...(transcript.simulator?.faults ? { faults: transcript.simulator.faults } : {}),
      ...(transcript.simulator?.clock ? { clock: fixedClock(transcript.simulator.clock) } : {}),
    });
    try {
      const vars: Record<string, string> = {};
      for (const [index, step] of transcript.steps.entries()) {
        const exchange = await sendRaw(sim.url, step.request, vars);
        const problems = checkStep(step, exchange, vars);
        expect(
          problems,
          `${transcript.name}, step ${index + 1}${step.note ? ` (${step.note})` : ""}`,
        ).toEqual([]);
      }
    } finally {
      await sim.close();
    }
  });
});
