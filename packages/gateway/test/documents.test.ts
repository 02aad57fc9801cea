// Printed invoices over real HTTP: the PDFs read back with pdftotext, the QR decoded from pdftoppm's
// pixels (version 2, 1.0 inch with its quiet zone), ORIGINAL then DUPLICATE with each print audited,
// no tax invoice before FBR accepted, and the exact FBR payload for IRIS.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { amountInWords, TaxDecimal } from "@raseed/sdk";
import { payloadHash } from "@raseed/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addImsTerminal } from "../src/tenants/ims-terminals.ts";
import {
  type Loose,
  SELLER_A,
  SELLER_B,
  sampleInvoice,
  simInvoices,
  startTestGateway,
  type TestGateway,
} from "./harness.ts";
import { engines, tempDir } from "./helpers.ts";
import { DEMO_IMS_TOKEN, DEMO_POS, imsSale } from "./ims-fixtures.ts";
import { pdfImageCount, pdfQr, pdfText, stripedLogoPng } from "./pdf-tools.ts";

async function getPdf(t: TestGateway, path: string, key?: string) {
  const response = await fetch(`${t.url}${path}`, { headers: { authorization: `Bearer ${key ?? t.keyA}` } });
  const body = Buffer.from(await response.arrayBuffer());
  return { status: response.status, body, headers: response.headers };
}

/** What the buyer pays, summed from the payload independently of the renderer. */
function payableOf(invoice: Loose): string {
  let total = new TaxDecimal(0);
  for (const item of invoice.items) {
    total = total
      .plus(item.valueSalesExcludingST)
      .plus(item.salesTaxApplicable)
      .plus(item.furtherTax)
      .plus(item.extraTax === "" ? 0 : item.extraTax)
      .plus(item.fedPayable);
  }
  return total.toFixed(2);
}

/** pdftotext -layout may spread words; compare on single spaces. */
function squash(text: string): string {
  return text.replace(/\s+/g, " ");
}

