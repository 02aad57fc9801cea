// The dashboard's records pages in real headless Chromium (issue 9): print an accepted invoice (ORIGINAL,
// then DUPLICATE), record a cancellation inside and after FBR's 72 hours through a CSRF-protected form, and
// the incident register with its PDF report: signed in only, one company's own, readable at 390 px.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addUser } from "../../src/people/users.ts";
import { recordVerifyOutcome } from "../../src/records/incidents.ts";
import { type Loose, sampleInvoice, startTestGateway, type TestGateway } from "../harness.ts";
import { pdfText } from "../pdf-tools.ts";
import { csrfOf, expectNoHorizontalScroll, launchChromium, openPage, PHONE, signIn } from "./browser.ts";

const PASSWORD = "correct horse battery staple";

describe("dashboard records pages in Chromium", () => {
  let t: TestGateway;
  let browser: Browser;

  beforeAll(async () => {
    t = await startTestGateway("sqlite");
    const { db } = t.gateway.store;
    await addUser(db, {
      tenant: t.tenantA,
      email: "operator@a.example",
      role: "operator",
      password: PASSWORD,
    });
    await addUser(db, { tenant: t.tenantA, email: "auditor@a.example", role: "auditor", password: PASSWORD });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function accepted(): Promise<Loose> {
    const posted = await t.call("POST", "/v1/invoices?wait=10", { body: sampleInvoice() });
    return t.waitFor(t.keyA, posted.body.id, ["accepted"]);
  }

  async function pdfAt(page: Page, href: string): Promise<string> {
    const response = await page.request.get(href);
    expect(response.headers()["content-type"]).toBe("application/pdf");
    return pdfText(Buffer.from(await response.body()));
  }

  it("prints an accepted invoice from its page: the original, then a duplicate, A4 and receipt", async () => {
    const invoice = await accepted();
    const { page, close } = await signIn(browser, t.url, "auditor@a.example", PASSWORD);
    try {
      await page.goto(`/invoices/${invoice.id}`);
      const a4 = await page.getByRole("link", { name: "Tax invoice (A4 PDF)" }).getAttribute("href");
      const receipt = await page.getByRole("link", { name: "Receipt (80 mm PDF)" }).getAttribute("href");
      const first = await pdfAt(page, a4 ?? "");
      expect(first).toContain("ORIGINAL");
      expect(first).toContain(invoice.fbrInvoiceNumber);
      expect(await pdfAt(page, receipt ?? "")).toContain("DUPLICATE");
      // An auditor reads and prints but cannot cancel.
      expect(await page.getByRole("button", { name: "Record cancellation" }).count()).toBe(0);
      // Not signed in: no PDF.
      const anonymous = await openPage(browser, t.url);
      await anonymous.page.goto(a4 ?? "");
      expect(new URL(anonymous.page.url()).pathname).toBe("/login");
      await anonymous.close();
    } finally {
      await close();
    }
  });

  it("records a cancellation within 72 hours; later prints say CANCELLED; a form without the CSRF token is refused", async () => {
    const invoice = await accepted();
    const { page, close } = await signIn(browser, t.url, "operator@a.example", PASSWORD);
    try {
      await page.goto(`/invoices/${invoice.id}`);
      const forged = await page.request.post(`/invoices/${invoice.id}/cancel`, {
        form: { irisReference: "IRIS-1", reason: "no token" },
        maxRedirects: 0,
      });
      expect(forged.status()).toBe(403);
      await page.getByLabel("IRIS reference").fill("IRIS-CXL-0042");
      await page.locator("#cancelReason").fill("buyer returned the goods");
      await page.getByRole("button", { name: "Record cancellation" }).click();
      await page.waitForURL(/done=cancelled/);
      await expect(page.getByRole("status").textContent()).resolves.toContain("Cancellation recorded");
      await expect(page.locator("h1 .badge").textContent()).resolves.toMatch(/cancel/i);
      const row = await t.call("GET", `/v1/invoices/${invoice.id}`);
      expect(row.body.state).toBe("cancelled");
      const href = await page.getByRole("link", { name: "Tax invoice (A4 PDF)" }).getAttribute("href");
      expect(await pdfAt(page, href ?? "")).toContain("CANCELLED");
    } finally {
      await close();
    }
  });

  it("after 72 hours asks for the Commissioner's approval and refuses the cancellation without it", async () => {
    const invoice = await accepted();
    // FBR dated it four days ago (Pakistan time, as FBR writes `dated`).
    const fourDaysAgo = new Date(Date.now() - 96 * 3_600_000 + 5 * 3_600_000).toISOString();
    await t.gateway.store.db
      .updateTable("invoices")
      .set({ fbr_dated: `${fourDaysAgo.slice(0, 10)} ${fourDaysAgo.slice(11, 19)}` })
      .where("id", "=", invoice.id)
      .execute();
    const { page, close } = await signIn(browser, t.url, "operator@a.example", PASSWORD, PHONE);
    try {
      await page.goto(`/invoices/${invoice.id}`);
      await expect(
        page.getByText("More than 72 hours have passed since FBR's date").isVisible(),
      ).resolves.toBe(true);
      const withoutApproval = await page.request.post(`/invoices/${invoice.id}/cancel`, {
        form: { _csrf: await csrfOf(page), irisReference: "IRIS-LATE-1", reason: "late" },
      });
      expect(withoutApproval.url()).toMatch(/problem=commissioner_approval_required/);
      expect((await t.call("GET", `/v1/invoices/${invoice.id}`)).body.state).toBe("accepted");
      await page.getByLabel("IRIS reference").fill("IRIS-LATE-1");
      await page.locator("#cancelReason").fill("late, approved");
      await page.getByLabel("Commissioner's approval reference").fill("CIR-2026-77");
      await page.getByRole("button", { name: "Record cancellation" }).click();
      await page.waitForURL(/done=cancelled/);
      await expectNoHorizontalScroll(page);
      expect((await t.call("GET", `/v1/invoices/${invoice.id}`)).body.state).toBe("cancelled");
    } finally {
      await close();
    }
  });

  it("lists the company's own incidents with the 24-hour deadline and a PDF report, readable at 390 px", async () => {
    const { db } = t.gateway.store;
    const now = new Date();
    await recordVerifyOutcome(
      db,
      [
        { tenantId: t.tenantA, problems: ["invoice inv_a1: fbr_number_edited"], invoiceIds: ["inv_a1"] },
        { tenantId: t.tenantB, problems: ["invoice inv_b1: deleted"], invoiceIds: ["inv_b1"] },
      ],
      { now, actor: "cli" },
    );
    const { page, close } = await signIn(browser, t.url, "auditor@a.example", PASSWORD, PHONE);
    try {
      await page.goto("/incidents");
      await expect(page.getByRole("heading", { name: "Incidents" }).isVisible()).resolves.toBe(true);
      const body = (await page.locator("main").textContent()) ?? "";
      expect(body).toContain("Tampering found in the records");
      expect(body).toContain("invoice inv_a1: fbr_number_edited");
      expect(body).not.toContain("inv_b1");
      await expectNoHorizontalScroll(page);
      const href = await page.getByRole("link", { name: "PDF report" }).first().getAttribute("href");
      const report = await pdfAt(page, href ?? "");
      expect(report).toContain("INCIDENT REPORT");
      expect(report).toContain("7000007");
      expect(report).toContain("inv_a1");
      // Seller B's incident is not reachable from seller A's session.
      const [other] = await db
        .selectFrom("incidents")
        .select("id")
        .where("tenant_id", "=", t.tenantB)
        .execute();
      const foreign = await page.request.get(`/incidents/${other?.id}/report.pdf`);
      expect(foreign.status()).toBe(404);
    } finally {
      await close();
    }
  });
});
