// The dashboard's /certification page in real headless Chromium against a real gateway (SQLite, worker, the
// simulator over HTTP): a run of every assigned scenario, its history with each scenario's FBR number or
// codes, re-running only the failed ones, and the page's guards (role, tenant, CSRF, production tenant).
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addUser } from "../../src/people/users.ts";
import { addTenant } from "../../src/tenants/tenants.ts";
import { startTestGateway, type TestGateway } from "../harness.ts";
import { csrfOf, expectNoHorizontalScroll, launchChromium, PHONE, signIn } from "./browser.ts";

const PASSWORD = "correct horse battery staple";
const people = {
  operatorA: "cert@a.example",
  auditorA: "cert-reader@a.example",
  operatorB: "cert@b.example",
  adminLive: "admin@live.example",
};

/** Starts a run from the form and waits (on the page's htmx polling and its reload) for it to be recorded. */
async function runFromForm(page: Page, activity: string, sector: string): Promise<void> {
  await page.goto("/certification");
  const runsBefore = await page.locator("details.run").count();
  await page.getByLabel("Business activity").selectOption(activity);
  await page.getByLabel("Sector").selectOption(sector);
  await page.getByRole("button", { name: "Run all assigned scenarios" }).click();
  await runRecorded(page, runsBefore);
}

async function runRecorded(page: Page, runsBefore: number): Promise<void> {
  await page.locator(`details.run >> nth=${runsBefore}`).waitFor({ timeout: 90_000 });
}

/** The latest run's rows as [scenario, result, FBR number or codes]. */
async function latestRun(page: Page): Promise<string[][]> {
  const rows = page.locator("details.run").first().locator("tbody tr");
  const out: string[][] = [];
  for (let i = 0; i < (await rows.count()); i++) {
    out.push((await rows.nth(i).locator("td").allTextContents()).map((cell) => cell.trim()));
  }
  return out;
}

