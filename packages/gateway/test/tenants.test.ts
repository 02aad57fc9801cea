// Several sellers on one gateway: per-tenant concurrency limits, and a token revoked mid-run pauses only
// that seller while the others carry on.
import { describe, expect, it } from "vitest";
import { setTenantToken } from "../src/tenants/tenants.ts";
import { SELLER_A, SELLER_B, sampleInvoice, simInvoices, startTestGateway } from "./harness.ts";

describe("tenants sharing one gateway", () => {
  // With attempts recorded ahead (workerPrefetch) too: they never take a seller past its limit on the wire.
  it.each([0, 2])(
    "keeps each seller within its concurrency limit and pauses only the seller whose token is revoked mid-run (workerPrefetch %i)",
    async (workerPrefetch) => {
      const t = await startTestGateway("sqlite", {
        workerConcurrency: 8,
        tenantConcurrency: 2,
        workerPrefetch,
      });
      try {
        t.simulator.setFaults({ latencyMs: 150 });
        const a: string[] = [];
        const b: string[] = [];
        for (let i = 0; i < 8; i += 1) {
          a.push((await t.call("POST", "/v1/invoices", { body: sampleInvoice(SELLER_A) })).body.id);
        }
        for (let i = 0; i < 2; i += 1) {
          b.push(
            (await t.call("POST", "/v1/invoices", { key: t.keyB, body: sampleInvoice(SELLER_B) })).body.id,
          );
        }
        // B's first invoices go through on its current token; then PRAL revokes it while A's run is still
        // under way, and B's next invoices meet the 401.
        for (const id of b) await t.waitFor(t.keyB, id, ["accepted"]);
        await setTenantToken(t.gateway.store.db, t.masterKey, t.tenantB, "revoked-by-pral-000");
        for (let i = 0; i < 6; i += 1) {
          b.push(
            (await t.call("POST", "/v1/invoices", { key: t.keyB, body: sampleInvoice(SELLER_B) })).body.id,
          );
        }

        for (const id of a) await t.waitFor(t.keyA, id, ["accepted"], 20_000);
        const bStates = [];
        for (const id of b) bStates.push((await t.waitFor(t.keyB, id, ["accepted", "paused"], 20_000)).state);
        // The two sent before the revocation stay accepted; every later one waits with its seller paused.
        expect(bStates).toEqual(["accepted", "accepted", ...Array(6).fill("paused")]);
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
    },
  );
});
