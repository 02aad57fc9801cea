// The IMS authority per tenant (issue 12): a tenant whose POS terminals report to PRA (Punjab Revenue
// Authority) has its IMS sales posted to PRA's PostData path (spec/data/ims-authorities.json), against the
// simulator over real HTTP, on both engines; the setting is audited, refused when unknown, and set from the
// CLI. DI is FBR's alone and does not move. The printed invoice (A4 and receipt, read with pdftotext) names
// the authority that issued the number, in the pos-bridge receipts' wording (sdk print/authority-wording.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addImsTerminal } from "../src/tenants/ims-terminals.ts";
import { listTenants, TenantError, updateTenant } from "../src/tenants/tenants.ts";
import { cliRunner } from "./cli-process.ts";
import { SELLER_A, sampleInvoice, simInvoices, startTestGateway, type TestGateway } from "./harness.ts";
import { engines, tempDir } from "./helpers.ts";
import { DEMO_IMS_TOKEN, DEMO_POS, imsSale, newUsin } from "./ims-fixtures.ts";
import { pdfQr, pdfText } from "./pdf-tools.ts";

const PRA_SANDBOX_PATH = "/ims/sandbox/api/Live/PostData";
const FBR_SANDBOX_PATH = "/FBR/v1/api/Live/PostData";

