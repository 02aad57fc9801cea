// A person's reconcile cannot break the promise (issue 13): the number must fit its channel and seller, no
// two invoices of a tenant hold one FBR number, FBR is asked where it can be (the simulator's inspection
// stands in for IRIS here), and a person's number can be corrected, audited, until the invoice is printed or
// sealed; FBR's own answer is never replaced.
import { payloadHash } from "@raseed/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sealInvoice } from "../src/records/seals.ts";
import { sampleInvoice, simInvoices, startTestGateway, type TestGateway } from "./harness.ts";
import { engines } from "./helpers.ts";

describe.each(engines)("reconcile with an FBR number on %s", (engine) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway(engine);
    // The sealer seals each invoice the moment it is accepted, which ends the correction window; these tests
    // seal explicitly instead, so the window is theirs to open and close.
    await t.gateway.sealer.stop();
  });
  afterAll(async () => {
    await t?.close();
  });

  /** An invoice FBR recorded whose answer was lost: in_doubt, with the number the simulator issued. */
  async function lostAnswer(): Promise<{ id: string; fbrNumber: string }> {
    const invoice = sampleInvoice();
    const description = invoice.items[0]?.productDescription as string;
    t.faults.byDescription.set(description, "commit-then-drop");
    const posted = await t.call("POST", "/v1/invoices", { body: invoice });
    await t.waitFor(t.keyA, posted.body.id, ["in_doubt"], 20_000);
    t.faults.byDescription.delete(description);
    const issued = (await simInvoices(t.simulator)).find((i) => i.payloadHash === payloadHash(invoice));
    if (issued === undefined) throw new Error("the simulator did not record the invoice");
    return { id: posted.body.id as string, fbrNumber: issued.invoiceNumber };
  }

  const reconcile = (id: string, fbrInvoiceNumber: string) =>
    t.call("POST", `/v1/invoices/${id}/reconcile`, { body: { fbrInvoiceNumber } });

  async function auditOf(id: string): Promise<{ action: string; details: Record<string, unknown> }[]> {
    const rows = await t.gateway.store.db
      .selectFrom("audit")
      .select(["action", "details"])
      .where("subject", "=", id)
      .orderBy("seq")
      .execute();
    return rows.map((r) => ({ action: r.action, details: JSON.parse(r.details) as Record<string, unknown> }));
  }

  it("refuses a number of the wrong shape or seller, one FBR never issued, and one another invoice holds", async () => {
    const x = await lostAnswer();
    const garbage = await reconcile(x.id, "garbage");
    expect(garbage.status).toBe(422);
    expect(garbage.body.error).toMatchObject({
      code: "invalid_fbr_number",
      details: { fix: expect.any(String) },
    });
    const otherSeller = await reconcile(x.id, x.fbrNumber.replace(/^\d+/, "7000008"));
    expect(otherSeller.status).toBe(422);
    expect(otherSeller.body.error.code).toBe("invalid_fbr_number");
    // Well shaped, this seller's, but FBR never issued it.
    const neverIssued = await reconcile(x.id, "7000007DI1000000000000");
    expect(neverIssued.status).toBe(422);
    expect(neverIssued.body.error.code).toBe("fbr_number_unknown");
    expect((await t.call("GET", `/v1/invoices/${x.id}`)).body.state).toBe("in_doubt");

    const y = await lostAnswer();
    expect((await reconcile(y.id, y.fbrNumber)).status).toBe(200);
    // Two invoices, one FBR number: refused, whoever typed it.
    const taken = await reconcile(x.id, y.fbrNumber);
    expect(taken.status).toBe(409);
    expect(taken.body.error).toMatchObject({ code: "fbr_number_in_use", details: { invoiceId: y.id } });
    expect((await t.call("GET", `/v1/invoices/${x.id}`)).body).toMatchObject({
      state: "in_doubt",
      fbrInvoiceNumber: null,
    });
  });

  it("a person's number is corrected, audited with the old one, and the freed number can then be used", async () => {
    const x = await lostAnswer();
    const y = await lostAnswer();
    // The person copies y's number onto x by mistake: FBR did issue it for this seller, so it is taken.
    const wrong = await reconcile(x.id, y.fbrNumber);
    expect(wrong.status).toBe(200);
    expect(wrong.body).toMatchObject({
      state: "accepted",
      fbrInvoiceNumber: y.fbrNumber,
      fbrNumberSource: "person",
    });
    const corrected = await reconcile(x.id, x.fbrNumber);
    expect(corrected.status).toBe(200);
    expect(corrected.body).toMatchObject({ state: "accepted", fbrInvoiceNumber: x.fbrNumber });
    const entry = (await auditOf(x.id)).find((a) => a.action === "invoice.fbr_number_corrected");
    expect(entry?.details).toMatchObject({
      from: "accepted",
      to: "accepted",
      fbrInvoiceNumber: x.fbrNumber,
      previousFbrInvoiceNumber: y.fbrNumber,
      check: "confirmed_by_fbr",
    });
    // Sending the same number again changes nothing and writes nothing.
    const again = await reconcile(x.id, x.fbrNumber);
    expect(again.status).toBe(200);
    expect((await auditOf(x.id)).filter((a) => a.action === "invoice.fbr_number_corrected")).toHaveLength(1);
    expect((await reconcile(y.id, y.fbrNumber)).body).toMatchObject({ state: "accepted" });
  });

  it("no correction once the invoice is printed, or sealed", async () => {
    const printed = await lostAnswer();
    const other = await lostAnswer();
    expect((await reconcile(printed.id, other.fbrNumber)).status).toBe(200);
    const pdf = await t.call("GET", `/v1/invoices/${printed.id}/pdf`);
    expect(pdf.status).toBe(200);
    const refused = await reconcile(printed.id, printed.fbrNumber);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("fbr_number_final");

    const sealed = await lostAnswer();
    const third = await lostAnswer();
    expect((await reconcile(sealed.id, third.fbrNumber)).status).toBe(200);
    expect(await sealInvoice(t.gateway.store.db, t.gateway.recordKeys, sealed.id)).toBeDefined();
    const refusedSealed = await reconcile(sealed.id, sealed.fbrNumber);
    expect(refusedSealed.status).toBe(409);
    expect(refusedSealed.body.error.code).toBe("fbr_number_final");
    expect((await t.call("GET", `/v1/invoices/${sealed.id}`)).body.fbrInvoiceNumber).toBe(third.fbrNumber);
  });

  it("never replaces the number FBR itself answered with", async () => {
    const posted = await t.call("POST", "/v1/invoices?wait=10", { body: sampleInvoice() });
    expect(posted.body).toMatchObject({ state: "accepted", fbrNumberSource: "fbr" });
    const x = await lostAnswer();
    const refused = await reconcile(posted.body.id, x.fbrNumber);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("invalid_state");
    expect((await t.call("GET", `/v1/invoices/${posted.body.id}`)).body.fbrInvoiceNumber).toBe(
      posted.body.fbrInvoiceNumber,
    );
  });
});
