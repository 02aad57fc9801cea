// `raseed scenarios list|run` and POST /v1/certification/runs: a real gateway (SQLite, then PostgreSQL) and the
// real simulator.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addTenant, createApiKey } from "../../gateway/src/index.ts";
import { SELLER_A, simInvoices, startTestGateway, type TestGateway } from "../../gateway/test/harness.ts";
import { engines } from "../../gateway/test/helpers.ts";
import { runScenariosList, runScenariosRun } from "../src/commands/scenarios.ts";

interface MatrixRow {
  businessActivity: string;
  sector: string;
  scenarios: string[];
}
const matrix = (
  JSON.parse(
    readFileSync(new URL("../../../spec/data/di-scenario-matrix.json", import.meta.url), "utf8"),
  ) as {
    rows: MatrixRow[];
  }
).rows;

function capture(env: Record<string, string | undefined> = {}) {
  const io = {
    out: "",
    err: "",
    env,
    stdout: (text: string) => {
      io.out += text;
    },
    stderr: (text: string) => {
      io.err += text;
    },
  };
  return io;
}

describe("raseed scenarios list", () => {
  it.each(matrix.map((row) => [row.businessActivity, row.sector, row] as const))(
    "%s x %s lists the matrix row's scenarios",
    (activity, sector, row) => {
      const io = capture();
      expect(runScenariosList({ activity, sector }, io)).toBe(0);
      const listed = io.out
        .trim()
        .split("\n")
        .map((line) => line.split(" ")[0]);
      // As printed, without the printed duplicate (Distributor/Wholesaler x FMCG lists SN008 twice).
      expect(listed).toEqual([...new Set(row.scenarios)]);
    },
  );

  it("matches names ignoring case and spaces at the ends", () => {
    const io = capture();
    expect(runScenariosList({ activity: " manufacturer ", sector: "steel" }, io)).toBe(0);
    expect(io.out).toMatch(/^SN003 {2}Sale of Steel/);
  });

  it("refuses an unknown activity or sector with the valid list (exit 2)", () => {
    const io = capture();
    expect(runScenariosList({ activity: "Baker", sector: "Steel" }, io)).toBe(2);
    expect(io.err).toContain('Unknown business activity "Baker". Valid activities: Manufacturer, Importer');
    const sector = capture();
    expect(runScenariosList({ activity: "Retailer", sector: "Bakery" }, sector)).toBe(2);
    expect(sector.err).toContain("Valid sectors: All Other Sectors, Steel, FMCG");
  });
});

describe.each(engines)("raseed scenarios run (POST /v1/certification/runs) on %s", (engine) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway(engine);
  });
  afterAll(async () => {
    await gw?.close();
  });

  const run = async (key: string, activity: string, sector: string, only?: string) => {
    const io = capture({ RASEED_API_KEY: key });
    const code = await runScenariosRun({ gateway: gw.url, activity, sector, only, waitSeconds: 60 }, io);
    return { code, ...io };
  };

  it.each([
    ["Manufacturer", "Steel"],
    ["Retailer", "FMCG"],
    ["Service Provider", "Telecom"],
    ["Manufacturer", "All Other Sectors"],
  ])(
    "%s x %s: every scenario passes against the simulator with an FBR number",
    async (activity, sector) => {
      const result = await run(gw.keyA, activity, sector);
      const expected = [
        ...new Set(matrix.find((r) => r.businessActivity === activity && r.sector === sector)?.scenarios),
      ];
      const lines = result.out.trim().split("\n");
      for (const id of expected) {
        expect(lines).toContainEqual(
          expect.stringMatching(new RegExp(`^${id} {2}passed {3}FBR 7000007DI\\d{13}$`)),
        );
      }
      expect(result.out).toContain(`all ${expected.length} scenarios passed`);
      expect(result.code).toBe(0);
    },
    120_000,
  );

  it("records the runs; the status says certified for the latest activity and sector", async () => {
    const history = await gw.call("GET", "/v1/certification/runs");
    expect(history.status).toBe(200);
    expect(history.body.items.length).toBeGreaterThanOrEqual(1);
    expect(history.body.items[0]).toMatchObject({
      passed: true,
      activity: "Manufacturer",
      sector: "All Other Sectors",
    });
    const status = await gw.call("GET", "/v1/certification/status");
    expect(status.body).toMatchObject({ certified: true, activity: "Manufacturer", missingScenarios: [] });
    // The certification invoices went through the normal outbox: each is an invoice of the tenant.
    const posted = (await simInvoices(gw.simulator)).filter(
      (invoice) => invoice.sellerNTNCNIC === SELLER_A.ntn,
    );
    expect(posted.length).toBeGreaterThanOrEqual(3 + 4 + 3 + 11);
  });

  it("reports a failing scenario with FBR's code and its fix, exits 1, and --only re-runs just it", async () => {
    // The second seller's sandbox has only SN001 assigned: FBR answers anything else with 0203.
    const failing = await run(gw.keyB, "Manufacturer", "Steel");
    expect(failing.code).toBe(1);
    for (const id of ["SN003", "SN004", "SN011"]) {
      expect(failing.out).toMatch(new RegExp(`^${id} {2}failed {3}0203: `, "m"));
    }
    expect(failing.out).toContain("fix (0203): ");
    expect(failing.out).toContain("3 of 3 not passed");
    expect(failing.out).toContain("--only SN003,SN004,SN011");
    const status = await gw.call("GET", "/v1/certification/status", { key: gw.keyB });
    expect(status.body).toMatchObject({ certified: false, missingScenarios: ["SN003", "SN004", "SN011"] });

    const only = await run(gw.keyB, "Manufacturer", "Steel", "sn004");
    // The scenario, its fix, the summary: SN003 and SN011 were not run again.
    expect(only.out.trim().split("\n")).toHaveLength(3);
    expect(only.out).toMatch(/^SN004 {2}failed {3}0203/);
    expect(only.out).not.toContain("SN003");
    expect(only.code).toBe(1);
  }, 120_000);

  it("refuses an --only scenario the matrix does not assign, an unknown sector, and a production tenant", async () => {
    const notAssigned = await run(gw.keyA, "Manufacturer", "Steel", "SN001");
    expect(notAssigned.code).toBe(2);
    expect(notAssigned.err).toContain("assigned: SN003, SN004, SN011");
    const unknown = await run(gw.keyA, "Manufacturer", "Bakery");
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("Valid sectors:");

    const production = await addTenant(gw.gateway.store.db, gw.masterKey, {
      ntn: "7300003",
      name: "Live Traders",
      province: "Sindh",
      address: "Karachi",
      environment: "production",
      fbrToken: "production-token-x",
    });
    const key = (await createApiKey(gw.gateway.store.db, production.id)).key;
    const refused = await run(key, "Manufacturer", "Steel");
    expect(refused.code).toBe(2);
    expect(refused.err).toContain("not_sandbox");
    const direct = await gw.call("POST", "/v1/certification/runs", {
      key,
      body: { activity: "Manufacturer", sector: "Steel" },
    });
    expect(direct.status).toBe(409);
  });
});
