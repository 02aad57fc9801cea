// A tenant resumed while an invoice was being stored must not leave that invoice paused for ever: the
// submission reads the tenant's paused flag inside its own transaction (not from the snapshot taken at
// authentication), and the worker posts a `paused` invoice of a tenant that is no longer paused instead of
// dropping its outbox row.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { submitInvoice } from "../src/invoices/invoice-service.ts";
import { GroupCommitter } from "../src/store/group-commit.ts";
import { nowIso } from "../src/store/ids.ts";
import { sampleInvoice, startTestGateway, type TestGateway } from "./harness.ts";
import { engines } from "./helpers.ts";

describe.each(engines)("paused tenant races on %s", (engine) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway(engine);
  });
  afterAll(async () => {
    await t?.close();
  });

  it("an invoice submitted with a stale paused snapshot of a resumed tenant is queued and posted", async () => {
    const { db } = t.gateway.store;
    const tenant = await db
      .selectFrom("tenants")
      .selectAll()
      .where("id", "=", t.tenantA)
      .executeTakeFirstOrThrow();
    expect(tenant.paused_at).toBeNull();
    // The snapshot authentication took just before a resume committed.
    const stale = { ...tenant, paused_at: nowIso(), paused_reason: "token refused" };
    const { row } = await submitInvoice(
      db,
      new GroupCommitter(db),
      stale,
      { invoice: sampleInvoice() as never, externalRef: null, requestHash: "h-stale-snapshot" },
      "test",
    );
    expect(row.state).toBe("queued");
    t.gateway.worker.kick();
    const done = await t.waitFor(t.keyA, row.id, ["accepted"], 10_000);
    expect(done.fbrInvoiceNumber).toMatch(/\S/);
  });

  it("a paused invoice whose tenant is no longer paused is claimed and posted, not dropped", async () => {
    const { db } = t.gateway.store;
    const at = nowIso();
    await db
      .updateTable("tenants")
      .set({ paused_at: at, paused_reason: "token refused" })
      .where("id", "=", t.tenantA)
      .execute();
    const posted = await t.call("POST", "/v1/invoices", { body: sampleInvoice() });
    expect(posted.body.state).toBe("paused");
    // Unpaused without the bulk resume touching this invoice (as when the resume committed first).
    await db
      .updateTable("tenants")
      .set({ paused_at: null, paused_reason: null })
      .where("id", "=", t.tenantA)
      .execute();
    const done = await t.waitFor(t.keyA, posted.body.id, ["accepted"], 10_000);
    expect(done.fbrInvoiceNumber).toMatch(/\S/);
  });
});