describe("dashboard /certification in Chromium", () => {
  let t: TestGateway;
  let browser: Browser;

  beforeAll(async () => {
    t = await startTestGateway("sqlite");
    const { db } = t.gateway.store;
    await addUser(db, { tenant: t.tenantA, email: people.operatorA, role: "operator", password: PASSWORD });
    await addUser(db, { tenant: t.tenantA, email: people.auditorA, role: "auditor", password: PASSWORD });
    await addUser(db, { tenant: t.tenantB, email: people.operatorB, role: "operator", password: PASSWORD });
    const live = await addTenant(db, t.masterKey, {
      ntn: "7300003",
      name: "Live Traders",
      province: "Sindh",
      address: "Karachi",
      environment: "production",
      fbrToken: "production-token-x",
    });
    await addUser(db, { tenant: live.id, email: people.adminLive, role: "admin", password: PASSWORD });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  }, 90_000);

  it("runs every scenario of an activity and sector; the history shows each one passed with FBR's number", async () => {
    const { page, close } = await signIn(browser, t.url, people.operatorA, PASSWORD);
    try {
      await page.goto("/certification");
      await expect(page.getByText("No run yet").isVisible()).resolves.toBe(true);
      await runFromForm(page, "Manufacturer", "Steel");
      const rows = await latestRun(page);
      expect(rows.map((row) => row.slice(0, 2))).toEqual([
        ["SN003", "Passed"],
        ["SN004", "Passed"],
        ["SN011", "Passed"],
      ]);
      for (const row of rows) expect(row[2]).toMatch(/^7000007DI\d{13}$/);
      await expect(page.locator("details.run summary").first().textContent()).resolves.toContain(
        "Manufacturer × Steel",
      );
      await expect(page.locator("#status-h + p").textContent()).resolves.toContain("Passed");
      // The same run through the API, and Settings reads the same status.
      const api = await t.call("GET", "/v1/certification/runs");
      expect(api.body.items[0]).toMatchObject({ activity: "Manufacturer", sector: "Steel", passed: true });
    } finally {
      await close();
    }
  }, 120_000);

  it("a failing scenario shows FBR's code with the fix; 'run the failed ones again' re-runs only those", async () => {
    // The second seller's sandbox has only SN001 assigned: FBR (the simulator) answers anything else with 0203.
    const { page, close } = await signIn(browser, t.url, people.operatorB, PASSWORD);
    try {
      await runFromForm(page, "Service Provider", "Telecom");
      const rows = await latestRun(page);
      expect(rows.map((row) => row.slice(0, 2))).toEqual([
        ["SN010", "Failed"],
        ["SN018", "Failed"],
        ["SN019", "Failed"],
      ]);
      for (const row of rows) expect(row[2]).toMatch(/^0203 .+Fix: /s);
      await expect(page.locator("#status-h + p").textContent()).resolves.toContain("SN010, SN018, SN019");

      const again = page.getByRole("button", { name: "Run the failed ones again (SN010, SN018, SN019)" });
      await again.click();
      await runRecorded(page, 1);
      const rerun = await latestRun(page);
      expect(rerun.map((row) => row[0])).toEqual(["SN010", "SN018", "SN019"]);
      await expect(page.locator("details.run").count()).resolves.toBe(2);
    } finally {
      await close();
    }
  }, 180_000);

  it("refuses an unknown activity with the valid list, a forged CSRF token, and runs for a production tenant", async () => {
    const operator = await signIn(browser, t.url, people.operatorA, PASSWORD);
    const live = await signIn(browser, t.url, people.adminLive, PASSWORD);
    try {
      await operator.page.goto("/certification");
      const csrf = await csrfOf(operator.page);
      const unknown = await operator.page.request.post("/certification/runs", {
        form: { _csrf: csrf, activity: "Baker", sector: "Steel" },
        maxRedirects: 0,
      });
      expect(unknown.status()).toBe(400);
      expect(await unknown.text()).toContain("Valid activities: Manufacturer, Importer");
      const forged = await operator.page.request.post("/certification/runs", {
        form: { _csrf: "forged", activity: "Manufacturer", sector: "Steel" },
        maxRedirects: 0,
      });
      expect(forged.status()).toBe(403);

      await live.page.goto("/certification");
      await expect(
        live.page.getByRole("button", { name: "Run all assigned scenarios" }).count(),
      ).resolves.toBe(0);
      await expect(live.page.getByText("certification runs only in the sandbox").isVisible()).resolves.toBe(
        true,
      );
      const production = await live.page.request.post("/certification/runs", {
        form: { _csrf: await csrfOf(live.page), activity: "Manufacturer", sector: "Steel" },
        maxRedirects: 0,
      });
      expect(production.status()).toBe(409);
      expect(await production.text()).toContain("production");
      const history = await t.call("GET", "/v1/certification/runs");
      expect(history.body.items).toHaveLength(1);
    } finally {
      await operator.close();
      await live.close();
    }
  }, 90_000);

  it("an auditor reads the history but cannot run; another tenant sees none of it", async () => {
    const auditor = await signIn(browser, t.url, people.auditorA, PASSWORD);
    const other = await signIn(browser, t.url, people.operatorB, PASSWORD);
    try {
      await auditor.page.goto("/certification");
      await expect(auditor.page.locator("details.run").count()).resolves.toBe(1);
      await expect(
        auditor.page.getByRole("button", { name: "Run all assigned scenarios" }).count(),
      ).resolves.toBe(0);
      const refused = await auditor.page.request.post("/certification/runs", {
        form: { _csrf: await csrfOf(auditor.page), activity: "Manufacturer", sector: "Steel" },
        maxRedirects: 0,
      });
      expect(refused.status()).toBe(403);

      await other.page.goto("/certification");
      const summaries = await other.page.locator("details.run summary").allTextContents();
      for (const summary of summaries) expect(summary).not.toContain("Manufacturer × Steel");
    } finally {
      await auditor.close();
      await other.close();
    }
  }, 90_000);

  it("at phone width (390 px) the page reads without horizontal scrolling", async () => {
    const { page, close } = await signIn(browser, t.url, people.operatorB, PASSWORD, PHONE);
    try {
      await page.goto("/certification");
      await expect(page.locator("details.run").count()).resolves.toBeGreaterThanOrEqual(1);
      await expectNoHorizontalScroll(page);
    } finally {
      await close();
    }
  }, 90_000);
});
