// The dashboard's /import page in real headless Chromium against a real gateway (SQLite, worker, the simulator
// over HTTP): upload, a preview of every problem by row, column and FBR code, sending with progress, a safe
// second send, and the page's guards (role, tenant, CSRF, size).
import ExcelJS from "exceljs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addUser } from "../../src/people/users.ts";
import { simInvoices, startTestGateway, type TestGateway } from "../harness.ts";
import { csvText, FBR_HEADER, fbrRow } from "../import-fixtures.ts";
import { csrfOf, expectNoHorizontalScroll, launchChromium, openPage, PHONE, signIn } from "./browser.ts";

const PASSWORD = "correct horse battery staple";
const people = {
  operatorA: "importer@a.example",
  auditorA: "reader@a.example",
  operatorB: "importer@b.example",
};

const csv = (rows: string[][]) => Buffer.from(csvText(rows));

async function xlsx(rows: string[][]): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet("May sales");
  for (const row of rows) sheet.addRow(row);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

async function upload(page: Page, name: string, buffer: Buffer): Promise<string> {
  await page.goto("/import");
  const mimeType = name.endsWith(".xlsx")
    ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    : "text/csv";
  await page.getByLabel("Spreadsheet").setInputFiles({ name, mimeType, buffer });
  await page.getByRole("button", { name: "Check the file" }).click();
  await page.waitForURL(/\/import\/upl_/);
  return new URL(page.url()).pathname;
}

/** The problems table as [row, column, code, invoice] per line. */
async function problemRows(page: Page): Promise<string[][]> {
  const rows = page.locator("table.problems tbody tr");
  const out: string[][] = [];
  for (let i = 0; i < (await rows.count()); i++) {
    const cells = await rows.nth(i).locator("td").allTextContents();
    out.push(cells.slice(0, 4).map((cell) => cell.trim()));
  }
  return out;
}

/** Clicks a send button, lands on the upload's page again, and waits (on its htmx polling) for the end. */
async function send(page: Page, button: string | RegExp): Promise<void> {
  const path = new URL(page.url()).pathname;
  const landed = page.waitForResponse(
    (response) => response.request().method() === "GET" && new URL(response.url()).pathname === path,
  );
  await page.getByRole("button", { name: button }).click();
  await landed;
  await page.locator('#import-progress[data-status="done"]').waitFor({ timeout: 20_000 });
}

async function postedWith(t: TestGateway, tag: string) {
  return (await simInvoices(t.simulator)).filter((invoice) => JSON.stringify(invoice).includes(tag));
}

