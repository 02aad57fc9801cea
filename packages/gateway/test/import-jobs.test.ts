// The dashboard's import path: a planned file sent inside the gateway, with the same idempotency as the API,
// on both engines.
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ImportJobs } from "../src/imports/import-jobs.ts";
import { planImport } from "../src/imports/plan.ts";
import { readSheetRows } from "../src/imports/read-rows.ts";
import { findTenant } from "../src/tenants/tenants.ts";
import { fbrToday, simInvoices, startTestGateway, type TestGateway } from "./harness.ts";
import { engines } from "./helpers.ts";

let gw: TestGateway;

const HEADER =
  "invoiceRefNo,invoiceDate,buyerNTNCNIC,buyerBusinessName,buyerProvince,buyerAddress,buyerRegistrationType,scenarioId,hsCode,productDescription,rate,uoM,quantity,valueSalesExcludingST,salesTaxApplicable,saleType";
const row = (reference: string, description: string, value = 1000) =>
  `${reference},${fbrToday()},1000000000000,Walk-in,Sindh,Karachi,Unregistered,SN002,0101.2100,${description},18%,"Numbers, pieces, units",2,${value},${(value * 18) / 100},Goods at standard rate (default)`;

async function planOf(lines: string[]) {
  const tenant = await findTenant(gw.gateway.store.db, gw.tenantA);
  if (tenant === undefined) throw new Error("tenant A missing");
  const plan = await planImport(readSheetRows(Readable.from([lines.join("\n")]), "csv"), { tenant });
  return { tenant, plan };
}

describe.each(engines)("on %s", (engine) => {
  beforeAll(async () => {
    gw = await startTestGateway(engine);
  });
  afterAll(async () => {
    await gw?.close();
  });

  describe("ImportJobs", () => {
    it("sends the valid invoices once; a second upload sends nothing, a changed one is a conflict", async () => {
      const jobs = new ImportJobs(gw.gateway);
      const { tenant, plan } = await planOf([
        HEADER,
        row("JOB-1", "job-tag a"),
        row("JOB-2", "job-tag b"),
        row("JOB-3", "bad").replace("0101.2100", "12"),
      ]);
      const job = await jobs.finished(jobs.start(tenant, "may.csv", plan, "user:test"));
      expect(job).toMatchObject({
        status: "done",
        total: 2,
        done: 2,
        sent: 2,
        alreadySent: 0,
        skipped: 1,
        conflicts: [],
        failures: [],
      });
      for (const id of Object.values(job.invoiceIds)) await gw.waitFor(gw.keyA, id, ["accepted"]);

      const again = await jobs.finished(jobs.start(tenant, "may.csv", plan, "user:test"));
      expect(again).toMatchObject({ sent: 0, alreadySent: 2 });

      const changed = await planOf([HEADER, row("JOB-1", "job-tag a", 2000)]);
      const conflict = await jobs.finished(jobs.start(tenant, "may.csv", changed.plan, "user:test"));
      expect(conflict.conflicts).toEqual([expect.objectContaining({ reference: "JOB-1", rows: [2] })]);

      // The same key as POST /v1/invoices with Idempotency-Key import:<ntn>:<ref> (what `raseed import` sends).
      const viaApi = await gw.call("POST", "/v1/invoices", {
        body: plan.invoices[0]?.body,
        headers: { "idempotency-key": "import:7000007:JOB-1" },
      });
      expect(viaApi.status).toBe(200);
      expect(viaApi.body.id).toBe(job.invoiceIds["JOB-1"]);
      const posted = (await simInvoices(gw.simulator)).filter((invoice) =>
        JSON.stringify(invoice).includes("job-tag"),
      );
      expect(posted).toHaveLength(2);
      for (const invoice of posted) expect(invoice.postCount).toBe(1);

      // Another tenant cannot see the job.
      expect(jobs.get(gw.tenantB, job.id)).toBeUndefined();
      expect(jobs.get(gw.tenantA, job.id)?.id).toBe(job.id);
    });
  });
});
