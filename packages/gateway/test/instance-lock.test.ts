// One gateway process per SQLite file: a second `raseed serve` on the same file is refused with a one-line
// reason (it would otherwise treat the first one's in-flight posts as abandoned and mark them in_doubt),
// while admin commands keep working beside the running gateway and the lock dies with its process.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { startGateway } from "../src/main.ts";
import { openStore } from "../src/store/database.ts";
import { InstanceLockError } from "../src/store/instance-lock.ts";
import { addTenant } from "../src/tenants/tenants.ts";
import { sampleInvoice, startTestGateway, type TestGateway } from "./harness.ts";

const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));

function runSecondProcess(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--conditions=@raseed/source", "--import", "tsx", MAIN], {
      env: { ...process.env, ...env, RASEED_PORT: "0", RASEED_LOG_LEVEL: "silent" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe("one gateway process per SQLite file", () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway("sqlite");
  });
  afterAll(async () => {
    await t?.close();
  });

  it("refuses a second gateway on the same file and leaves the first one's in-flight post alone", async () => {
    const invoice = sampleInvoice();
    t.faults.byDescription.set(invoice.items[0]?.productDescription as string, "latency;ms=1500");
    const posted = await t.call("POST", "/v1/invoices", { body: invoice });
    await t.waitFor(t.keyA, posted.body.id, ["submitting"], 5_000);

    const second = await runSecondProcess({
      RASEED_DB: t.db,
      RASEED_DATA_DIR: t.dataDir,
      RASEED_MASTER_KEY: t.masterKey.toString("hex"),
    });
    expect(second.code).toBe(1);
    expect(second.stderr.trim().split("\n")).toHaveLength(1);
    expect(second.stderr).toMatch(/another raseed gateway is already running on .*raseed\.db/);

    // In the same process too (what a test or an embedding program could do).
    const config = loadConfig({
      flags: { port: 0, db: t.db, dataDir: t.dataDir, masterKey: t.masterKey.toString("hex") },
      env: {},
    });
    await expect(startGateway(config)).rejects.toBeInstanceOf(InstanceLockError);

    const done = await t.waitFor(t.keyA, posted.body.id, ["accepted", "in_doubt"], 10_000);
    expect(done.state).toBe("accepted");
  });

  it("admin commands still work on the file while the gateway runs", async () => {
    const store = await openStore({ db: t.db, dataDir: t.dataDir });
    try {
      const added = await addTenant(store.db, t.masterKey, {
        ntn: "7200002",
        name: "Third Traders",
        province: "Sindh",
        address: "Karachi",
        environment: "sandbox",
        fbrToken: "sandbox-third-token",
      });
      expect(added.id).toMatch(/\S/);
    } finally {
      await store.close();
    }
  });

  it("the lock goes with the gateway: a new one starts once the first has stopped", async () => {
    const config = loadConfig({
      flags: {
        port: 0,
        db: t.db,
        dataDir: t.dataDir,
        masterKey: t.masterKey.toString("hex"),
        logLevel: "silent",
      },
      env: {},
    });
    await t.gateway.close();
    const next = await startGateway(config);
    await next.close();
  });
});
