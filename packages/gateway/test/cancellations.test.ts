// Cancellation as FBR allows it today (STGO 01/2026): cancelled in IRIS, recorded here with the IRIS
// reference, within 72 hours of FBR's date or later with the Commissioner's approval; state cancelled,
// audited, and CANCELLED on every later print. Real HTTP, both engines.
import { pakistanDateTime } from "@raseed/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sealPendingInvoices } from "../src/records/seals.ts";
import { verifyInvoiceRecords } from "../src/records/verify-records.ts";
import { SELLER_B, sampleInvoice, startTestGateway, type TestGateway } from "./harness.ts";
import { engines } from "./helpers.ts";
import { pdfText } from "./pdf-tools.ts";

describe.each(engines)("cancellations on %s", (engine) => {
  let t: TestGateway;
  const accept = async (): Promise<string> => {
    const posted = await t.call("POST", "/v1/invoices?wait=10", { body: sampleInvoice() });
    return (await t.waitFor(t.keyA, posted.body.id, ["accepted"])).id as string;
  };

  beforeAll(async () => {
    t = await startTestGateway(engine);
  });
  afterAll(async () => {
    await t?.close();
  });

  it("records a cancellation within 72 hours: state cancelled, audited, CANCELLED on later prints", async () => {
    const id = await accept();
    await sealPendingInvoices(t.gateway.store.db, t.gateway.recordKeys);
    const cancelled = await t.call("POST", `/v1/invoices/${id}/cancellation`, {
      body: { irisReference: "IRIS-CXL-0001", reason: "wrong buyer NTN" },
    });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.state).toBe("cancelled");
    expect(cancelled.body.cancellation).toMatchObject({
      iris_reference: "IRIS-CXL-0001",
      reason: "wrong buyer NTN",
      commissioner_approval: null,
    });
    const entry = await t.gateway.store.db
      .selectFrom("audit")
      .select(["details", "actor"])
      .where("action", "=", "invoice.cancelled")
      .where("subject", "=", id)
      .executeTakeFirstOrThrow();
    expect(JSON.parse(entry.details)).toEqual({
      from: "accepted",
      to: "cancelled",
      irisReference: "IRIS-CXL-0001",
      reason: "wrong buyer NTN",
      commissionerApproval: null,
      withinWindow: true,
    });
    expect(entry.actor).toMatch(/^api:key_/);

    const pdf = await fetch(`${t.url}/v1/invoices/${id}/pdf?format=receipt`, {
      headers: { authorization: `Bearer ${t.keyA}` },
    });
    expect(pdf.status).toBe(200);
    const text = pdfText(Buffer.from(await pdf.arrayBuffer()));
    expect(text).toContain("CANCELLED");
    const a4 = await fetch(`${t.url}/v1/invoices/${id}/pdf`, {
      headers: { authorization: `Bearer ${t.keyA}` },
    });
    expect(pdfText(Buffer.from(await a4.arrayBuffer()))).toContain("IRIS reference IRIS-CXL-0001");

    // A sealed invoice cancelled this way is not tampering.
    const findings = await verifyInvoiceRecords(t.gateway.store.db, t.gateway.recordKeys, t.tenantA);
    expect(findings.filter((f) => f.invoiceId === id)).toEqual([]);

    const again = await t.call("POST", `/v1/invoices/${id}/cancellation`, {
      body: { irisReference: "IRIS-CXL-0002", reason: "twice" },
    });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("invalid_state");
  });

  it("after 72 hours needs the Commissioner's approval reference", async () => {
    const id = await accept();
    // FBR dated it 73 hours ago.
    await t.gateway.store.db
      .updateTable("invoices")
      .set({ fbr_dated: pakistanDateTime(new Date(Date.now() - 73 * 3_600_000)) })
      .where("id", "=", id)
      .execute();
    const refused = await t.call("POST", `/v1/invoices/${id}/cancellation`, {
      body: { irisReference: "IRIS-CXL-0003", reason: "goods returned" },
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe("commissioner_approval_required");
    expect((await t.call("GET", `/v1/invoices/${id}`)).body.state).toBe("accepted");

    const approved = await t.call("POST", `/v1/invoices/${id}/cancellation`, {
      body: {
        irisReference: "IRIS-CXL-0003",
        reason: "goods returned",
        commissionerApprovalReference: "CIR-LTO-2026-117",
      },
    });
    expect(approved.status).toBe(200);
    expect(approved.body.state).toBe("cancelled");
    expect(approved.body.cancellation.commissioner_approval).toBe("CIR-LTO-2026-117");
  });

  it("71 hours after FBR's date still needs no approval", async () => {
    const id = await accept();
    await t.gateway.store.db
      .updateTable("invoices")
      .set({ fbr_dated: pakistanDateTime(new Date(Date.now() - 71 * 3_600_000)) })
      .where("id", "=", id)
      .execute();
    const cancelled = await t.call("POST", `/v1/invoices/${id}/cancellation`, {
      body: { irisReference: "IRIS-CXL-0004", reason: "duplicate entry" },
    });
    expect(cancelled.status).toBe(200);
  });

  it("refuses an invoice FBR did not accept, a bad body and another tenant's invoice", async () => {
    const refused = await t.call("POST", "/v1/invoices?wait=10", {
      key: t.keyB,
      body: sampleInvoice(SELLER_B, undefined, "SN002"),
    });
    const rejected = await t.waitFor(t.keyB, refused.body.id, ["rejected"]);
    const answer = await t.call("POST", `/v1/invoices/${rejected.id}/cancellation`, {
      key: t.keyB,
      body: { irisReference: "IRIS-1", reason: "x" },
    });
    expect(answer.status).toBe(409);
    expect(answer.body.error).toMatchObject({ code: "invalid_state", details: { state: "rejected" } });

    const id = await accept();
    const missing = await t.call("POST", `/v1/invoices/${id}/cancellation`, {
      body: { reason: "no reference" },
    });
    expect(missing.status).toBe(400);
    const foreign = await t.call("POST", `/v1/invoices/${id}/cancellation`, {
      key: t.keyB,
      body: { irisReference: "IRIS-1", reason: "x" },
    });
    expect(foreign.status).toBe(404);
  });
});
