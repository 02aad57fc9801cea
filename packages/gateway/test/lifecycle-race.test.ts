// The explicit lifecycle commands decide once: the state check and the change are one conditional UPDATE,
// so two decisions racing on the same invoice give one success and one 409, never two decisions on top of
// each other (e.g. a number from IRIS and a resubmission that would report the sale again).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asApiError } from "../src/http/api-error.ts";
import { retryInvoice } from "../src/invoices/invoice-service.ts";
import { reconcileInvoice } from "../src/invoices/reconcile.ts";
import { sampleInvoice, startTestGateway, type TestGateway } from "./harness.ts";
import { engines } from "./helpers.ts";

function statusesOf(results: PromiseSettledResult<unknown>[]): (number | "ok")[] {
  return results
    .map((r) => (r.status === "fulfilled" ? "ok" : (asApiError(r.reason)?.status ?? -1)))
    .sort((a, b) => String(a).localeCompare(String(b)));
}

describe.each(engines)("lifecycle races on %s", (engine) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway(engine, { maxAttempts: 1 });
  });
  afterAll(async () => {
    await t?.close();
  });

  async function invoiceEndingIn(fault: string, state: string): Promise<string> {
    const invoice = sampleInvoice();
    t.faults.byDescription.set(invoice.items[0]?.productDescription as string, fault);
    const posted = await t.call("POST", "/v1/invoices", { body: invoice });
    await t.waitFor(t.keyA, posted.body.id, [state], 10_000);
    t.faults.byDescription.delete(invoice.items[0]?.productDescription as string);
    return posted.body.id as string;
  }

  it("two reconciles of one in_doubt invoice: one wins, the other is a 409", async () => {
    const id = await invoiceEndingIn("http500", "in_doubt");
    const { db } = t.gateway.store;
    const results = await Promise.allSettled([
      reconcileInvoice(
        db,
        t.gateway.events,
        t.tenantA,
        id,
        { action: "fbr_number", fbrInvoiceNumber: "7000007DI1747119701593" },
        "a",
      ),
      reconcileInvoice(db, t.gateway.events, t.tenantA, id, { action: "resubmit" }, "b"),
    ]);
    expect(statusesOf(results)).toEqual([409, "ok"]);
    const audit = await db
      .selectFrom("audit")
      .select("action")
      .where("subject", "=", id)
      .where("action", "like", "invoice.reconciled.%")
      .execute();
    expect(audit).toHaveLength(1);
  });

  it("two retries of one failed invoice: one wins, the other is a 409", async () => {
    const id = await invoiceEndingIn("http503", "failed");
    const { db } = t.gateway.store;
    const tenant = await db
      .selectFrom("tenants")
      .selectAll()
      .where("id", "=", t.tenantA)
      .executeTakeFirstOrThrow();
    const results = await Promise.allSettled([
      retryInvoice(db, t.gateway.events, tenant, id, "a"),
      retryInvoice(db, t.gateway.events, tenant, id, "b"),
    ]);
    expect(statusesOf(results)).toEqual([409, "ok"]);
    await t.waitFor(t.keyA, id, ["accepted"], 10_000);
  });
});
