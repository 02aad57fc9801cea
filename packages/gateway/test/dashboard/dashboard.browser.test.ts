// The dashboard in real headless Chromium against a real gateway (SQLite, worker, simulator over HTTP):
// every scenario of issue 8's "Done means" that a person can see or do in a browser.
import { scenarioSamplePayload } from "@raseed/sdk";
import { payloadHash } from "@raseed/simulator";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addUser } from "../../src/people/users.ts";
import { updateTenant } from "../../src/tenants/tenants.ts";
import { setTenantTransport } from "../../src/tenants/transport.ts";
import {
  type Loose,
  SELLER_B,
  sampleInvoice,
  simInvoices,
  startTestGateway,
  type TestGateway,
} from "../harness.ts";
import { tlsFixture } from "../transport-fixtures.ts";
import { csrfOf, expectNoHorizontalScroll, launchChromium, openPage, PHONE, signIn } from "./browser.ts";

const PASSWORD = "correct horse battery staple";
const people = {
  adminA: "admin@a.example",
  operatorA: "operator@a.example",
  auditorA: "auditor@a.example",
  operatorB: "operator@b.example",
};

describe("dashboard in Chromium", () => {
  let t: TestGateway;
  let browser: Browser;
  let origin: string;

  beforeAll(async () => {
    t = await startTestGateway("sqlite", { maxAttempts: 1 });
    origin = new URL(t.url).origin;
    const { db } = t.gateway.store;
    await addUser(db, { tenant: t.tenantA, email: people.adminA, role: "admin", password: PASSWORD });
    await addUser(db, { tenant: t.tenantA, email: people.operatorA, role: "operator", password: PASSWORD });
    await addUser(db, { tenant: t.tenantA, email: people.auditorA, role: "auditor", password: PASSWORD });
    await addUser(db, { tenant: t.tenantB, email: people.operatorB, role: "operator", password: PASSWORD });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  /** Submits through the API (as an ERP would) and waits for one of the states. */
  async function invoiceIn(
    states: string[],
    options: { fault?: string; key?: string; body?: Record<string, unknown> } = {},
  ): Promise<Loose> {
    const body = options.body ?? sampleInvoice();
    const description = (body.items as { productDescription: string }[])[0]?.productDescription as string;
    if (options.fault !== undefined) t.faults.byDescription.set(description, options.fault);
    const key = options.key ?? t.keyA;
    const posted = await t.call("POST", "/v1/invoices", { body, key });
    expect(posted.status, JSON.stringify(posted.body)).toBeLessThan(300);
    const settled = await t.waitFor(key, posted.body.id, states);
    t.faults.byDescription.delete(description);
    return settled;
  }

  it("without a session every page goes to the sign-in page, and back after signing in", async () => {
    const { page, close } = await openPage(browser, t.url);
    try {
      for (const path of ["/", "/invoices", "/invoices/inv_whatever", "/issue", "/settings"]) {
        await page.goto(path);
        expect(new URL(page.url()).pathname).toBe("/login");
      }
      await page.goto("/invoices?state=accepted");
      await page.getByLabel("Email").fill(people.operatorA);
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.waitForURL(`${t.url}/invoices?state=accepted`);
      await expect(page.getByRole("heading", { name: "Invoices" }).isVisible()).resolves.toBe(true);
    } finally {
      await close();
    }
  });

  it("a wrong password is refused with a message; the session cookie is HttpOnly, SameSite=Lax and no API credential", async () => {
    const { page, context, close } = await openPage(browser, t.url);
    try {
      await page.goto("/login");
      await page.getByLabel("Email").fill(people.operatorA);
      await page.getByLabel("Password").fill("not the password at all");
      await page.getByRole("button", { name: "Sign in" }).click();
      await expect(page.getByRole("alert").textContent()).resolves.toContain("email or password is wrong");
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.waitForURL(`${t.url}/`);
      const session = (await context.cookies()).find((c) => c.name === "raseed_session");
      expect(session?.httpOnly).toBe(true);
      expect(session?.sameSite).toBe("Lax");
      // Over plain http (the demo on loopback) the cookie cannot be Secure, or the browser would drop it.
      expect(session?.secure).toBe(false);
      const api = await page.request.get("/v1/invoices");
      expect(api.status()).toBe(401);
    } finally {
      await close();
    }
  });

  it("the overview shows states linking to the list, the 7-day chart, FBR reachability; nothing leaves the origin", async () => {
    await invoiceIn(["accepted"]);
    const { page, requests, close } = await signIn(browser, t.url, people.operatorA, PASSWORD);
    try {
      await expect(page.getByRole("heading", { name: "Invoices by state" }).isVisible()).resolves.toBe(true);
      const acceptedTile = page.locator('a.tile[href="/invoices?state=accepted"]');
      expect(Number(await acceptedTile.locator(".count").textContent())).toBeGreaterThanOrEqual(1);
      await expect(page.locator("svg.chart rect.bar-accepted").count()).resolves.toBeGreaterThanOrEqual(1);
      await expect(page.getByText("Last answer from FBR").isVisible()).resolves.toBe(true);
      await acceptedTile.click();
      await page.waitForURL(`${t.url}/invoices?state=accepted`);
      const badges = await page.locator("tbody .badge").allTextContents();
      expect(badges.length).toBeGreaterThanOrEqual(1);
      expect(new Set(badges)).toEqual(new Set(["Accepted"]));
      expect(requests.length).toBeGreaterThan(3);
      for (const url of requests) expect(new URL(url).origin).toBe(origin);
    } finally {
      await close();
    }
  });

  it("search finds an invoice by ERP reference and by FBR number", async () => {
    const ref = `ERP-${Date.now()}`;
    const accepted = await invoiceIn(["accepted"], { body: { ...sampleInvoice(), externalRef: ref } });
    const { page, close } = await signIn(browser, t.url, people.operatorA, PASSWORD);
    try {
      for (const q of [ref, accepted.fbrInvoiceNumber as string]) {
        await page.goto("/invoices");
        await page.getByLabel("Search").fill(q);
        await page.getByRole("button", { name: "Find" }).click();
        await page.waitForURL(/\/invoices\?q=/);
        const rows = page.locator("tbody tr");
        await expect(rows.count()).resolves.toBe(1);
        await expect(rows.first().textContent()).resolves.toContain(accepted.fbrInvoiceNumber);
      }
      await page.getByRole("link", { name: ref }).click();
      await page.waitForURL(`${t.url}/invoices/${accepted.id}`);
      await expect(page.locator(".qr svg").count()).resolves.toBe(1);
    } finally {
      await close();
    }
  });

  /** Runs a form change and waits until htmx has swapped in the server's recomputed form. */
  async function changed(page: Page, action: () => Promise<unknown>): Promise<void> {
    const settled = page.evaluate(
      "new Promise((resolve) => document.addEventListener('htmx:afterSettle', () => resolve(true), { once: true }))",
    );
    await action();
    await settled;
  }

  it("an invoice issued by hand is computed as it is typed, accepted by FBR, and a double click files it once", {
    timeout: 180_000,
  }, async () => {
    const sample = scenarioSamplePayload("SN001").items[0];
    if (sample === undefined) throw new Error("no SN001 sample line");
    const { page, requests, close } = await signIn(browser, t.url, people.operatorA, PASSWORD);
    try {
      await page.goto("/issue");
      const reference = await page.locator('input[name="externalRef"]').inputValue();
      expect(reference).toMatch(/^web-/);
      // The buyer look-up asks FBR (the simulator's STATL and Get_Reg_Type) through the gateway.
      await page.getByLabel("NTN or CNIC").fill("2046004");
      await page.getByRole("button", { name: "Look up with FBR" }).click();
      await expect(page.getByRole("status").textContent()).resolves.toContain("FBR says: Registered");
      await changed(page, () =>
        page
          .getByLabel("Name")
          .fill("FERTILIZER MANUFAC IRS NEW")
          .then(() => page.keyboard.press("Tab")),
      );
      await changed(page, () => page.getByLabel("Province").selectOption("SINDH"));
      await changed(page, () =>
        page
          .getByLabel("Address")
          .fill("Karachi")
          .then(() => page.keyboard.press("Tab")),
      );
      await changed(page, () =>
        page
          .getByLabel("HS code")
          .fill(sample.hsCode)
          .then(() => page.keyboard.press("Tab")),
      );
      await changed(page, () =>
        page
          .getByLabel("Description")
          .fill("Hand-made invoice item")
          .then(() => page.keyboard.press("Tab")),
      );
      await changed(page, () => page.getByLabel("Unit of measure").selectOption(sample.uoM));
      // Only the rates valid for the sale type are offered.
      const rates = await page.getByLabel("Rate").locator("option").allTextContents();
      expect(rates).toContain("18%");
      expect(rates).not.toContain("Exempt");
      await changed(page, () =>
        page
          .getByLabel("Quantity")
          .fill("2")
          .then(() => page.keyboard.press("Tab")),
      );
      await changed(page, () =>
        page
          .getByLabel("Unit price excl. tax (Rs)")
          .fill("1000")
          .then(() => page.keyboard.press("Tab")),
      );
      // 2 x Rs 1,000 + 18% sales tax, from the sdk's arithmetic, before anything is sent.
      await expect(page.locator("#grand-total").textContent()).resolves.toBe("Rs 2,360.00");
      await expect(page.locator("#problems").count()).resolves.toBe(0);
      await page.getByRole("button", { name: "Send to FBR" }).dblclick();
      // The second click's submission aborts the first one's navigation (ERR_ABORTED); wait again, a few times.
      for (let attempt = 1; ; attempt += 1) {
        try {
          await page.waitForURL(/\/invoices\/inv_[^?]+\?done=issued$/);
          break;
        } catch (error) {
          if (attempt >= 3 || !String(error).includes("ERR_ABORTED")) throw error;
        }
      }
      const id = new URL(page.url()).pathname.split("/").pop() as string;
      const settled = await t.waitFor(t.keyA, id, ["accepted", "rejected", "failed", "in_doubt"]);
      expect(settled.state).toBe("accepted");
      await page.reload();
      await expect(page.locator("h1 .badge").textContent()).resolves.toBe("Accepted");
      const listed = await t.call("GET", `/v1/invoices?externalRef=${reference}`);
      expect(listed.body.items).toHaveLength(1);
      const trail = await page
        .locator("section", { has: page.getByRole("heading", { name: "Audit trail" }) })
        .textContent();
      expect(trail).toContain(`user:${people.operatorA}`);
      for (const url of requests) expect(new URL(url).origin).toBe(origin);
    } finally {
      await close();
    }
  });

  it("the issue form shows FBR's code beside the field it concerns", async () => {
    const { page, close } = await signIn(browser, t.url, people.operatorA, PASSWORD);
    try {
      await page.goto("/issue");
      await page.getByRole("button", { name: "Check and compute totals" }).click();
      await page.waitForURL(`${t.url}/issue`);
      await expect(page.locator("#problems").isVisible()).resolves.toBe(true);
      const nameField = page.locator(".field", { has: page.getByLabel("Name") });
      await expect(nameField.locator(".field-error").count()).resolves.toBeGreaterThanOrEqual(1);
      await expect(page.getByLabel("Name").getAttribute("aria-invalid")).resolves.toBe("true");
    } finally {
      await close();
    }
  });

  it("settings: admins add people, create and revoke API keys (shown once), test the FBR token; others get 403", {
    timeout: 180_000,
  }, async () => {
    const operator = await signIn(browser, t.url, people.operatorA, PASSWORD);
    try {
      const response = await operator.page.goto("/settings");
      expect(response?.status()).toBe(403);
      await expect(operator.page.getByRole("link", { name: "Settings" }).count()).resolves.toBe(0);
    } finally {
      await operator.close();
    }
    const { page, requests, close } = await signIn(browser, t.url, people.adminA, PASSWORD);
    try {
      await page.goto("/settings");
      await expect(page.locator("#transport").textContent()).resolves.toContain("Straight to FBR.");
      // The IMS authority is shown, read-only; it follows `raseed tenant update --ims-authority`.
      const authority = page.locator("#ims-authority");
      await expect(authority.inputValue()).resolves.toBe("FBR (Federal Board of Revenue)");
      await expect(authority.getAttribute("readonly")).resolves.not.toBeNull();
      await updateTenant(t.gateway.store.db, t.tenantA, { imsAuthority: "pra" });
      await page.goto("/settings");
      await expect(authority.inputValue()).resolves.toBe("PRA (Punjab Revenue Authority)");
      await updateTenant(t.gateway.store.db, t.tenantA, { imsAuthority: "fbr" });
      // A tenant transport (raseed tenant transport set) is named, certificate expiry included, never a key.
      await setTenantTransport(t.gateway.store.db, t.masterKey, t.tenantA, {
        fbrUrl: "https://relay.example",
        clientCertificate: { certPem: tlsFixture("client.pem"), keyPem: tlsFixture("client.key") },
      });
      await page.goto("/settings");
      const line = await page.locator("#transport").textContent();
      expect(line).toContain("Through the relay https://relay.example");
      expect(line).toMatch(
        /client certificate O=Raseed tests, CN=raseed-tenant-7000007 \(valid to .*2126 GMT\)/,
      );
      await expect(page.locator("body").textContent()).resolves.not.toContain("PRIVATE KEY");
      await setTenantTransport(t.gateway.store.db, t.masterKey, t.tenantA, null);
      await page.goto("/settings");
      // The stored token answers FBR (the simulator); a wrong typed one is explained as a 401.
      await page.getByRole("button", { name: "Test connection" }).click();
      await expect(page.getByRole("status").textContent()).resolves.toContain("it works from this server");
      await page.getByLabel("New token from IRIS").fill("not-the-token");
      await page.getByRole("button", { name: "Test connection" }).click();
      await expect(page.getByRole("alert").textContent()).resolves.toContain("401");

      await page.getByLabel("Email").fill("new.person@a.example");
      await page.getByLabel("Role").selectOption("auditor");
      await page.getByRole("button", { name: "Add person" }).click();
      const password = (await page.locator("pre.secret").textContent())?.trim() ?? "";
      expect(password).toMatch(/^[A-Za-z0-9]{20}$/);
      const newcomer = await signIn(browser, t.url, "new.person@a.example", password);
      await newcomer.close();

      await page.getByLabel("Label for a new key").fill("dashboard-made key");
      await page.getByRole("button", { name: "Create API key" }).click();
      const key = (await page.locator("pre.secret").textContent())?.trim() ?? "";
      expect(key).toMatch(/^rsd_/);
      expect((await t.call("GET", "/v1/invoices", { key })).status).toBe(200);
      await page.goto("/settings");
      await expect(page.locator("body").textContent()).resolves.not.toContain(key);
      const row = page.locator("tr", { hasText: "dashboard-made key" });
      await row.getByRole("button", { name: "Revoke" }).click();
      await expect(page.getByRole("status").textContent()).resolves.toContain("revoked");
      expect((await t.call("GET", "/v1/invoices", { key })).status).toBe(401);
      for (const url of requests) expect(new URL(url).origin).toBe(origin);
    } finally {
      await close();
    }
  });

  it("a rejected invoice's page explains FBR's code with the catalogue's fix", async () => {
    // Seller B is assigned only SN001 in the simulator, so an SN002 invoice draws FBR's 0203.
    const body = sampleInvoice(SELLER_B, undefined, "SN002");
    const rejected = await invoiceIn(["rejected"], { key: t.keyB, body });
    const { page, close } = await signIn(browser, t.url, people.operatorB, PASSWORD);
    try {
      await page.goto(`/invoices/${rejected.id}`);
      const explanation = page.locator("section", {
        has: page.getByRole("heading", { name: "Why FBR refused it" }),
      });
      const text = (await explanation.textContent()) ?? "";
      expect(text).toContain("0203");
      expect(text).toContain("Fix:");
      // The list offers no retry for a rejection: it must be corrected in the ERP and sent again.
      await expect(page.getByRole("button", { name: "Retry" }).count()).resolves.toBe(0);
    } finally {
      await close();
    }
  });

  it("an in-doubt invoice is reconciled through its form, with the person in the audit trail", async () => {
    const body = sampleInvoice();
    const inDoubt = await invoiceIn(["in_doubt"], { fault: "commit-then-drop", body });
    // FBR kept it (the answer was lost on the way back): the number a person would find in IRIS.
    const atFbr = (await simInvoices(t.simulator)).find((i) => i.payloadHash === payloadHash(body));
    const number = atFbr?.invoiceNumber ?? "";
    expect(number).toMatch(/^7000007DI/);
    const { page, close } = await signIn(browser, t.url, people.operatorA, PASSWORD);
    try {
      await page.goto(`/invoices/${inDoubt.id}`);
      await page.getByLabel("FBR invoice number found in IRIS").fill(number);
      await page.getByLabel("Reason (goes into the audit trail)").fill("found in IRIS by Ayesha");
      await page.getByRole("button", { name: "Record FBR number" }).click();
      await page.waitForURL(`${t.url}/invoices/${inDoubt.id}?done=fbr_number`);
      await expect(page.locator("h1 .badge").textContent()).resolves.toBe("Accepted");
      const trail =
        (await page
          .locator("section", { has: page.getByRole("heading", { name: "Audit trail" }) })
          .textContent()) ?? "";
      expect(trail).toContain(`user:${people.operatorA}`);
      expect(trail).toContain("invoice.reconciled.fbr_number");
      expect(trail).toContain("found in IRIS by Ayesha");
      const api = await t.call("GET", `/v1/invoices/${inDoubt.id}`);
      expect(api.body.state).toBe("accepted");
      expect(api.body.fbrInvoiceNumber).toBe(number);
    } finally {
      await close();
    }
  });

  it("a race lost to someone else shows the 409 as a message on the invoice", async () => {
    const inDoubt = await invoiceIn(["in_doubt"], { fault: "commit-then-drop" });
    const { page, close } = await signIn(browser, t.url, people.operatorA, PASSWORD);
    try {
      await page.goto(`/invoices/${inDoubt.id}`);
      // Meanwhile the ERP abandons it through the API.
      const other = await t.call("POST", `/v1/invoices/${inDoubt.id}/reconcile`, {
        body: { action: "abandon" },
      });
      expect(other.status).toBe(200);
      await page.getByLabel("Reason (goes into the audit trail)").fill("not in IRIS, sending again");
      await page.getByRole("button", { name: "Resubmit to FBR" }).click();
      await page.waitForURL(`${t.url}/invoices/${inDoubt.id}?problem=invalid_state`);
      await expect(page.getByRole("alert").textContent()).resolves.toContain(
        "changed this invoice while you were deciding",
      );
      await expect(page.locator("h1 .badge").textContent()).resolves.toBe("Abandoned");
    } finally {
      await close();
    }
  });

  it("an auditor reads everything of the tenant but every action is a 403", async () => {
    const inDoubt = await invoiceIn(["in_doubt"], { fault: "commit-then-drop" });
    const { page, close } = await signIn(browser, t.url, people.auditorA, PASSWORD);
    try {
      await page.goto(`/invoices/${inDoubt.id}`);
      await expect(page.locator("h1 .badge").textContent()).resolves.toBe("In doubt");
      await expect(page.locator('form[action$="/reconcile"]').count()).resolves.toBe(0);
      await expect(page.getByRole("link", { name: "Issue invoice" }).count()).resolves.toBe(0);
      await expect(page.getByRole("link", { name: "Issue invoice" }).count()).resolves.toBe(0);
      const csrf = await csrfOf(page);
      for (const [path, form] of [
        [`/invoices/${inDoubt.id}/reconcile`, { _csrf: csrf, action: "abandon", reason: "auditor tries" }],
        [`/invoices/${inDoubt.id}/retry`, { _csrf: csrf }],
        ["/issue", { _csrf: csrf, op: "submit" }],
      ] as const) {
        const response = await page.request.post(path, { form, maxRedirects: 0 });
        expect(response.status()).toBe(403);
      }
      const api = await t.call("GET", `/v1/invoices/${inDoubt.id}`);
      expect(api.body.state).toBe("in_doubt");
    } finally {
      await close();
    }
  });

  it("another tenant's person sees nothing of this tenant: 404 on the invoice, nothing in search", async () => {
    const ref = `A-ONLY-${Date.now()}`;
    const ofA = await invoiceIn(["accepted"], { body: { ...sampleInvoice(), externalRef: ref } });
    const { page, close } = await signIn(browser, t.url, people.operatorB, PASSWORD);
    try {
      for (const path of [`/invoices/${ofA.id}`, `/invoices/${ofA.id}/fbr.json`]) {
        const response = await page.goto(path);
        expect(response?.status()).toBe(404);
      }
      for (const q of [ref, ofA.fbrInvoiceNumber as string, "Demo"]) {
        await page.goto(`/invoices?q=${encodeURIComponent(q)}`);
        await expect(page.locator("tbody tr").count()).resolves.toBe(0);
      }
      const csrf = await csrfOf(page);
      const action = await page.request.post(`/invoices/${ofA.id}/retry`, {
        form: { _csrf: csrf },
        maxRedirects: 0,
      });
      expect(action.status()).toBe(404);
    } finally {
      await close();
    }
  });

  it("a missing or wrong CSRF token is a 403 and changes nothing", async () => {
    const inDoubt = await invoiceIn(["in_doubt"], { fault: "commit-then-drop" });
    const { page, close } = await signIn(browser, t.url, people.operatorA, PASSWORD);
    try {
      await page.goto(`/invoices/${inDoubt.id}`);
      for (const form of [
        { action: "abandon", reason: "x" },
        { _csrf: "forged", action: "abandon", reason: "x" },
      ]) {
        const response = await page.request.post(`/invoices/${inDoubt.id}/reconcile`, {
          form,
          maxRedirects: 0,
        });
        expect(response.status()).toBe(403);
      }
      const signOut = await page.request.post("/logout", { form: {}, maxRedirects: 0 });
      expect(signOut.status()).toBe(403);
      const api = await t.call("GET", `/v1/invoices/${inDoubt.id}`);
      expect(api.body.state).toBe("in_doubt");
    } finally {
      await close();
    }
  });

  it("at phone width (390 px) the pages read without horizontal scrolling", async () => {
    const accepted = await invoiceIn(["accepted"]);
    const inDoubt = await invoiceIn(["in_doubt"], { fault: "commit-then-drop" });
    const { page, requests, close } = await signIn(browser, t.url, people.adminA, PASSWORD, PHONE);
    try {
      for (const path of [
        "/",
        "/invoices",
        `/invoices/${accepted.id}`,
        `/invoices/${inDoubt.id}`,
        "/issue",
      ]) {
        await page.goto(path);
        await expectNoHorizontalScroll(page);
      }
      for (const url of requests) expect(new URL(url).origin).toBe(origin);
    } finally {
      await close();
    }
  });

  it("signing out ends the session on the server", async () => {
    const { page, context, close } = await signIn(browser, t.url, people.operatorA, PASSWORD);
    try {
      const cookie = (await context.cookies()).find((c) => c.name === "raseed_session");
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.waitForURL(`${t.url}/login`);
      // Replaying the old cookie gets the sign-in page, not the overview.
      const replay = await fetch(`${t.url}/`, {
        headers: { cookie: `raseed_session=${cookie?.value}` },
        redirect: "manual",
      });
      expect(replay.status).toBe(303);
      expect(replay.headers.get("location")).toMatch(/^\/login/);
    } finally {
      await close();
    }
  });
});
