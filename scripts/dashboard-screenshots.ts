// Screenshots of the dashboard's main pages at desktop (1280 px) and phone (390 px) width for
// docs/dashboard/, taken from a real demo gateway in real headless Chromium (Debian's /usr/bin/chromium).
//   node --conditions=@raseed/source --import tsx scripts/dashboard-screenshots.ts
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { addUser, loadConfig, recordVerifyOutcome, startGateway } from "@raseed/gateway";
import { pino } from "pino";
import { chromium } from "playwright-core";

const out = join(import.meta.dirname, "..", "docs", "dashboard");
const dir = mkdtempSync(join(tmpdir(), "raseed-shots-"));
const example = JSON.parse(
  readFileSync(join(import.meta.dirname, "..", "examples", "first-invoice.json"), "utf8"),
);
// FBR judges invoiceDate by the UTC day.
const fbrToday = new Date().toISOString().slice(0, 10);

// The simulator's fault header turns one invoice's answer into a lost response (in doubt).
const withFaults: typeof fetch = (input, init) => {
  const body = typeof init?.body === "string" ? init.body : "";
  if (!body.includes("Lost answer")) return fetch(input, init);
  const headers = new Headers(init?.headers);
  headers.set("X-Sim-Fault", "commit-then-drop");
  return fetch(input, { ...init, headers });
};

/** Three invoices of FBR's fields (SN002, unregistered buyer, 18%); the third has an HS code FBR refuses. */
function importCsv(label: string): string {
  const header =
    "invoiceRefNo,invoiceDate,buyerNTNCNIC,buyerBusinessName,buyerProvince,buyerAddress,buyerRegistrationType,scenarioId,hsCode,productDescription,rate,uoM,quantity,valueSalesExcludingST,salesTaxApplicable,saleType";
  const row = (ref: string, hsCode: string, value: number) =>
    `${ref},${fbrToday},1000000000000,Walk-in customer,Sindh,Karachi,Unregistered,SN002,${hsCode},Imported ${ref},18%,"Numbers, pieces, units",2,${value},${(value * 18) / 100},Goods at standard rate (default)`;
  const ref = (n: number) => `${label.toUpperCase()}-${n}`;
  return [
    header,
    row(ref(1), "0101.2100", 1000),
    row(ref(1), "0101.2100", 500),
    row(ref(2), "0101.2100", 2000),
    row(ref(3), "12", 700),
  ].join("\n");
}

const gateway = await startGateway(
  loadConfig({ flags: { demo: true, port: 0, dataDir: dir, logLevel: "silent" }, env: {} }),
  { logger: pino({ level: "silent" }), fetch: withFaults },
);
try {
  const demo = gateway.demo;
  if (demo === undefined) throw new Error("no demo");
  const post = async (ref: string, change: (draft: typeof example.draft) => void) => {
    const draft = structuredClone(example.draft);
    draft.date = fbrToday;
    change(draft);
    const response = await fetch(`${gateway.url}/v1/invoices?wait=10`, {
      method: "POST",
      headers: { authorization: `Bearer ${demo.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ externalRef: ref, draft }),
    });
    return (await response.json()) as { id: string; state: string };
  };
  const accepted: { id: string; state: string }[] = [];
  for (let i = 1; i <= 6; i++)
    accepted.push(await post(`ERP-10${i}`, (d) => (d.lines[0].quantity = String(i * 3))));
  // FBR's sandbox knows 2046004 as registered: saying "Unregistered" draws FBR's 0053.
  const rejected = await post("ERP-201", (d) => (d.buyer.registrationType = "Unregistered"));
  const inDoubt = await post("ERP-301", (d) => (d.lines[0].description = "Lost answer"));
  console.log(`rejected: ${rejected.state}, in doubt: ${inDoubt.state}`);
  // A recorded certification run for /certification.
  const certification = await fetch(`${gateway.url}/v1/certification/runs`, {
    method: "POST",
    headers: { authorization: `Bearer ${demo.apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ activity: "Manufacturer", sector: "Steel" }),
  });
  console.log(`certification run: ${certification.status}`);
  // One incident to show on the Incidents page: what `raseed audit verify` records when it finds tampering.
  await recordVerifyOutcome(
    gateway.store.db,
    [
      {
        tenantId: demo.tenantId,
        problems: [`invoice ${accepted[1]?.id}: fbr_number_edited`],
        invoiceIds: [accepted[1]?.id ?? ""],
      },
    ],
    { now: new Date(), actor: "cli" },
  );

  // An admin sees every page (the demo's own sign-in is an operator).
  const admin = { email: "admin@demo.raseed.pk", password: "screenshots only, not a real one" };
  await addUser(gateway.store.db, {
    tenant: demo.tenantId,
    email: admin.email,
    role: "admin",
    password: admin.password,
  });

  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  try {
    for (const [width, label] of [
      [1280, "desktop"],
      [390, "phone"],
    ] as const) {
      const context = await browser.newContext({
        baseURL: gateway.url,
        viewport: { width, height: label === "phone" ? 844 : 900 },
      });
      const page = await context.newPage();
      await page.goto("/login");
      await page.screenshot({ path: join(out, `login-${label}.png`) });
      await page.getByLabel("Email").fill(admin.email);
      await page.getByLabel("Password").fill(admin.password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.waitForURL(`${gateway.url}/`);
      const shots: [string, string][] = [
        ["overview", "/"],
        ["invoices", "/invoices"],
        ["invoice-rejected", `/invoices/${rejected.id}`],
        ["invoice-in-doubt", `/invoices/${inDoubt.id}`],
        ["invoice-accepted", `/invoices/${accepted[0]?.id}`],
        ["incidents", "/incidents"],
        ["issue", "/issue"],
        ["settings", "/settings"],
      ];
      for (const [name, path] of shots) {
        await page.goto(path);
        await page.screenshot({ path: join(out, `${name}-${label}.png`), fullPage: true });
      }
      // Import: a month's file with one bad HS code, previewed, then sent without the bad invoice.
      await page.goto("/import");
      await page.getByLabel("Spreadsheet").setInputFiles({
        name: `sales-${label}.csv`,
        mimeType: "text/csv",
        buffer: Buffer.from(importCsv(label)),
      });
      await page.getByRole("button", { name: "Check the file" }).click();
      await page.waitForURL(/\/import\/upl_/);
      await page.screenshot({ path: join(out, `import-preview-${label}.png`), fullPage: true });
      await page.getByLabel("Send the valid invoices and leave out the ones with problems").check();
      await page.getByRole("button", { name: /^Send \d+ invoices?$/ }).click();
      await page.locator('#import-progress[data-status="done"]').waitFor();
      await page.screenshot({ path: join(out, `import-sent-${label}.png`), fullPage: true });
      await page.goto("/certification");
      await page.screenshot({ path: join(out, `certification-${label}.png`), fullPage: true });
      await context.close();
    }
  } finally {
    await browser.close();
  }
} finally {
  await gateway.close();
  rmSync(dir, { recursive: true, force: true });
}
