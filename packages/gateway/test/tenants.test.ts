// Several sellers on one gateway: per-tenant concurrency limits, and a token revoked mid-run pauses only
// that seller while the others carry on.
import { describe, expect, it } from "vitest";
import { setTenantToken } from "../src/tenants/tenants.ts";
import { SELLER_A, SELLER_B, sampleInvoice, simInvoices, startTestGateway } from "./harness.ts";

describe("tenants sharing one gateway", () => {
  it("keeps each seller within its concurrency limit and pauses only the seller whose token is revoked mid-run", async () => {
    const t = await startTestGateway("sqlite", { workerConcurrency: 8, tenantConcurrency: 2 });
    try {
      t.simulator.setFaults({ latencyMs: 150 });
      const a: string[] = [];
      const b: string[] = [];
      for (let i = 0; i < 8; i += 1) {
        a.push((await t.call("POST", "/v1/invoices", { body: sampleInvoice(SELLER_A) })).body.id);
        b.push(
          (await t.call("POST", "/v1/invoices", { key: t.keyB, body: sampleInvoice(SELLER_B) })).body.id,
        );
      }
      // Revoke B's token once some of B's invoices are through.
      const deadline = Date.now() + 15_000;
      for (;;) {
        const accepted = (await t.call("GET", "/v1/invoices?state=accepted", { key: t.keyB })).body.items
          .length;
        if (accepted >= 2 || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      await setTenantToken(t.gateway.store.db, t.masterKey, t.tenantB, "revoked-by-pral-000");

      for (const id of a) await t.waitFor(t.keyA, id, ["accepted"], 20_000);
      const bStates = [];
      for (const id of b) bStates.push((await t.waitFor(t.keyB, id, ["accepted", "paused"], 20_000)).state);
      expect(bStates).toContain("accepted");
      expect(bStates).toContain("paused");
      const tenants = await t.gateway.store.db.selectFrom("tenants").select(["ntn", "paused_at"]).execute();
      expect(tenants.find((x) => x.ntn === SELLER_B.ntn)?.paused_at).not.toBeNull();
      expect(tenants.find((x) => x.ntn === SELLER_A.ntn)?.paused_at).toBeNull();

      expect(t.faults.maxInFlightBySeller.get(SELLER_A.ntn)).toBe(2);
      expect(t.faults.maxInFlightBySeller.get(SELLER_B.ntn)).toBeLessThanOrEqual(2);
      const reported = await simInvoices(t.simulator);
      for (const invoice of reported) expect(invoice.postCount).toBe(1);
    } finally {
      await t.close();
    }
  });
});
