// Leases on outbox rows: a post still waiting for FBR is never recovered as abandoned by its own process
// (the lease is renewed while the post is in flight), the configuration refuses a lease shorter than one
// FBR call, and FBR's late answer to a post whose lease was lost is still recorded when it is an acceptance.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, LEASE_MARGIN_MS, loadConfig } from "../src/config.ts";
import type { InvoiceState } from "../src/store/schema.ts";
import { SELLER_B, sampleInvoice, simInvoices, startTestGateway, type TestGateway } from "./harness.ts";
import { engines } from "./helpers.ts";

function descriptionOf(invoice: ReturnType<typeof sampleInvoice>): string {
  return invoice.items[0]?.productDescription as string;
}

describe("lease configuration", () => {
  it("refuses leaseMs that does not exceed fbrTimeoutMs by the margin, naming both", () => {
    expect(() => loadConfig({ flags: { leaseMs: 1_000 }, env: {} })).toThrow(ConfigError);
    expect(() => loadConfig({ env: { RASEED_LEASE_MS: "1000" } })).toThrow(/leaseMs \(1000\).*fbrTimeoutMs/);
    expect(() =>
      loadConfig({ flags: { fbrTimeoutMs: 10_000, leaseMs: 10_000 + LEASE_MARGIN_MS - 1 }, env: {} }),
    ).toThrow(/leaseMs/);
    const ok = loadConfig({ flags: { fbrTimeoutMs: 10_000, leaseMs: 10_000 + LEASE_MARGIN_MS }, env: {} });
    expect(ok.leaseMs).toBe(12_000);
  });
});

describe.each(engines)("leases on %s", (engine) => {
  let t: TestGateway;
  beforeAll(async () => {
    // A lease shorter than one post (which loadConfig refuses) shows the heartbeat at work: without
    // renewal, recovery would take this process's own live post every second.
    t = await startTestGateway(engine, {}, { leaseMs: 1_000, fbrTimeoutMs: 5_000 });
  });
  afterAll(async () => {
    await t?.close();
  });

  async function auditOf(invoiceId: string): Promise<{ action: string; details: Record<string, unknown> }[]> {
    const rows = await t.gateway.store.db
      .selectFrom("audit")
      .select(["action", "details", "seq"])
      .where("subject", "=", invoiceId)
      .orderBy("seq")
      .execute();
    return rows.map((r) => ({ action: r.action, details: JSON.parse(r.details) as Record<string, unknown> }));
  }

  it("a post slower than the lease is renewed, not recovered: accepted once, never in_doubt", async () => {
    const invoice = sampleInvoice();
    t.faults.byDescription.set(descriptionOf(invoice), "latency;ms=2500");
    const posted = await t.call("POST", "/v1/invoices?wait=10", { body: invoice });
    expect(posted.body.state).toBe("accepted");
    const audit = await auditOf(posted.body.id);
    expect(audit.map((a) => a.action)).not.toContain("invoice.recovered");
    const attempts = (await t.call("GET", `/v1/invoices/${posted.body.id}/attempts`)).body.items;
    expect(attempts.map((a: { outcome: string }) => a.outcome)).toEqual(["accepted"]);
    const ours = (await simInvoices(t.simulator)).filter(
      (i) => i.invoiceNumber === posted.body.fbrInvoiceNumber,
    );
    expect(ours).toHaveLength(1);
    expect(ours[0]?.postCount).toBe(1);
  });

  it.each<InvoiceState>(["abandoned", "queued", "in_doubt"])(
    "FBR's late acceptance after the lease was lost is recorded although the invoice is now %s",
    async (stateMeanwhile) => {
      const invoice = sampleInvoice();
      t.faults.byDescription.set(descriptionOf(invoice), "latency;ms=1500");
      const posted = await t.call("POST", "/v1/invoices", { body: invoice });
      const id = posted.body.id as string;
      await t.waitFor(t.keyA, id, ["submitting"], 5_000);
      // Someone else settled it meanwhile: the lease moves to another claim and the state changes.
      const db = t.gateway.store.db;
      await db
        .updateTable("outbox")
        .set({ lease_owner: "another-claim" })
        .where("invoice_id", "=", id)
        .execute();
      await db.updateTable("invoices").set({ state: stateMeanwhile }).where("id", "=", id).execute();
      const done = await t.waitFor(t.keyA, id, ["accepted"], 10_000);
      expect(done.fbrInvoiceNumber).toMatch(/\S/);
      const post = (await auditOf(id)).find((a) => a.action === "fbr.post");
      expect(post?.details).toMatchObject({
        leaseLost: true,
        from: stateMeanwhile,
        to: "accepted",
        fbrInvoiceNumber: done.fbrInvoiceNumber,
      });
      // Reported: nothing is left on the queue to post again.
      const row = await db
        .selectFrom("outbox")
        .select("invoice_id")
        .where("invoice_id", "=", id)
        .executeTakeFirst();
      expect(row).toBeUndefined();
    },
  );

  it.each<[InvoiceState, string]>([
    ["in_doubt", "rejected"],
    ["abandoned", "abandoned"],
  ])(
    "FBR's late rejection after the lease was lost, invoice now %s, ends %s",
    async (stateMeanwhile, expected) => {
      // Seller B has only SN001 assigned, so SN002 draws FBR's header-level 0203 rejection.
      const invoice = sampleInvoice(SELLER_B, undefined, "SN002");
      t.faults.byDescription.set(descriptionOf(invoice), "latency;ms=1500");
      const posted = await t.call("POST", "/v1/invoices", { body: invoice, key: t.keyB });
      const id = posted.body.id as string;
      await t.waitFor(t.keyB, id, ["submitting"], 5_000);
      const db = t.gateway.store.db;
      await db
        .updateTable("outbox")
        .set({ lease_owner: "another-claim" })
        .where("invoice_id", "=", id)
        .execute();
      await db.updateTable("invoices").set({ state: stateMeanwhile }).where("id", "=", id).execute();
      await expect
        .poll(async () => (await auditOf(id)).find((a) => a.action === "fbr.post")?.details.outcome, {
          timeout: 10_000,
        })
        .toBe("rejected");
      const now = (await t.call("GET", `/v1/invoices/${id}`, { key: t.keyB })).body;
      expect(now.state).toBe(expected);
    },
  );
});