describe("dashboard /import in Chromium", () => {
  let t: TestGateway;
  let browser: Browser;

  beforeAll(async () => {
    t = await startTestGateway("sqlite");
    const { db } = t.gateway.store;
    await addUser(db, { tenant: t.tenantA, email: people.operatorA, role: "operator", password: PASSWORD });
    await addUser(db, { tenant: t.tenantA, email: people.auditorA, role: "auditor", password: PASSWORD });
    await addUser(db, { tenant: t.tenantB, email: people.operatorB, role: "operator", password: PASSWORD });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  }, 90_000);

  it("lists every problem by row, column and code; refuses the file whole, then sends the valid invoices once", async () => {
    const { page, close } = await signIn(browser, t.url, people.operatorA, PASSWORD);
    try {
      const file = csv([
        FBR_HEADER,
        fbrRow("IMP-1", "imp-tag one"),
        fbrRow("IMP-2", "imp-tag two"),
        fbrRow("IMP-1", "imp-tag one b"),
        fbrRow("IMP-3", "imp-tag bad", 1000, "12"),
      ]);
      const path = await upload(page, "may.csv", file);
      await expect(page.getByRole("heading", { name: "Problems (1)" }).isVisible()).resolves.toBe(true);
      // Row 5 of the sheet, the hsCode column, FBR's 0044 ... whatever code FBR gives a malformed HS code.
      const [problem] = await problemRows(page);
      expect(problem?.slice(0, 2)).toEqual(["5", "hsCode"]);
      expect(problem?.[3]).toBe("IMP-3");
      expect(problem?.[2]).toMatch(/^\d{4}$/);
      expect(await postedWith(t, "imp-tag")).toEqual([]);

      // Refused whole without the tick, as `raseed import` without --skip-invalid: nothing is sent.
      await page.getByRole("button", { name: "Send 2 invoices" }).click();
      await expect(page.getByRole("alert").textContent()).resolves.toContain("nothing was sent");
      expect(await postedWith(t, "imp-tag")).toEqual([]);

      await page.goto(path);
      await page.getByLabel("Send the valid invoices and leave out the ones with problems").check();
      await send(page, "Send 2 invoices");
      const progress = page.locator("#import-progress");
      await expect(progress.textContent()).resolves.toMatch(/2 of 2 invoices handed to the outbox/);
      await expect(progress.locator("dt:text('Queued now') + dd").textContent()).resolves.toBe("2");
      await expect(progress.locator("dt:text('Left out (problems)') + dd").textContent()).resolves.toBe("1");

      // Once FBR (the simulator) has answered, the page says so.
      const ids = await t.call("GET", "/v1/invoices?limit=50");
      for (const invoice of ids.body.items as { id: string; externalRef: string | null }[]) {
        if (invoice.externalRef?.startsWith("import:7000007:IMP-"))
          await t.waitFor(t.keyA, invoice.id, ["accepted"]);
      }
      await page.goto(path);
      await expect(progress.locator("dt:text('Accepted by FBR') + dd").textContent()).resolves.toBe("2");

      // Sending again files nothing twice (the file still has its invalid invoice: tick again).
      await page.getByLabel("Send the valid invoices and leave out the ones with problems").check();
      await send(page, /Send again/);
      await expect(progress.locator("dt:text('Queued now') + dd").textContent()).resolves.toBe("0");
      await expect(progress.locator("dt:text('Already sent before') + dd").textContent()).resolves.toBe("2");
      const posted = await postedWith(t, "imp-tag");
      expect(posted).toHaveLength(2);
      for (const invoice of posted) expect(invoice.postCount).toBe(1);

      // Every problem as CSV, named by row, column and code.
      const problems = await page.request.get(`${path}/problems.csv`);
      expect(problems.status()).toBe(200);
      const text = await problems.text();
      expect(text.split("\r\n")[0]).toBe("sheet,row,column,code,invoiceRefNo,message,fix");
      expect(text).toMatch(/^,5,hsCode,\d{4},IMP-3,/m);
    } finally {
      await close();
    }
  }, 120_000);

  it("an XLSX upload: a changed row under a reference already sent is a conflict, not sent", async () => {
    const { page, close } = await signIn(browser, t.url, people.operatorA, PASSWORD);
    try {
      await upload(page, "june.xlsx", await xlsx([FBR_HEADER, fbrRow("XL-1", "xl-tag one")]));
      await expect(page.getByRole("heading", { name: "Problems (0)" }).isVisible()).resolves.toBe(true);
      await send(page, "Send 1 invoice");

      await upload(page, "june-fixed.xlsx", await xlsx([FBR_HEADER, fbrRow("XL-1", "xl-tag one", 2000)]));
      await send(page, "Send 1 invoice");
      await expect(page.locator("#import-progress .notice.bad").textContent()).resolves.toMatch(
        /Conflict: invoice XL-1 \(row 2\)/,
      );
      const posted = await postedWith(t, "xl-tag");
      expect(posted.length).toBeLessThanOrEqual(1);
      expect(JSON.stringify(posted)).not.toContain("2000");
    } finally {
      await close();
    }
  }, 90_000);

  it("a file that cannot be read, an empty form and a header with no reference are explained, not a 500", async () => {
    const { page, close } = await signIn(browser, t.url, people.operatorA, PASSWORD);
    try {
      await page.goto("/import");
      await page.getByLabel("Spreadsheet").setInputFiles({
        name: "old.xls",
        mimeType: "application/vnd.ms-excel",
        buffer: Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]),
      });
      await page.getByRole("button", { name: "Check the file" }).click();
      await expect(page.getByRole("alert").textContent()).resolves.toContain("save it as .xlsx");

      await upload(
        page,
        "odd.csv",
        csv([
          ["date", "amount"],
          ["2026-01-15", "5"],
        ]),
      );
      const [problem] = await problemRows(page);
      expect(problem?.[2]).toBe("RIMP01");
      await expect(page.getByText("Nothing in this file can be sent").isVisible()).resolves.toBe(true);
    } finally {
      await close();
    }
  }, 90_000);

  it("guards: auditors get 403, another tenant's upload is a 404, a forged or missing CSRF token and an oversized file are refused", async () => {
    const operator = await signIn(browser, t.url, people.operatorA, PASSWORD);
    const auditor = await signIn(browser, t.url, people.auditorA, PASSWORD);
    const other = await signIn(browser, t.url, people.operatorB, PASSWORD);
    try {
      const path = await upload(operator.page, "guard.csv", csv([FBR_HEADER, fbrRow("G-1", "guard-tag")]));
      const file = {
        name: "guard.csv",
        mimeType: "text/csv",
        buffer: csv([FBR_HEADER, fbrRow("G-2", "guard-tag")]),
      };

      const auditorPage = await auditor.page.goto("/import");
      expect(auditorPage?.status()).toBe(403);
      await expect(auditor.page.locator("nav a[href='/import']").count()).resolves.toBe(0);

      for (const suffix of ["", "/progress", "/problems.csv"]) {
        const response = await other.page.request.get(`${path}${suffix}`);
        expect(response.status()).toBe(404);
      }
      await other.page.goto("/");
      const otherSend = await other.page.request.post(`${path}/send`, {
        form: { _csrf: await csrfOf(other.page) },
        maxRedirects: 0,
      });
      expect(otherSend.status()).toBe(404);

      await operator.page.goto("/import");
      const csrf = await csrfOf(operator.page);
      for (const multipart of [{ file }, { _csrf: "forged", file }, { file, _csrf: csrf }]) {
        // The token must come before the file: a token after it is not read.
        const response = await operator.page.request.post("/import", { multipart, maxRedirects: 0 });
        expect(response.status()).toBe(403);
      }
      const forgedSend = await operator.page.request.post(`${path}/send`, {
        form: { _csrf: "forged" },
        maxRedirects: 0,
      });
      expect(forgedSend.status()).toBe(403);
      expect(await postedWith(t, "guard-tag")).toEqual([]);

      const huge = { name: "huge.csv", mimeType: "text/csv", buffer: Buffer.alloc(33 * 1024 * 1024, 0x61) };
      const tooLarge = await operator.page.request.post("/import", {
        multipart: { _csrf: csrf, file: huge },
        maxRedirects: 0,
      });
      expect(tooLarge.status()).toBe(413);
      expect(await tooLarge.text()).toContain("larger than 32 MB");
    } finally {
      await operator.close();
      await auditor.close();
      await other.close();
    }
  }, 90_000);

  it("without a session the page and the upload go to sign-in", async () => {
    const { page, close } = await openPage(browser, t.url);
    try {
      await page.goto("/import");
      expect(new URL(page.url()).pathname).toBe("/login");
      const post = await page.request.post("/import", { multipart: { _csrf: "x" }, maxRedirects: 0 });
      expect(post.status()).toBe(303);
    } finally {
      await close();
    }
  }, 90_000);

  it("at phone width (390 px) the import pages read without horizontal scrolling", async () => {
    const { page, close } = await signIn(browser, t.url, people.operatorA, PASSWORD, PHONE);
    try {
      const path = await upload(
        page,
        "phone.csv",
        csv([FBR_HEADER, fbrRow("PH-1", "phone-tag"), fbrRow("PH-2", "phone-tag bad", 1000, "12")]),
      );
      await expectNoHorizontalScroll(page);
      await page.getByLabel("Send the valid invoices and leave out the ones with problems").check();
      await send(page, "Send 1 invoice");
      await expectNoHorizontalScroll(page);
      await page.goto("/import");
      await expect(page.locator(`a[href='${path}']`).count()).resolves.toBe(1);
      await expectNoHorizontalScroll(page);
    } finally {
      await close();
    }
  }, 90_000);
});
