import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { PRODUCTION_AUTH } from "./helpers.ts";

const entry = fileURLToPath(new URL("./fixtures/simulator-command.ts", import.meta.url));

function run(args: string[]): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", entry, "simulator", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
}

function collect(child: ChildProcess): { out: () => string; err: () => string } {
  let out = "";
  let err = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  return { out: () => out, err: () => err };
}

function exitCode(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.on("exit", (code) => resolve(code)));
}

async function waitFor(check: () => RegExpMatchArray | null, ms: number): Promise<RegExpMatchArray> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const match = check();
    if (match) return match;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("timed out waiting for the simulator to print its URL");
}

describe("raseed simulator", () => {
  it("prints its URL, serves, applies --latency-ms and stops cleanly on SIGTERM", async () => {
    const child = run(["--port", "0", "--latency-ms", "120", "--no-inspect"]);
    const output = collect(child);
    const exited = exitCode(child);
    const [, url] = await waitFor(
      () => output.out().match(/listening on (http:\/\/127\.0\.0\.1:\d+)/),
      20_000,
    );
    const started = Date.now();
    const response = await fetch(`${url}/pdi/v1/provinces`, { headers: PRODUCTION_AUTH });
    expect(response.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
    expect((await fetch(`${url}/__sim/invoices`)).status).toBe(404);
    expect(output.out()).not.toContain("sandbox-demo-token");
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(output.out()).toContain("stopped");
  });

  it.each([
    [["--fail-rate", "2"], /--fail-rate must be a number from 0 to 1/],
    [["--latency-ms", "50-10"], /--latency-ms must be N or MIN-MAX/],
    [["--port", "99999"], /--port must be 0-65535/],
    [["--seed", "abc"], /--seed must be a whole number/],
  ])("exits 2 with a one-line reason for %j", async (args, reason) => {
    const child = run(args);
    const output = collect(child);
    expect(await exitCode(child)).toBe(2);
    expect(output.err().trim().split("\n")).toHaveLength(1);
    expect(output.err()).toMatch(reason);
  });

  it("names an unknown config key and exits 2", async () => {
    const dir = mkdtempSync(join(tmpdir(), "raseed-sim-"));
    const file = join(dir, "sim.json");
    writeFileSync(file, JSON.stringify({ sellers: [], posTerminal: [] }));
    const child = run(["--config", file]);
    const output = collect(child);
    expect(await exitCode(child)).toBe(2);
    expect(output.err()).toMatch(/unknown key "posTerminal"/);
  });
});
