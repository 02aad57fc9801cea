// The README's example must run as written: this extracts the block between the readme-example markers and
// runs it against the simulator over real HTTP on 127.0.0.1. The simulator is imported by package name for
// this test only; the sdk itself never depends on it (the simulator depends on the sdk).
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { DEMO_WORLD, type RunningSimulator, startSimulator } from "@raseed/simulator";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

const readmePath = fileURLToPath(new URL("../README.md", import.meta.url));
const sdkEntry = pathToFileURL(fileURLToPath(new URL("../src/index.ts", import.meta.url))).href;

/** The ```ts block between `<!-- readme-example:start -->` and `<!-- readme-example:end -->`. */
function readmeExample(): string {
  const readme = readFileSync(readmePath, "utf8");
  const match = /<!-- readme-example:start -->\n```ts\n([\s\S]*?)\n```\n<!-- readme-example:end -->/.exec(
    readme,
  );
  if (match?.[1] === undefined) throw new Error("packages/sdk/README.md has no readme-example block");
  return match[1];
}

describe("packages/sdk/README.md example", () => {
  let simulator: RunningSimulator;
  let workDir: string;
  const savedEnv = { FBR_TOKEN: process.env.FBR_TOKEN, FBR_BASE_URL: process.env.FBR_BASE_URL };

  beforeAll(async () => {
    // The example dates the invoice `new Date()`, a Pakistan calendar day; judged by FBR's UTC day it would
    // be refused between 00:00 and 05:00 PKT (19:00-24:00 UTC), so this test would depend on the hour.
    simulator = await startSimulator({ port: 0, config: { invoiceDateClock: "pakistan" } });
    workDir = mkdtempSync(join(tmpdir(), "raseed-readme-"));
  });

  afterAll(async () => {
    await simulator.close();
    rmSync(workDir, { recursive: true, force: true });
    for (const [key, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it("is ten-odd lines that import only @raseed/sdk", () => {
    const example = readmeExample();
    expect(example.split("\n").length).toBeLessThanOrEqual(20);
    expect([...example.matchAll(/from "([^"]+)"/g)].map((m) => m[1])).toEqual(["@raseed/sdk"]);
  });

  it("imports, in every code block, only names the sdk exports", async () => {
    const sdk = (await import(sdkEntry)) as Record<string, unknown>;
    const readme = readFileSync(readmePath, "utf8");
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)\n```/g)].map((match) => match[1] ?? "");
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    for (const block of blocks) {
      for (const [, names] of block.matchAll(/import \{([^}]*)\} from "@raseed\/sdk"/g)) {
        for (const name of (names ?? "").split(",").map((part) => part.trim())) {
          expect(sdk[name], name).toBeDefined();
        }
      }
    }
  });

  it("names, in the areas table, only runtime exports or exported types", async () => {
    const sdk = (await import(sdkEntry)) as Record<string, unknown>;
    const readme = readFileSync(readmePath, "utf8");
    const table = readme.slice(readme.indexOf("## Areas"), readme.indexOf("## Errors"));
    const names = [...table.matchAll(/^\| `[a-z]+\/` \|.*\| (.*) \|$/gm)].flatMap((row) =>
      [...(row[1] ?? "").matchAll(/`([A-Za-z]+)`/g)].map((match) => match[1] ?? ""),
    );
    expect(names.length).toBeGreaterThan(40);
    const sources = readdirSync(fileURLToPath(new URL("../src", import.meta.url)), { recursive: true })
      .map(String)
      .filter((path) => path.endsWith(".ts") && !path.includes("internal"))
      .map((path) => readFileSync(fileURLToPath(new URL(`../src/${path}`, import.meta.url)), "utf8"))
      .join("\n");
    for (const name of names) {
      const exportedType = new RegExp(`export (type|interface) ${name}\\b`).test(sources);
      expect(sdk[name] !== undefined || exportedType, name).toBe(true);
    }
  });

  it("builds, validates and posts an invoice the simulator accepts, and renders its QR", async () => {
    process.env.FBR_TOKEN = DEMO_WORLD.seller.sandboxToken;
    process.env.FBR_BASE_URL = simulator.url;
    // The same code, with the package name pointed at this checkout's source (a temp file cannot resolve it).
    const file = join(workDir, "example.ts");
    writeFileSync(file, readmeExample().replace('from "@raseed/sdk"', `from ${JSON.stringify(sdkEntry)}`));
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      await import(pathToFileURL(file).href);
      expect(error).not.toHaveBeenCalled();
      expect(warn).not.toHaveBeenCalled();
      expect(log).toHaveBeenCalledTimes(1);
      const [invoiceNumber, svgLength] = log.mock.calls[0] as [string, number];
      expect(invoiceNumber).toMatch(/^7000007DI/);
      expect(svgLength).toBeGreaterThan(500);
    } finally {
      log.mockRestore();
      error.mockRestore();
      warn.mockRestore();
    }

    const listed = (await (await fetch(`${simulator.url}/__sim/invoices`)).json()) as {
      invoices: { invoiceNumber: string; postCount: number }[];
    };
    expect(listed.invoices).toHaveLength(1);
    expect(listed.invoices[0]?.postCount).toBe(1);
  });
});
