// Screenshots of the dashboard's main pages at desktop (1280 px) and phone (390 px) width for
// docs/dashboard/, taken from a real demo gateway in real headless Chromium (Debian's /usr/bin/chromium).
//   node --conditions=@raseed/source --import tsx scripts/dashboard-screenshots.ts
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { addUser, loadConfig, startGateway } from "@raseed/gateway";
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
  for (let i = 1; i <= 6; i++) await post(`ERP-10${i}`, (d) => (d.lines[0].quantity = String(i * 3)));
  // FBR's sandbox knows 2046004 as registered: saying "Unregistered" draws FBR's 0053.
  const rejected = await post("ERP-201", (d) => (d.buyer.registrationType = "Unregistered"));
  const inDoubt = await post("ERP-301", (d) => (d.lines[0].description = "Lost answer"));
  console.log(`rejected: ${rejected.state}, in doubt: ${inDoubt.state}`);

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
        ["issue", "/issue"],
        ["settings", "/settings"],
      ];
      for (const [name, path] of shots) {
        await page.goto(path);
        await page.screenshot({ path: join(out, `${name}-${label}.png`), fullPage: true });
      }
      await context.close();
    }
  } finally {
    await browser.close();
  }
} finally {
  await gateway.close();
  rmSync(dir, { recursive: true, force: true });
}
