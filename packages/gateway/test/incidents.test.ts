// The incident register (issue 9) on both engines: FBR down past the threshold opens "FBR unreachable"
// (the clock is injected and moved; nothing waits ten minutes), FBR answering closes it; a refused token,
// tampering and a stop with work in flight are recorded too; GET /v1/incidents is authenticated and keeps
// tenants apart; the PDF report says what the Commissioner needs.
import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FbrCallRecord } from "../src/events.ts";
import { listIncidents, recordInterruptedWork, recordVerifyOutcome } from "../src/records/incidents.ts";
import { nowIso } from "../src/store/ids.ts";
import { type Loose, SELLER_B, sampleInvoice, startTestGateway, type TestGateway } from "./harness.ts";
import { engines } from "./helpers.ts";
import { pdfText } from "./pdf-tools.ts";

const MINUTE = 60_000;

describe.each(engines)("incident register on %s", (engine) => {
  let t: TestGateway;
  let now = new Date();
  const nextCall = (): Promise<FbrCallRecord[]> =>
    once(t.gateway.events, "fbr.call") as Promise<FbrCallRecord[]>;

  beforeAll(async () => {
    t = await startTestGateway(engine, { maxAttempts: 50 }, {}, { incidentClock: () => now });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("opens FBR unreachable once calls have failed for more than 10 minutes, and closes it when FBR answers", async () => {
    t.faults.everyPost = "http503;retry-after=0";
    const firstCall = nextCall();
    const posted = await t.call("POST", "/v1/invoices", { body: sampleInvoice() });
    expect((await firstCall)[0]?.outcome).toBe("throttled");
    const since = now;
    await t.gateway.incidents.idle();
    // Ten minutes exactly is not yet "more than ten minutes".
    now = new Date(since.getTime() + 10 * MINUTE);
    await nextCall();
    await t.gateway.incidents.idle();
    expect(await listIncidents(t.gateway.store.db, t.tenantA, { now })).toEqual([]);

    now = new Date(since.getTime() + 11 * MINUTE);
    await nextCall();
    await t.gateway.incidents.idle();
    const [open] = await listIncidents(t.gateway.store.db, t.tenantA, { now });
    expect(open).toMatchObject({
      kind: "fbr_unreachable",
      state: "open",
      openedAt: since.toISOString(),
      closedAt: null,
      reportBy: new Date(since.getTime() + 24 * 60 * MINUTE).toISOString(),
      invoicesAffected: 1,
    });
    expect(open?.cause).toMatch(/every call to FBR failed without an answer for 11 minutes/);

    // Over the API: authenticated, and only the tenant's own.
    const listed = await t.call("GET", "/v1/incidents?state=open");
    expect(listed.status).toBe(200);
    expect(listed.body.incidents.map((i: Loose) => i.id)).toEqual([open?.id]);
    expect((await t.call("GET", "/v1/incidents", { key: t.keyB })).body.incidents).toEqual([]);
    expect((await t.call("GET", "/v1/incidents", { key: "" })).status).toBe(401);
    expect((await t.call("GET", `/v1/incidents/${open?.id}/report.pdf`, { key: t.keyB })).status).toBe(404);
    expect((await t.call("GET", "/v1/incidents?state=maybe")).status).toBe(400);

    const report = await fetch(`${t.url}/v1/incidents/${open?.id}/report.pdf`, {
      headers: { authorization: `Bearer ${t.keyA}` },
    });
    expect(report.headers.get("content-type")).toBe("application/pdf");
    const text = pdfText(Buffer.from(await report.arrayBuffer()));
    for (const expected of [
      "INCIDENT REPORT",
      "Demo Traders",
      "7000007",
      "FBR unreachable",
      "still open",
      "Invoices affected",
      "Report due by",
      "(24 hours from the start)",
    ])
      expect(text).toContain(expected);

    // FBR is back: the retry is accepted and the incident closes, with the invoice counted.
    t.faults.everyPost = undefined;
    now = new Date(since.getTime() + 14 * MINUTE);
    await t.waitFor(t.keyA, posted.body.id, ["accepted"]);
    await t.gateway.incidents.idle();
    const [closed] = await listIncidents(t.gateway.store.db, t.tenantA);
    expect(closed).toMatchObject({
      id: open?.id,
      state: "closed",
      closedAt: now.toISOString(),
      invoicesAffected: 1,
    });
    const audit = await t.gateway.store.db
      .selectFrom("audit")
      .select("action")
      .where("subject", "=", open?.id ?? "")
      .orderBy("seq")
      .execute();
    expect(audit.map((a) => a.action)).toEqual(["incident.opened", "incident.closed"]);
  });

  it("opens 'token refused' at once when FBR refuses the seller's token, and closes it when a call goes through", async () => {
    // Back to the wall clock: attempts are stamped with it, and the incident counts them from its start.
    now = new Date();
    const invoice = sampleInvoice();
    t.faults.byDescription.set(String(invoice.items[0]?.productDescription), "unauthorized401");
    const refused = nextCall();
    const held = await t.call("POST", "/v1/invoices", { body: invoice });
    expect((await refused)[0]?.outcome).toBe("unauthorised");
    // Settled (the seller's queue paused), so the refused attempt is on record.
    await t.waitFor(t.keyA, held.body.id, ["paused"]);
    await t.gateway.incidents.idle();
    const [open] = await listIncidents(t.gateway.store.db, t.tenantA, { state: "open" });
    expect(open).toMatchObject({ kind: "token_refused", openedAt: now.toISOString(), invoicesAffected: 1 });

    // The event the worker emits when FBR accepts one of the seller's invoices (the token works again).
    t.gateway.events.emit("fbr.call", {
      tenantId: t.tenantA,
      outcome: "accepted",
      durationMs: 5,
      errorCodes: [],
    });
    await t.gateway.incidents.idle();
    expect(await listIncidents(t.gateway.store.db, t.tenantA, { state: "open" })).toEqual([]);
  });

  it("records a stop with work in flight, naming the invoices, and tampering found by audit verify", async () => {
    const db = t.gateway.store.db;
    now = new Date();
    // Seller B: seller A's queue is paused since its token was refused.
    const posted = await t.call("POST", "/v1/invoices?wait=10", {
      key: t.keyB,
      body: sampleInvoice(SELLER_B),
    });
    expect(posted.body.state).toBe("accepted");
    // What a killed process leaves: a leased outbox row and an attempt with no outcome.
    const startedAt = new Date(now.getTime() - 2 * MINUTE).toISOString();
    await db
      .insertInto("outbox")
      .values({
        invoice_id: posted.body.id,
        tenant_id: t.tenantB,
        due_at: nowIso(),
        lease_owner: "dead-process",
        lease_until: new Date(Date.now() + 3_600_000).toISOString(),
        created_at: startedAt,
      })
      .execute();
    await db
      .insertInto("attempts")
      .values({
        id: `att_dead_${posted.body.id}`,
        invoice_id: posted.body.id,
        tenant_id: t.tenantB,
        attempt_no: 99,
        started_at: startedAt,
        finished_at: null,
        outcome: null,
        url: "http://127.0.0.1/di_data/v1/di/postinvoicedata_sb",
        request_body: "{}",
        http_status: null,
        response_body: null,
        duration_ms: null,
        reason: null,
      })
      .execute();
    const [stopped] = await recordInterruptedWork(db, { allLeases: true, now });
    await db.deleteFrom("outbox").where("invoice_id", "=", posted.body.id).execute();
    expect(stopped).toMatchObject({
      kind: "stopped_in_flight",
      state: "closed",
      openedAt: startedAt,
      closedAt: now.toISOString(),
      invoicesAffected: 1,
      invoiceIds: [posted.body.id],
    });

    await recordVerifyOutcome(
      db,
      [
        {
          tenantId: t.tenantB,
          problems: [`invoice ${posted.body.id}: fbr_number_edited`],
          invoiceIds: [posted.body.id],
        },
      ],
      { now, actor: "cli" },
    );
    const [tamper] = await listIncidents(db, t.tenantB, { state: "open" });
    expect(tamper).toMatchObject({
      kind: "tamper",
      cause: `audit verify: invoice ${posted.body.id}: fbr_number_edited`,
      invoiceIds: [posted.body.id],
    });
    // Verifying again after the records were restored closes it.
    await recordVerifyOutcome(db, [{ tenantId: t.tenantB, problems: [], invoiceIds: [] }], {
      now,
      actor: "cli",
    });
    expect(await listIncidents(db, t.tenantB, { state: "open" })).toEqual([]);
    expect((await listIncidents(db, t.tenantB)).map((i) => i.kind)).toEqual(
      expect.arrayContaining(["stopped_in_flight", "tamper"]),
    );
  });
});
