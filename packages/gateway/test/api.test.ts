// The gateway end to end over real HTTP: API in front, real store, real worker, real simulator behind.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyAuditChains } from "../src/audit/audit-log.ts";
import { setTenantToken } from "../src/tenants/tenants.ts";
import {
  fbrToday,
  SELLER_B,
  sampleInvoice,
  simInvoices,
  startTestGateway,
  type TestGateway,
} from "./harness.ts";
import { engines } from "./helpers.ts";

describe.each(engines)("gateway API on %s", (engine) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway(engine);
  });
  afterAll(async () => {
    await t?.close();
  });

  it("accepts an invoice: 202 queued, then accepted with FBR's number, attempts and QR codes", async () => {
    const invoice = sampleInvoice();
    const posted = await t.call("POST", "/v1/invoices", {
      body: invoice,
      headers: { "idempotency-key": "erp-1001" },
    });
    expect(posted.status).toBe(202);
    expect(posted.body).toMatchObject({ externalRef: "erp-1001" });
    expect(["queued", "submitting", "accepted"]).toContain(posted.body.state);
    expect(posted.headers.get("location")).toBe(`/v1/invoices/${posted.body.id}`);

    const done = await t.waitFor(t.keyA, posted.body.id, ["accepted"]);
    expect(done.fbrInvoiceNumber).toMatch(/^7000007DI\d+/);
    expect(done.invoice.sellerNTNCNIC).toBe("7000007");
    const onSimulator = (await simInvoices(t.simulator)).find(
      (i) => i.invoiceNumber === done.fbrInvoiceNumber,
    );
    expect(onSimulator?.postCount).toBe(1);

    const attempts = await t.call("GET", `/v1/invoices/${posted.body.id}/attempts`);
    expect(attempts.body.items).toHaveLength(1);
    expect(attempts.body.items[0]).toMatchObject({ attemptNo: 1, outcome: "accepted", httpStatus: 200 });
    expect(attempts.body.items[0].requestBody).toContain("7000007");
    expect(attempts.body.items[0].requestBody).not.toContain("sandbox-demo-token");

    const svg = await t.call("GET", `/v1/invoices/${posted.body.id}/qr.svg`);
    expect(svg.status).toBe(200);
    expect(svg.headers.get("content-type")).toContain("image/svg+xml");
    expect(svg.text).toContain("<svg");
    const png = await fetch(`${t.url}/v1/invoices/${posted.body.id}/qr.png`, {
      headers: { authorization: `Bearer ${t.keyA}` },
    });
    expect(png.status).toBe(200);
    expect(
      Buffer.from(await png.arrayBuffer())
        .subarray(1, 4)
        .toString(),
    ).toBe("PNG");
  });

  it("waits for the outcome with ?wait and answers 200 with the final state", async () => {
    const posted = await t.call("POST", "/v1/invoices?wait=10", { body: sampleInvoice() });
    expect(posted.status).toBe(200);
    expect(posted.body.state).toBe("accepted");
    expect(posted.body.fbrInvoiceNumber).toMatch(/DI/);
    const tooLong = await t.call("POST", "/v1/invoices?wait=31", { body: sampleInvoice() });
    expect(tooLong.status).toBe(400);
  });

  it("replays an idempotent request without posting again, and refuses a different body with 409", async () => {
    const invoice = sampleInvoice();
    const first = await t.call("POST", "/v1/invoices?wait=10", {
      body: { externalRef: "erp-2002", invoice },
    });
    expect(first.body.state).toBe("accepted");
    const again = await t.call("POST", "/v1/invoices", { body: { invoice, externalRef: "erp-2002" } });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    const viaHeader = await t.call("POST", "/v1/invoices", {
      body: { invoice },
      headers: { "idempotency-key": "erp-2002" },
    });
    expect(viaHeader.body.id).toBe(first.body.id);
    const changed = await t.call("POST", "/v1/invoices", {
      body: { externalRef: "erp-2002", invoice: { ...invoice, buyerAddress: "Somewhere else" } },
    });
    expect(changed.status).toBe(409);
    expect(changed.body.error.code).toBe("idempotency_conflict");
    const posts = (await simInvoices(t.simulator)).find(
      (i) => i.invoiceNumber === first.body.fbrInvoiceNumber,
    );
    expect(posts?.postCount).toBe(1);
    const list = await t.call("GET", "/v1/invoices?externalRef=erp-2002");
    expect(list.body.items).toHaveLength(1);
  });

  it("keeps a keyless DI payload under a key derived from the tenant and its canonical hash", async () => {
    const invoice = sampleInvoice();
    const first = await t.call("POST", "/v1/invoices?wait=10", { body: invoice });
    expect(first.body.state).toBe("accepted");
    const key = first.headers.get("idempotency-key");
    expect(key).toMatch(/^auto:[0-9a-f]{64}$/);
    expect(first.headers.get("x-raseed-idempotency-key")).toBe("derived");
    expect(first.body.externalRef).toBe(key);
    // The ERP resends it (keys in another order): the same invoice, nothing posted again.
    const reordered = Object.fromEntries(Object.entries(invoice).reverse());
    const again = await t.call("POST", "/v1/invoices", { body: reordered });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.get("idempotency-key")).toBe(key);
    const posts = (await simInvoices(t.simulator)).find(
      (i) => i.invoiceNumber === first.body.fbrInvoiceNumber,
    );
    expect(posts?.postCount).toBe(1);
    // Two intentionally identical invoices need two keys: the client's own key makes a second invoice.
    const keyed = await t.call("POST", "/v1/invoices", {
      body: invoice,
      headers: { "idempotency-key": "erp-3003" },
    });
    expect(keyed.status).toBe(202);
    expect(keyed.body.id).not.toBe(first.body.id);
    expect(keyed.headers.get("idempotency-key")).toBe("erp-3003");
    expect(keyed.headers.get("x-raseed-idempotency-key")).toBe("client");
    // Another payload, another derived key.
    const other = await t.call("POST", "/v1/invoices", { body: sampleInvoice() });
    expect(other.status).toBe(202);
    expect(other.headers.get("idempotency-key")).not.toBe(key);
    const listed = await t.call("GET", `/v1/invoices?externalRef=${encodeURIComponent(key ?? "")}`);
    expect(listed.body.items.map((i: { id: string }) => i.id)).toEqual([first.body.id]);
  });

  it("builds Raseed's simpler draft form with the sdk (seller taken from the key's tenant)", async () => {
    const draft = {
      buyer: {
        ntnCnic: "2046004",
        businessName: "FERTILIZER MANUFAC IRS NEW",
        province: "Sindh",
        address: "Karachi",
        registrationType: "Registered",
      },
      date: fbrToday(),
      scenarioId: "SN001",
      lines: [
        {
          hsCode: "0101.2100",
          description: `draft line ${Date.now()}`,
          uoM: "Numbers, pieces, units",
          quantity: "3",
          unitPrice: "250.50",
          discount: "1.50",
          saleType: "Goods at standard rate (default)",
          rate: "18%",
        },
      ],
    };
    const posted = await t.call("POST", "/v1/invoices?wait=10", { body: { externalRef: "draft-1", draft } });
    expect(posted.body.state).toBe("accepted");
    const stored = await t.call("GET", `/v1/invoices/${posted.body.id}`);
    expect(stored.body.invoice).toMatchObject({ sellerNTNCNIC: "7000007", buyerNTNCNIC: "2046004" });
    // 3 × 250.50 − 1.50 = 750.00, at 18% = 135.00 (HALF_UP, two decimals).
    expect(stored.body.invoice.items[0]).toMatchObject({
      valueSalesExcludingST: 750,
      salesTaxApplicable: 135,
    });

    const bad = await t.call("POST", "/v1/invoices", {
      body: { draft: { ...draft, lines: [{ ...draft.lines[0], quantity: "lots" }] } },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe("validation_failed");
    expect(bad.body.error.details.issues).toEqual([
      expect.objectContaining({ level: "item", item: 1, field: "quantity", path: "draft.lines[0].quantity" }),
    ]);

    // Every problem at once, each in the validation-issue shape, not just the first.
    const line = draft.lines[0] as Record<string, unknown>;
    const many = await t.call("POST", "/v1/invoices", {
      body: {
        draft: {
          ...draft,
          buyer: { ...draft.buyer, registrationType: "Maybe" },
          lines: [
            { ...line, quantity: "lots" },
            { ...line, unitPrice: undefined },
            { ...line, rate: "999%" },
          ],
        },
      },
    });
    expect(many.status).toBe(422);
    expect(many.body.error.code).toBe("validation_failed");
    const issues = many.body.error.details.issues as Record<string, unknown>[];
    expect(issues.map((i) => i.path).sort()).toEqual([
      "draft.buyer.registrationType",
      "draft.lines[0].quantity",
      "draft.lines[1].unitPrice",
    ]);
    for (const issue of issues) {
      expect(Object.keys(issue).sort()).toEqual(
        expect.arrayContaining(["code", "level", "field", "path", "message", "fix"]),
      );
    }
    // Well-formed but refused by the sdk's builder: each bad line named (here lines 2 and 3).
    const semantic = await t.call("POST", "/v1/invoices", {
      body: {
        draft: { ...draft, lines: [line, { ...line, rate: "banana" }, { ...line, rate: "nothing" }] },
      },
    });
    expect(semantic.status).toBe(422);
    const items = (semantic.body.error.details.issues as { item?: number }[]).map((i) => i.item).sort();
    expect(items).toEqual([2, 3]);
  });

  it("refuses invalid invoices with 422 listing every issue, and queues nothing", async () => {
    const before = await t.call("GET", "/v1/invoices?limit=500");
    const invoice = sampleInvoice();
    const broken = {
      ...invoice,
      invoiceDate: "not-a-date",
      buyerRegistrationType: "Maybe",
      items: invoice.items.map((item) => ({ ...item, hsCode: "", uoM: "" })),
    };
    const response = await t.call("POST", "/v1/invoices", { body: broken });
    expect(response.status).toBe(422);
    expect(response.body.error.code).toBe("validation_failed");
    const issues = response.body.error.details.issues as { code: string; path: string; fix: string }[];
    expect(issues.length).toBeGreaterThanOrEqual(3);
    for (const issue of issues) {
      expect(issue.code).toMatch(/^\d{4}$/);
      expect(typeof issue.fix).toBe("string");
    }
    expect(response.body.error.requestId).toMatch(/^req_/);
    const after = await t.call("GET", "/v1/invoices?limit=500");
    expect(after.body.items.length).toBe(before.body.items.length);
  });

  it("refuses an invoice for another seller with 0401", async () => {
    const response = await t.call("POST", "/v1/invoices", { body: sampleInvoice(SELLER_B) });
    expect(response.status).toBe(422);
    const codes = (response.body.error.details.issues as { code: string }[]).map((i) => i.code);
    expect(codes).toContain("0401");
  });

  it("answers bad requests in one envelope without stack traces", async () => {
    const badJson = await t.call("POST", "/v1/invoices", { raw: '{"invoice": ' });
    expect(badJson.status).toBe(400);
    expect(badJson.body.error.code).toBe("invalid_json");
    expect(badJson.body.error.message).toMatch(/not valid JSON/);
    expect(badJson.text).not.toMatch(/at .*\.ts:\d+/);
    const noKey = await t.call("GET", "/v1/invoices", { key: "" });
    expect(noKey.status).toBe(401);
    expect(noKey.body.error.code).toBe("unauthenticated");
    const wrongKey = await t.call("GET", "/v1/invoices", { key: "rsd_nope" });
    expect(wrongKey.status).toBe(401);
    const huge = await t.call("POST", "/v1/invoices", {
      raw: JSON.stringify({ pad: "x".repeat(2_000_000) }),
    });
    expect(huge.status).toBe(413);
    const unknown = await t.call("GET", "/v1/nothing-here");
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.requestId).toMatch(/^req_/);
    const health = await t.call("GET", "/healthz", { key: "" });
    expect(health.body).toEqual({ status: "ok" });
    const ready = await t.call("GET", "/readyz", { key: "" });
    expect(ready.body).toMatchObject({ status: "ready", engine });
    const badList = await t.call("GET", "/v1/invoices?state=sideways");
    expect(badList.status).toBe(400);
  });

  it("isolates tenants: another tenant's invoice is a 404 and lists are scoped", async () => {
    const mine = await t.call("POST", "/v1/invoices", { body: sampleInvoice() });
    const theirs = await t.call("GET", `/v1/invoices/${mine.body.id}`, { key: t.keyB });
    expect(theirs.status).toBe(404);
    const theirAttempts = await t.call("GET", `/v1/invoices/${mine.body.id}/attempts`, { key: t.keyB });
    expect(theirAttempts.status).toBe(404);
    const theirReconcile = await t.call("POST", `/v1/invoices/${mine.body.id}/reconcile`, {
      key: t.keyB,
      body: { action: "abandon" },
    });
    expect(theirReconcile.status).toBe(404);
    const list = await t.call("GET", "/v1/invoices?limit=500", { key: t.keyB });
    expect(list.body.items.map((i: { id: string }) => i.id)).not.toContain(mine.body.id);
  });

  it("pages through invoices with a cursor, newest first, filtered by state", async () => {
    for (let i = 0; i < 5; i += 1)
      await t.call("POST", "/v1/invoices", { key: t.keyB, body: sampleInvoice(SELLER_B) });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? "" : `&cursor=${cursor}`;
      const page = await t.call("GET", `/v1/invoices?limit=2${query}`, { key: t.keyB });
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((i: { id: string }) => i.id));
      cursor = page.body.nextCursor;
    } while (cursor !== null);
    expect(seen.length).toBeGreaterThanOrEqual(5);
    expect([...seen].sort().reverse()).toEqual(seen);
    expect(new Set(seen).size).toBe(seen.length);
    const accepted = await t.call("GET", "/v1/invoices?state=rejected", { key: t.keyB });
    for (const item of accepted.body.items) expect(item.state).toBe("rejected");
  });

  it("stores a header-level FBR rejection with its code, final", async () => {
    const invoice = sampleInvoice(SELLER_B, undefined, "SN002");
    const posted = await t.call("POST", "/v1/invoices?wait=10", { key: t.keyB, body: invoice });
    expect(posted.body.state).toBe("rejected");
    expect(posted.body.errors.map((e: { code: string }) => e.code)).toContain("0203");
    expect(posted.body.errors[0].level).toBe("header");
  });

  it("stores an item-level FBR rejection (00 header, item 01) with the item number", async () => {
    const invoice = sampleInvoice();
    const description = invoice.items[0]?.productDescription as string;
    t.faults.cannedByDescription.set(description, {
      status: 200,
      body: {
        validationResponse: {
          statusCode: "00",
          status: "Invalid",
          error: "",
          invoiceStatuses: [
            {
              itemSNo: "1",
              statusCode: "01",
              status: "Invalid",
              invoiceNo: null,
              errorCode: "0052",
              error: "Provide proper HS Code with invoice no. null",
            },
          ],
        },
      },
    });
    const posted = await t.call("POST", "/v1/invoices?wait=10", { body: invoice });
    expect(posted.body.state).toBe("rejected");
    expect(posted.body.errors).toEqual([expect.objectContaining({ code: "0052", level: "item", item: 1 })]);
  });

  it("validates without storing, locally and against FBR's validate endpoint", async () => {
    const local = await t.call("POST", "/v1/invoices/validate", { body: sampleInvoice() });
    expect(local.status).toBe(200);
    expect(local.body.local).toMatchObject({ valid: true, verdict: "valid-fbr-will-check", issues: [] });
    // SN001 on a sandbox tenant: FBR still checks the HS code, the buyer's registration and that SN001 is
    // assigned to the seller.
    expect(local.body.local.fbrWillCheck.map((check: { rule: string }) => check.rule).sort()).toEqual([
      "buyer-registration",
      "hs-code-exists",
      "scenario-assigned",
    ]);
    const remote = await t.call("POST", "/v1/invoices/validate?remote=true", {
      key: t.keyB,
      body: sampleInvoice(SELLER_B, undefined, "SN002"),
    });
    expect(remote.body.local.valid).toBe(true);
    expect(remote.body.remote.kind).toBe("rejected");
  });

  it("serves reference data", async () => {
    const provinces = await t.call("GET", "/v1/reference/provinces");
    expect(provinces.status).toBe(200);
    expect(JSON.stringify(provinces.body.rows)).toContain("SINDH");
    const missing = await t.call("GET", "/v1/reference/planets");
    expect(missing.status).toBe(404);
    const live = await t.call("GET", "/v1/reference/uoms?live=true");
    expect(live.status).toBe(200);
    expect(live.body.live).toBe(true);
    expect(JSON.stringify(live.body.rows)).toContain("uoM_ID");
    expect((await t.call("GET", "/v1/reference/rates?live=true")).status).toBe(400);
  });

  it("keeps the audit chain intact through all of this", async () => {
    const reports = await verifyAuditChains(t.gateway.store.db);
    expect(reports.length).toBe(2);
    for (const report of reports) expect(report).toMatchObject({ ok: true });
    expect(reports[0]?.entries).toBeGreaterThan(5);
  });

  it("pauses a seller whose token FBR refuses, keeps the other going, and resumes on a new token", async () => {
    await setTenantToken(t.gateway.store.db, t.masterKey, t.tenantB, "revoked-token-xyz");
    const paused = await t.call("POST", "/v1/invoices?wait=10", {
      key: t.keyB,
      body: sampleInvoice(SELLER_B),
    });
    expect(paused.body.state).toBe("paused");
    const queuedWhilePaused = await t.call("POST", "/v1/invoices", {
      key: t.keyB,
      body: sampleInvoice(SELLER_B),
    });
    expect(queuedWhilePaused.body.state).toBe("paused");
    const other = await t.call("POST", "/v1/invoices?wait=10", { body: sampleInvoice() });
    expect(other.body.state).toBe("accepted");

    const retryRefused = await t.call("POST", `/v1/invoices/${paused.body.id}/retry`, { key: t.keyB });
    expect(retryRefused.status).toBe(409);
    const resumed = await setTenantToken(t.gateway.store.db, t.masterKey, t.tenantB, SELLER_B.token);
    expect(resumed.resumed).toBe(2);
    t.gateway.worker.kick();
    expect((await t.waitFor(t.keyB, paused.body.id, ["accepted"])).state).toBe("accepted");
    expect((await t.waitFor(t.keyB, queuedWhilePaused.body.id, ["accepted"])).state).toBe("accepted");
  });
});