describe.each(engines)("invoice documents on %s", (engine) => {
  let t: TestGateway;
  let accepted: Loose;
  let rejected: Loose;
  const logoDir = tempDir("raseed-logo-");

  beforeAll(async () => {
    // Any PNG stands in for the operator's logo: Raseed ships no FBR artwork.
    const logo = join(logoDir.path, "logo.png");
    writeFileSync(logo, stripedLogoPng());
    t = await startTestGateway(engine, { documentLogo: logo });
    const posted = await t.call("POST", "/v1/invoices?wait=10", { body: sampleInvoice() });
    accepted = await t.waitFor(t.keyA, posted.body.id, ["accepted"]);
    const refused = await t.call("POST", "/v1/invoices?wait=10", {
      key: t.keyB,
      body: sampleInvoice(SELLER_B, undefined, "SN002"),
    });
    rejected = await t.waitFor(t.keyB, refused.body.id, ["rejected"]);
  });
  afterAll(async () => {
    await t?.close();
    logoDir.remove();
  });

  it("prints an accepted DI invoice on A4 with every required field, the amount in words and FBR's QR", async () => {
    const invoice = (await t.call("GET", `/v1/invoices/${accepted.id}`)).body.invoice;
    const pdf = await getPdf(t, `/v1/invoices/${accepted.id}/pdf?format=a4`);
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get("content-type")).toBe("application/pdf");
    expect(pdf.headers.get("x-raseed-copy")).toBe("original");
    const text = squash(pdfText(pdf.body));
    expect(text).toContain("SALES TAX INVOICE");
    expect(text).toContain("ORIGINAL");
    expect(text).toMatch(/Printed \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} PKT by Raseed/);
    expect(text).not.toContain("DUPLICATE");
    for (const field of [
      SELLER_A.name,
      `NTN/CNIC: ${SELLER_A.ntn}`,
      `Province: ${invoice.sellerProvince}`,
      invoice.buyerBusinessName,
      `NTN/CNIC: ${invoice.buyerNTNCNIC}`,
      `Province: ${invoice.buyerProvince}`,
      invoice.items[0].hsCode,
      invoice.items[0].productDescription,
      invoice.items[0].rate,
      accepted.fbrInvoiceNumber,
      amountInWords(payableOf(invoice)),
    ]) {
      expect(text).toContain(squash(field));
    }
    // The unit wraps inside its narrow column: each word of it is there.
    for (const word of invoice.items[0].uoM.split(" ")) expect(text).toContain(word);
    // The logo slot holds the operator's image; the QR is the other one.
    expect(pdfImageCount(pdf.body)).toBe(2);
    // Column headings may wrap inside their column.
    for (const header of [
      "Value excl. tax",
      "Sales tax",
      "Further /",
      "extra tax",
      "FED",
      "Discount",
      "Total",
    ]) {
      expect(text).toContain(header);
    }
    const qr = pdfQr(pdf.body);
    expect(qr?.data).toBe(accepted.fbrInvoiceNumber);
    expect(qr?.version).toBe(2);
    // 1.0 inch with the 4-module quiet zone on each side: the 25 dark modules span 25/33 inch.
    expect(qr?.symbolInches).toBeGreaterThan((25 / 33) * 0.97);
    expect(qr?.symbolInches).toBeLessThan((25 / 33) * 1.03);
  });

  it("prints every later copy as DUPLICATE and audits each print with its count", async () => {
    const second = await getPdf(t, `/v1/invoices/${accepted.id}/pdf?format=receipt`);
    expect(second.status).toBe(200);
    expect(second.headers.get("x-raseed-copy")).toBe("duplicate");
    expect(squash(pdfText(second.body))).toContain("DUPLICATE (print 2)");
    const third = await getPdf(t, `/v1/invoices/${accepted.id}/pdf?format=a4`);
    expect(squash(pdfText(third.body))).toContain("DUPLICATE (print 3)");
    const entries = await t.gateway.store.db
      .selectFrom("audit")
      .select(["action", "subject", "details"])
      .where("tenant_id", "=", t.tenantA)
      .where("action", "=", "invoice.printed")
      .orderBy("seq")
      .execute();
    expect(entries.map((e) => ({ subject: e.subject, ...JSON.parse(e.details) }))).toEqual([
      { subject: accepted.id, format: "a4", copy: "original", print: 1 },
      { subject: accepted.id, format: "receipt", copy: "duplicate", print: 2 },
      { subject: accepted.id, format: "a4", copy: "duplicate", print: 3 },
    ]);
  });

  it("prints the 80 mm receipt with the same fields and a readable version 2 QR", async () => {
    const invoice = (await t.call("GET", `/v1/invoices/${accepted.id}`)).body.invoice;
    const pdf = await getPdf(t, `/v1/invoices/${accepted.id}/pdf?format=receipt`);
    const text = squash(pdfText(pdf.body));
    for (const field of [
      SELLER_A.name,
      SELLER_A.ntn,
      invoice.buyerBusinessName,
      invoice.items[0].hsCode,
      accepted.fbrInvoiceNumber,
      "TOTAL PAYABLE",
    ]) {
      expect(text).toContain(squash(field));
    }
    expect(text).toMatch(/Printed \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} PKT/);
    // Words wrap over receipt lines; every word is there in order.
    expect(text).toContain(
      squash(amountInWords(payableOf(invoice)))
        .split(" ")
        .slice(0, 3)
        .join(" "),
    );
    const qr = pdfQr(pdf.body);
    expect(qr?.data).toBe(accepted.fbrInvoiceNumber);
    expect(qr?.version).toBe(2);
    expect(qr?.symbolInches).toBeGreaterThan((25 / 33) * 0.97);
    expect(qr?.symbolInches).toBeLessThan((25 / 33) * 1.03);
  });

  it("refuses a tax invoice before FBR accepted (409 with the state) and prints a proforma only on request", async () => {
    const refused = await t.call("GET", `/v1/invoices/${rejected.id}/pdf`, { key: t.keyB });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("not_accepted");
    expect(refused.body.error.details).toEqual({ state: "rejected" });
    for (const format of ["a4", "receipt"]) {
      const proforma = await getPdf(
        t,
        `/v1/invoices/${rejected.id}/pdf?format=${format}&proforma=true`,
        t.keyB,
      );
      expect(proforma.status).toBe(200);
      expect(proforma.headers.get("x-raseed-copy")).toBe("proforma");
      const text = squash(pdfText(proforma.body));
      expect(text).toContain("PROFORMA - NOT A TAX INVOICE");
      expect(text).not.toContain("FBR Invoice Number");
      expect(text).not.toContain("ORIGINAL");
      expect(pdfQr(proforma.body, 150)).toBeNull();
    }
    // A proforma is not a print of the tax invoice: nothing counted.
    const prints = await t.gateway.store.db
      .selectFrom("invoice_prints")
      .selectAll()
      .where("invoice_id", "=", rejected.id)
      .execute();
    expect(prints).toEqual([]);
    const accidental = await t.call("GET", `/v1/invoices/${accepted.id}/pdf?proforma=true`);
    expect(accidental.status).toBe(409);
    expect(accidental.body.error.code).toBe("already_accepted");
  });

  it("answers bad query values with 400 and another tenant's invoice with 404", async () => {
    expect((await t.call("GET", `/v1/invoices/${accepted.id}/pdf?format=a5`)).status).toBe(400);
    expect((await t.call("GET", `/v1/invoices/${accepted.id}/pdf`, { key: t.keyB })).status).toBe(404);
    expect((await t.call("GET", `/v1/invoices/${accepted.id}/fbr.json`, { key: t.keyB })).status).toBe(404);
    expect((await t.call("GET", `/v1/invoices/${accepted.id}/pdf`, { key: "" })).status).toBe(401);
  });

  it("serves the exact DI payload FBR received as fbr.json, in any state", async () => {
    const json = await t.call("GET", `/v1/invoices/${accepted.id}/fbr.json`);
    expect(json.status).toBe(200);
    expect(json.headers.get("content-disposition")).toContain(`${accepted.id}.fbr.json`);
    const atFbr = (await simInvoices(t.simulator)).find((i) => i.invoiceNumber === accepted.fbrInvoiceNumber);
    expect(atFbr?.payloadHash).toBe(payloadHash(JSON.parse(json.text)));
    // FBR's own field names only: nothing of Raseed's (id, state, tenant) in it.
    expect(Object.keys(json.body).sort()).toEqual(Object.keys(sampleInvoice()).sort());
    const attempts = (await t.call("GET", `/v1/invoices/${rejected.id}/attempts`, { key: t.keyB })).body
      .items;
    const rejectedJson = await t.call("GET", `/v1/invoices/${rejected.id}/fbr.json`, { key: t.keyB });
    expect(rejectedJson.status).toBe(200);
    expect(JSON.parse(rejectedJson.text)).toEqual(JSON.parse(attempts[0].requestBody));
  });

  it("prints an accepted IMS sale as a receipt with its fiscal number and QR", async () => {
    await addImsTerminal(t.gateway.store.db, t.masterKey, t.tenantA, {
      posId: DEMO_POS,
      imsToken: DEMO_IMS_TOKEN,
      environment: "sandbox",
    });
    const usin = `DOC-${engine}-${Date.now()}`;
    const posted = await t.call("POST", "/v1/ims/invoices?wait=10", { body: imsSale(usin) });
    expect(posted.body.state).toBe("accepted");
    const pdf = await getPdf(t, `/v1/invoices/${posted.body.id}/pdf?format=receipt`);
    expect(pdf.status).toBe(200);
    const text = squash(pdfText(pdf.body));
    for (const field of [
      usin,
      String(DEMO_POS),
      "Test Item",
      "11001010",
      "Buyer Name",
      "1,519.00",
      posted.body.fbrInvoiceNumber,
    ]) {
      expect(text).toContain(field);
    }
    expect(text).toContain("Rupees One Thousand Five Hundred Nineteen Only");
    const qr = pdfQr(pdf.body);
    expect(qr?.data).toBe(posted.body.fbrInvoiceNumber);
    expect(qr?.version).toBe(2);
  });
});