describe.each(engines)("IMS authority per tenant on %s", (engine) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway(engine);
    await addImsTerminal(t.gateway.store.db, t.masterKey, t.tenantA, {
      posId: DEMO_POS,
      imsToken: DEMO_IMS_TOKEN,
      environment: "sandbox",
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  async function postedPath(usin: string): Promise<string | undefined> {
    const found = (await simInvoices(t.simulator)).filter((i) => (i as { USIN?: string }).USIN === usin);
    expect(found).toHaveLength(1);
    return (found[0] as { path?: string }).path;
  }

  it("is FBR for a tenant that never chose, and PRA's PostData once the tenant reports to PRA", async () => {
    const db = t.gateway.store.db;
    expect((await listTenants(db)).find((x) => x.id === t.tenantA)?.imsAuthority).toBe("fbr");
    const before = newUsin();
    const toFbr = await t.call("POST", "/v1/ims/invoices?wait=10", { body: imsSale(before) });
    expect(toFbr.body.state).toBe("accepted");
    expect(await postedPath(before)).toBe(FBR_SANDBOX_PATH);

    const updated = await updateTenant(db, t.tenantA, { imsAuthority: "PRA" });
    expect(updated.imsAuthority).toBe("pra");
    const usin = newUsin();
    const toPra = await t.call("POST", "/v1/ims/invoices?wait=10", { body: imsSale(usin) });
    expect(toPra.status).toBe(200);
    expect(toPra.body).toMatchObject({ usin, state: "accepted" });
    expect(await postedPath(usin)).toBe(PRA_SANDBOX_PATH);
    const onSimulator = (await simInvoices(t.simulator)).find((i) => (i as { USIN?: string }).USIN === usin);
    expect(toPra.body.fbrInvoiceNumber).toBe(onSimulator?.invoiceNumber);
    // The attempt log names the URL the sale went to.
    const attempts = await t.call("GET", `/v1/invoices/${toPra.body.id}/attempts`);
    expect(attempts.body.items[0].url.endsWith(PRA_SANDBOX_PATH)).toBe(true);

    // DI stays with FBR whatever the IMS authority.
    const di = (await t.call("POST", "/v1/invoices?wait=10", { body: sampleInvoice() })).body;
    expect(di.state).toBe("accepted");
    const diAtFbr = (await simInvoices(t.simulator)).find((i) => i.invoiceNumber === di.fbrInvoiceNumber);
    expect((diAtFbr as { path?: string } | undefined)?.path).toBe("/di_data/v1/di/postinvoicedata_sb");

    // Back to FBR: the next sale goes to FBR's path again; both changes are audited.
    await updateTenant(db, t.tenantA, { imsAuthority: "fbr" });
    const after = newUsin();
    expect((await t.call("POST", "/v1/ims/invoices?wait=10", { body: imsSale(after) })).body.state).toBe(
      "accepted",
    );
    expect(await postedPath(after)).toBe(FBR_SANDBOX_PATH);
    const entries = await db
      .selectFrom("audit")
      .select("details")
      .where("tenant_id", "=", t.tenantA)
      .where("action", "=", "tenant.updated")
      .orderBy("seq")
      .execute();
    expect(entries.map((e) => JSON.parse(e.details ?? "{}"))).toEqual([
      { imsAuthority: { from: "fbr", to: "pra" } },
      { imsAuthority: { from: "pra", to: "fbr" } },
    ]);
  });

  async function printed(id: string, format: "a4" | "receipt"): Promise<string> {
    const response = await fetch(`${t.url}/v1/invoices/${id}/pdf?format=${format}`, {
      headers: { authorization: `Bearer ${t.keyA}` },
    });
    expect(response.status).toBe(200);
    const pdf = Buffer.from(await response.arrayBuffer());
    if (format === "receipt") expect(pdfQr(pdf)?.data).toBeDefined();
    return pdfText(pdf).replace(/\s+/g, " ");
  }

  // What each authority's printed sale must say, and what it must not borrow from the other.
  const wording = [
    {
      authority: "pra",
      caption: "PRA Invoice Number",
      registration: "PNTN: ",
      closing: "Reported to the Punjab Revenue Authority",
      foreign: /\bFBR\b|Tax Asaan/,
    },
    {
      authority: "fbr",
      caption: "FBR Invoice Number",
      registration: "NTN/CNIC: ",
      closing: "Verify this invoice through FBR Tax Asaan Mobile App or SMS at 9966",
      foreign: /\bPRA\b|Punjab Revenue/,
    },
  ] as const;

  it("prints a PRA tenant's IMS sale with PRA's number and wording, an FBR tenant's with FBR's", async () => {
    for (const { authority, caption, registration, closing, foreign } of wording) {
      await updateTenant(t.gateway.store.db, t.tenantA, { imsAuthority: authority });
      const sale = (await t.call("POST", "/v1/ims/invoices?wait=10", { body: imsSale(newUsin()) })).body;
      expect(sale.state).toBe("accepted");
      for (const format of ["a4", "receipt"] as const) {
        const text = await printed(sale.id, format);
        expect(text).toContain(`${caption} ${sale.fbrInvoiceNumber}`);
        // The seller's number under the authority's own name for it (A4 and receipt alike).
        expect(text).toContain(`${registration}${SELLER_A.ntn}`);
        expect(text).toContain(closing);
        expect(text).not.toMatch(foreign);
      }
    }
  });

  it("reprints a sale under the authority that accepted it, after the tenant switched", async () => {
    const [pra, fbr] = wording;
    await updateTenant(t.gateway.store.db, t.tenantA, { imsAuthority: pra.authority });
    const sale = (await t.call("POST", "/v1/ims/invoices?wait=10", { body: imsSale(newUsin()) })).body;
    expect(sale.state).toBe("accepted");
    await updateTenant(t.gateway.store.db, t.tenantA, { imsAuthority: fbr.authority });
    for (const format of ["a4", "receipt"] as const) {
      const text = await printed(sale.id, format);
      expect(text).toContain(`${pra.caption} ${sale.fbrInvoiceNumber}`);
      expect(text).toContain(pra.closing);
      expect(text).not.toMatch(pra.foreign);
    }
  });

  it("refuses an authority it does not know, naming the known ones", async () => {
    const refused = await updateTenant(t.gateway.store.db, t.tenantA, { imsAuthority: "SRB" }).catch(
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(TenantError);
    expect((refused as Error).message).toBe(
      'IMS authority "SRB" is not one of fbr (Federal Board of Revenue), pra (Punjab Revenue Authority)',
    );
  });
});

describe("raseed tenant --ims-authority", () => {
  const dir = tempDir("raseed-cli-ims-");
  afterAll(() => dir.remove());
  const run = cliRunner({
    env: { ...process.env, RASEED_MASTER_KEY: "22".repeat(32), RASEED_FBR_TOKEN: "sandbox-token" },
    trailingArgs: ["--data-dir", dir.path],
  });
  const raseed = (...args: string[]) => run(args);

  it("adds a PRA tenant, lists it, and refuses an unknown authority with exit 2", {
    timeout: 180_000,
  }, () => {
    const added = raseed(
      ...["tenant", "add", "--ntn", "3000003", "--name", "Lahore Cafe", "--province", "PUNJAB"],
      ...["--address", "Gulberg, Lahore", "--ims-authority", "pra"],
    );
    expect(added.stderr).toBe("");
    expect(added.status).toBe(0);
    const listed = JSON.parse(raseed("tenant", "list", "--json").stdout) as { imsAuthority: string }[];
    expect(listed.map((x) => x.imsAuthority)).toEqual(["pra"]);
    const refused = raseed("tenant", "update", "3000003", "--ims-authority", "kpra");
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('IMS authority "kpra" is not one of fbr');
    expect(refused.stderr).not.toMatch(/\n\s+at /);
  });
});
