// The IMS channel end to end over real HTTP: POST /v1/ims/invoices → store + outbox → worker → the
// simulator's IMS PostData with the terminal's own token → fiscal number back, on both engines.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import documentation from "../../../spec/vectors/ims/fbr-documentation.json" with { type: "json" };
import { verifyAuditChains } from "../src/audit/audit-log.ts";
import { pauseTenantOutbox } from "../src/outbox/outbox-sql.ts";
import { addImsTerminal, listImsTerminals } from "../src/tenants/ims-terminals.ts";
import { setTenantToken, TenantError } from "../src/tenants/tenants.ts";
import { SELLER_A, sampleInvoice, simInvoices, startTestGateway, type TestGateway } from "./harness.ts";
import { engines } from "./helpers.ts";
import { DEMO_IMS_TOKEN, DEMO_POS, imsSale, newUsin } from "./ims-fixtures.ts";

/** Registered at the gateway with the demo terminal's token: FBR sees a POSID that is not the token's. */
const MISMATCHED_POS = 110099;

describe.each(engines)("IMS channel on %s", (engine) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway(engine);
    const db = t.gateway.store.db;
    await addImsTerminal(db, t.masterKey, t.tenantA, {
      posId: DEMO_POS,
      imsToken: DEMO_IMS_TOKEN,
      environment: "sandbox",
    });
    await addImsTerminal(db, t.masterKey, t.tenantA, {
      posId: MISMATCHED_POS,
      imsToken: DEMO_IMS_TOKEN,
      environment: "sandbox",
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("posts a sale through the outbox and returns the simulator's fiscal number (?wait)", async () => {
    const usin = newUsin();
    const posted = await t.call("POST", "/v1/ims/invoices?wait=10", { body: imsSale(usin) });
    expect(posted.status).toBe(200);
    expect(posted.body).toMatchObject({ channel: "ims", posId: DEMO_POS, usin, state: "accepted" });
    expect(posted.headers.get("location")).toBe(`/v1/ims/invoices/${posted.body.id}`);
    const onSimulator = (await simInvoices(t.simulator)).filter(
      (i) => i.channel === "ims" && (i as { USIN?: string }).USIN === usin,
    );
    expect(onSimulator).toHaveLength(1);
    expect(posted.body.fbrInvoiceNumber).toBe(onSimulator[0]?.invoiceNumber);

    const byId = await t.call("GET", `/v1/ims/invoices/${posted.body.id}`);
    expect(byId.body.invoice.USIN).toBe(usin);
    const byUsin = await t.call("GET", `/v1/ims/invoices?posId=${DEMO_POS}&usin=${usin}`);
    expect(byUsin.body.items.map((i: { id: string }) => i.id)).toEqual([posted.body.id]);
    // The attempt is recorded with the IMS sandbox path; the token never appears in it.
    const attempts = await t.call("GET", `/v1/invoices/${posted.body.id}/attempts`);
    expect(attempts.body.items[0].url).toMatch(/\/FBR\/v1\/api\/Live\/PostData$/);
    expect(attempts.text).not.toContain(DEMO_IMS_TOKEN);
    // DI listings stay DI only.
    const diList = await t.call("GET", "/v1/invoices?limit=500");
    expect(diList.body.items.map((i: { id: string }) => i.id)).not.toContain(posted.body.id);
  });

  it("the same USIN twice is posted once; the same USIN with another body is a 409", async () => {
    const usin = newUsin();
    const first = await t.call("POST", "/v1/ims/invoices?wait=10", { body: imsSale(usin) });
    expect(first.body.state).toBe("accepted");
    const again = await t.call("POST", "/v1/ims/invoices?wait=10", { body: imsSale(usin) });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect(again.body.fbrInvoiceNumber).toBe(first.body.fbrInvoiceNumber);
    const posts = (await simInvoices(t.simulator)).filter((i) => (i as { USIN?: string }).USIN === usin);
    expect(posts).toHaveLength(1);
    expect(posts[0]?.postCount).toBe(1);

    const conflict = await t.call("POST", "/v1/ims/invoices", {
      body: imsSale(usin, DEMO_POS, { BuyerName: "Someone Else" }),
    });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe("idempotency_conflict");
  });

  it("takes FBR's own documented IMS sample (dashed BuyerCNIC, ISO DateTime) and posts it in FBR's form", async () => {
    const usin = newUsin();
    const kb = { ...documentation.kbModel, USIN: usin, DateTime: "2021-05-10T12:30:45.1234567+05:00" };
    const posted = await t.call("POST", "/v1/ims/invoices?wait=10", { body: kb });
    expect(posted.status).toBe(200);
    expect(posted.body).toMatchObject({ usin, state: "accepted" });
    const stored = await t.call("GET", `/v1/ims/invoices/${posted.body.id}`);
    expect(stored.body.invoice).toMatchObject({
      BuyerCNIC: "1234512345678",
      DateTime: "2021-05-10 12:30:45",
    });
    const [onSimulator] = (await simInvoices(t.simulator)).filter(
      (i) => (i as { USIN?: string }).USIN === usin,
    ) as { payload?: Record<string, unknown> }[];
    expect(onSimulator?.payload).toMatchObject({
      BuyerCNIC: "1234512345678",
      DateTime: "2021-05-10 12:30:45",
    });
    // The same sale spelled another way (camelCase, numbers as text) is the same sale: a replay, not a 409.
    const camel = Object.fromEntries(
      Object.entries(kb).map(([key, value]) => [key.charAt(0).toLowerCase() + key.slice(1), value]),
    );
    const again = await t.call("POST", "/v1/ims/invoices", { body: { ...camel, TotalSaleValue: "1298.00" } });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(posted.body.id);
  });

  it("422 lists every local problem and queues nothing", async () => {
    const usin = newUsin();
    const bad = imsSale(usin, DEMO_POS, { PaymentMode: 9, InvoiceType: 7 });
    const answer = await t.call("POST", "/v1/ims/invoices", { body: bad });
    expect(answer.status).toBe(422);
    const fields = answer.body.error.details.issues.map((i: { field: string }) => i.field);
    expect(fields).toEqual(expect.arrayContaining(["PaymentMode", "InvoiceType"]));
    const lookup = await t.call("GET", `/v1/ims/invoices?posId=${DEMO_POS}&usin=${usin}`);
    expect(lookup.body.items).toEqual([]);
  });

  it("FBR's Code 102 refusal is settled as rejected with FBR's own answer", async () => {
    const usin = newUsin();
    const posted = await t.call("POST", "/v1/ims/invoices?wait=10", {
      body: imsSale(usin, MISMATCHED_POS),
    });
    expect(posted.body.state).toBe("rejected");
    expect(posted.body.errors[0].code).toBe("102");
    expect(posted.body.fbrResponse).toMatchObject({ Code: "102", Response: "Invalid data received" });
    expect(posted.body.fbrResponse.Errors[0].Field).toBe("POSID");
  });

  it("isolates tenants: another tenant's key neither sees nor posts for this tenant's terminals", async () => {
    const usin = newUsin();
    const posted = await t.call("POST", "/v1/ims/invoices?wait=10", { body: imsSale(usin) });
    expect(posted.body.state).toBe("accepted");
    const byId = await t.call("GET", `/v1/ims/invoices/${posted.body.id}`, { key: t.keyB });
    expect(byId.status).toBe(404);
    const byUsin = await t.call("GET", `/v1/ims/invoices?posId=${DEMO_POS}&usin=${usin}`, { key: t.keyB });
    expect(byUsin.body.items).toEqual([]);
    const foreign = await t.call("POST", "/v1/ims/invoices", { key: t.keyB, body: imsSale(newUsin()) });
    expect(foreign.status).toBe(422);
    expect(foreign.body.error.details.issues[0].code).toBe("RGW-IMS-POS");
    // Tenant B may use the same POSID/USIN pair for its own terminal: identities are per tenant.
    await addImsTerminal(t.gateway.store.db, t.masterKey, t.tenantB, {
      posId: DEMO_POS,
      imsToken: DEMO_IMS_TOKEN,
      environment: "sandbox",
    });
    const own = await t.call("POST", "/v1/ims/invoices?wait=10", {
      key: t.keyB,
      body: imsSale(usin, DEMO_POS, { BuyerName: "Tenant B buyer" }),
    });
    expect(own.status).toBe(200);
    expect(own.body.id).not.toBe(posted.body.id);
  });

  it("an unknown IMS token holds the sale (paused); a new token for the POSID resumes it", async () => {
    const db = t.gateway.store.db;
    const posId = 110077;
    await addImsTerminal(db, t.masterKey, t.tenantA, {
      posId,
      imsToken: "not-a-real-token",
      environment: "sandbox",
    });
    const usin = newUsin();
    const posted = await t.call("POST", "/v1/ims/invoices?wait=10", { body: imsSale(usin, posId) });
    expect(posted.body.state).toBe("paused");
    // The tenant's DI queue is not paused by one till's token.
    const tenants = await db
      .selectFrom("tenants")
      .select(["paused_at"])
      .where("id", "=", t.tenantA)
      .execute();
    expect(tenants[0]?.paused_at).toBeNull();
    const replaced = await addImsTerminal(db, t.masterKey, t.tenantA, {
      posId,
      imsToken: DEMO_IMS_TOKEN,
      environment: "sandbox",
    });
    expect(replaced).toMatchObject({ created: false, resumed: 1 });
    t.gateway.worker.kick();
    // Now FBR knows the token but it is 110014's: the POSID mismatch is FBR's Code 102.
    // Waits on the gateway's state-change events (harness waitFor), not a polling clock.
    await t.waitFor(t.keyA, posted.body.id, ["rejected"]);
    expect((await t.call("GET", `/v1/ims/invoices/${posted.body.id}`)).body.state).toBe("rejected");
  });

  it("a tenant paused for its DI token still reports IMS sales; resuming DI leaves terminal holds alone", async () => {
    const db = t.gateway.store.db;
    const posId = 110066;
    await addImsTerminal(db, t.masterKey, t.tenantA, {
      posId,
      imsToken: "refused-token",
      environment: "sandbox",
    });
    const held = await t.call("POST", "/v1/ims/invoices?wait=10", { body: imsSale(newUsin(), posId) });
    expect(held.body.state).toBe("paused");
    // FBR refuses the seller's DI token: the tenant's DI queue pauses (as the worker does on a 401).
    await db.transaction().execute((trx) => pauseTenantOutbox(trx, t.tenantA, "DI token refused (test)"));
    const diInvoice = await t.call("POST", "/v1/invoices", { body: sampleInvoice() });
    expect(diInvoice.body.state).toBe("paused");
    const sale = await t.call("POST", "/v1/ims/invoices?wait=10", { body: imsSale(newUsin()) });
    expect(sale.body.state).toBe("accepted");
    const { resumed } = await setTenantToken(db, t.masterKey, t.tenantA, SELLER_A.token);
    expect(resumed).toBe(1);
    await t.waitFor(t.keyA, diInvoice.body.id, ["accepted"]);
    // The terminal-held sale stays held (it has no outbox row until its terminal gets a new token).
    expect((await t.call("GET", `/v1/ims/invoices/${held.body.id}`)).body.state).toBe("paused");
  });

  it("keeps terminal tokens sealed, validates registration input, and audits it all", async () => {
    const db = t.gateway.store.db;
    const rows = await db.selectFrom("ims_terminals").selectAll().execute();
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row.ims_token_enc).not.toContain(DEMO_IMS_TOKEN.slice(0, 8));
    expect((await listImsTerminals(db, t.tenantA)).map((x) => x.posId)).toContain(DEMO_POS);
    await expect(
      addImsTerminal(db, t.masterKey, t.tenantA, { posId: 0, imsToken: "x", environment: "sandbox" }),
    ).rejects.toThrow(TenantError);
    await expect(
      addImsTerminal(db, t.masterKey, t.tenantA, { posId: 5, imsToken: " ", environment: "sandbox" }),
    ).rejects.toThrow(/token/);
    const report = await verifyAuditChains(db);
    expect(report.every((chain) => chain.ok)).toBe(true);
  });
});
