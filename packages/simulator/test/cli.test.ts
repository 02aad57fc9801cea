import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { PRODUCTION_AUTH } from "./helpers.ts";

const entry = fileURLToPath(new URL("./fixtures/simulator-command.ts", import.meta.url));

function run(args: string[]): ChildProcess {
  return spawn(
    process.execPath,
    ["--conditions=@raseed/source", "--import", "tsx", entry, "simulator", ...args],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
}

interface Collected {
  out: () => string;
  err: () => string;
  /** Resolves with the first match in stdout, checked as output arrives (no clock; the test's timeout bounds it). */
  untilOut: (pattern: RegExp) => Promise<RegExpMatchArray>;
}

function collect(child: ChildProcess): Collected {
  let out = "";
  let err = "";
  const waiters = new Set<{ pattern: RegExp; resolve: (match: RegExpMatchArray) => void }>();
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
    for (const waiter of waiters) {
      const match = out.match(waiter.pattern);
      if (match === null) continue;
      waiters.delete(waiter);
      waiter.resolve(match);
    }
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  const untilOut = (pattern: RegExp): Promise<RegExpMatchArray> => {
    const match = out.match(pattern);
    return match !== null
      ? Promise.resolve(match)
      : new Promise((resolve) => waiters.add({ pattern, resolve }));
  };
  return { out: () => out, err: () => err, untilOut };
}

function exitCode(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.on("exit", (code) => resolve(code)));
}

describe("raseed simulator", () => {
  it("prints its URL, serves, applies --latency-ms and stops cleanly on SIGTERM", async () => {
    const child = run(["--port", "0", "--latency-ms", "120", "--no-inspect"]);
    const output = collect(child);
    const exited = exitCode(child);
    const [, url] = await output.untilOut(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
    // The flag reaches the simulator's faults (the delay each request gets: FaultEngine in units.test.ts).
    await output.untilOut(/latency:\s+120 ms on every request/);
    const response = await fetch(`${url}/pdi/v1/provinces`, { headers: PRODUCTION_AUTH });
    expect(response.status).toBe(200);
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
    [["--seed", "99999999999999999999"], /--seed must be a whole number up to 9007199254740991/],
    [["--latency-ms", "9999999"], /--latency-ms: .*600000/],
    [["--host", "999.1.1.1", "--port", "0"], /cannot listen on 999\.1\.1\.1:0 \(ENOTFOUND\)/],
    [["--bogus"], /unknown option '--bogus'/],
  ])("exits 2 with a one-line reason for %j", async (args, reason) => {
    const child = run(args);
    const output = collect(child);
    expect(await exitCode(child)).toBe(2);
    expect(output.err().trim().split("\n")).toHaveLength(1);
    expect(output.err()).toMatch(reason);
  });

  it("names the key path when two owners share a token, and exits 2", async () => {
    const dir = mkdtempSync(join(tmpdir(), "raseed-sim-"));
    const file = join(dir, "sim.json");
    const seller = { ntn: "1234567", businessName: "B", province: "Punjab" };
    writeFileSync(file, JSON.stringify({ sellers: [{ ...seller, productionToken: "sandbox-demo-token" }] }));
    const child = run(["--config", file]);
    const output = collect(child);
    expect(await exitCode(child)).toBe(2);
    expect(output.err().trim().split("\n")).toHaveLength(1);
    expect(output.err()).toMatch(
      /sellers\[0\]\.productionToken: this token is already given to the demo seller/,
    );
    expect(output.err()).not.toContain("sandbox-demo-token");
  });

  it("prints the seed it picked for --fail-rate so the run can be repeated", async () => {
    const child = run(["--port", "0", "--fail-rate", "0.5", "--no-inspect"]);
    const output = collect(child);
    const exited = exitCode(child);
    const [, seed] = await output.untilOut(/repeat this run with --seed (\d+)/);
    expect(output.out()).toContain(`seed ${seed}`);
    expect(output.out()).toContain("commit-then-drop");
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
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
