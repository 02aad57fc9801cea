// The settlements that meet in one group commit are written together (outbox/settle.ts settlementBatch): one
// statement per kind for all of them, with each invoice ending exactly as its own settlement would leave it:
// an acceptance sealed with its audit entries in order, a rejection recorded, and FBR's late acceptance of a
// post whose lease was lost applied to the invoice as it now stands, its row dropped, its seal left to the Sealer.
import { generateKeyPairSync } from "node:crypto";
import { nextStep, type PostOutcome } from "@raseed/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyAuditChains } from "../src/audit/audit-log.ts";
import { registerAuditChainKey } from "../src/audit/chain-key.ts";
import { GatewayEvents } from "../src/events.ts";
import { changeInvoiceState, insertInvoices, markAllSubmitting } from "../src/invoices/lifecycle.ts";
import type { ClaimedAttempt } from "../src/outbox/dispatch.ts";
import { claimDueOutbox, enqueueOutboxRows, insertAttempts } from "../src/outbox/outbox-sql.ts";
import { AnswerOrder, prepareSettlement, type Settlement, settlementBatch } from "../src/outbox/settle.ts";
import { deriveRecordKeys } from "../src/records/keys.ts";
import { sealSignatureHolds } from "../src/records/seals.ts";
import type { Store } from "../src/store/database.ts";
import { newId, nowIso } from "../src/store/ids.ts";
import type { InvoiceRow, TenantRow } from "../src/store/schema.ts";
import { addTenant } from "../src/tenants/tenants.ts";
import { SELLER_A, sampleInvoice } from "./harness.ts";
import { engines, openTestStore, TEST_MASTER_KEY } from "./helpers.ts";

describe.each(engines)("a group's settlements written together on %s", (engine) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let tenant: TenantRow;
  const keys = deriveRecordKeys(TEST_MASTER_KEY);

  beforeAll(async () => {
    ({ store, cleanup } = await openTestStore(engine));
    registerAuditChainKey(store.db, keys.chainKey);
    const added = await addTenant(store.db, TEST_MASTER_KEY, {
      ntn: SELLER_A.ntn,
      name: SELLER_A.name,
      province: SELLER_A.province,
      address: SELLER_A.address,
      environment: "sandbox",
      fbrToken: "sandbox-demo-token",
    });
    tenant = await store.db
      .selectFrom("tenants")
      .selectAll()
      .where("id", "=", added.id)
      .executeTakeFirstOrThrow();
  });
  afterAll(() => cleanup());

  /** Queued invoices, claimed and their attempts recorded as the worker's claim does. */
  async function claimed(count: number): Promise<ClaimedAttempt[]> {
    const now = nowIso();
    const rows: InvoiceRow[] = Array.from({ length: count }, () => ({
      id: newId("inv"),
      tenant_id: tenant.id,
      channel: "di",
      buyer_ntn_cnic: null,
      buyer_name: null,
      invoice_date: null,
      pos_id: null,
      usin: null,
      external_ref: null,
      request_hash: "h",
      payload: JSON.stringify(sampleInvoice()),
      state: "queued",
      fbr_invoice_number: null,
      fbr_dated: null,
      item_numbers: null,
      errors: null,
      last_reason: null,
      attempt_count: 0,
      created_at: now,
      updated_at: now,
    }));
    const claimId = `test:${newId("clm")}`;
    return store.db.transaction().execute(async (trx) => {
      await insertInvoices(
        trx,
        rows.map((row) => ({ row, audit: { actor: "test", action: "invoice.received" } })),
      );
      await enqueueOutboxRows(
        trx,
        rows.map((row) => ({ invoiceId: row.id, tenantId: tenant.id })),
      );
      const leased = await claimDueOutbox(trx, engine, {
        owner: claimId,
        now: new Date(Date.now() + 1_000).toISOString(),
        leaseUntil: new Date(Date.now() + 60_000).toISOString(),
        limit: count,
      });
      expect(leased).toHaveLength(count);
      await markAllSubmitting(
        trx,
        rows.map((invoice) => ({ invoice, attemptCount: 1 })),
      );
      const attempts = rows.map((invoice) => ({ invoice, attemptId: newId("att") }));
      await insertAttempts(
        trx,
        attempts.map(({ invoice, attemptId }) => ({
          id: attemptId,
          invoiceId: invoice.id,
          tenantId: tenant.id,
          attemptNo: 1,
          url: "http://fbr.test/post",
          requestBody: invoice.payload,
        })),
      );
      return attempts.map(({ invoice, attemptId }) => ({
        invoice: { ...invoice, attempt_count: 1 },
        tenant,
        claimId,
        attemptId,
      }));
    });
  }

  const exchange = (body: string) => ({
    url: "http://fbr.test/post",
    requestBody: "{}",
    status: 200,
    responseBody: body,
    durationMs: 12,
  });
  const accepted = (number: string): PostOutcome => ({
    kind: "accepted",
    invoiceNumber: number,
    dated: "2026-12-07 10:00:00",
    itemNumbers: [`${number}-1`],
    exchange: exchange(JSON.stringify({ invoiceNumber: number })),
  });
  const settlement = (attempt: ClaimedAttempt, outcome: PostOutcome): Promise<Settlement> =>
    prepareSettlement(
      { recordKeys: keys, events: new GatewayEvents() },
      attempt,
      outcome,
      nextStep(outcome, attempt.invoice.attempt_count, { maxAttempts: 5, maxRetryDelayMs: 1_000 }),
    );

  async function auditOf(id: string): Promise<{ action: string; details: Record<string, unknown> }[]> {
    const rows = await store.db
      .selectFrom("audit")
      .selectAll()
      .where("subject", "=", id)
      .orderBy("seq")
      .execute();
    return rows.map((r) => ({ action: r.action, details: JSON.parse(r.details) as Record<string, unknown> }));
  }

  it("leaves each invoice as its own settlement would, in one transaction", async () => {
    const [first, rejected, late, second] = (await claimed(4)) as [
      ClaimedAttempt,
      ClaimedAttempt,
      ClaimedAttempt,
      ClaimedAttempt,
    ];
    // Recovery took `late`'s lease meanwhile and marked it in doubt.
    await store.db.transaction().execute(async (trx) => {
      await trx
        .updateTable("outbox")
        .set({ lease_owner: "recovery" })
        .where("invoice_id", "=", late.invoice.id)
        .execute();
      await changeInvoiceState(trx, {
        event: "recovered",
        invoice: { ...late.invoice, state: "submitting" },
        to: "in_doubt",
        audit: { actor: "test", action: "invoice.recovered" },
      });
    });
    const rejection: PostOutcome = {
      kind: "rejected",
      errors: [{ code: "0052", message: "bad HS code", level: "item", item: 1 }],
      exchange: exchange('{"validationResponse":{"statusCode":"01"}}'),
    };
    const events = new GatewayEvents();
    const batch = settlementBatch({ actor: "worker:test", events, recordKeys: keys });
    const items = await Promise.all([
      settlement(first, accepted("7000007DI0000000000001")),
      settlement(rejected, rejection),
      settlement(late, accepted("7000007DI0000000000003")),
      settlement(second, accepted("7000007DI0000000000004")),
    ]);
    const settled = await store.db.transaction().execute((trx) => batch.write(trx, items));
    expect(
      settled.map((s) => [s.change?.invoiceId, s.change?.state, s.change?.previousState, s.change?.sealed]),
    ).toEqual([
      [first.invoice.id, "accepted", "queued", true],
      [rejected.invoice.id, "rejected", "queued", undefined],
      [late.invoice.id, "accepted", "in_doubt", undefined],
      [second.invoice.id, "accepted", "queued", true],
    ]);

    const ids = [first, rejected, late, second].map((a) => a.invoice.id);
    const invoices = new Map(
      (await store.db.selectFrom("invoices").selectAll().where("id", "in", ids).execute()).map((r) => [
        r.id,
        r,
      ]),
    );
    expect(invoices.get(first.invoice.id)).toMatchObject({
      state: "accepted",
      fbr_invoice_number: "7000007DI0000000000001",
    });
    expect(invoices.get(rejected.invoice.id)).toMatchObject({
      state: "rejected",
      last_reason: "0052: bad HS code",
    });
    expect(invoices.get(late.invoice.id)).toMatchObject({
      state: "accepted",
      fbr_invoice_number: "7000007DI0000000000003",
    });
    expect(invoices.get(second.invoice.id)).toMatchObject({
      state: "accepted",
      fbr_invoice_number: "7000007DI0000000000004",
    });
    // Nothing is left to post: the late acceptance's row is dropped whoever held it.
    expect(
      await store.db.selectFrom("outbox").select("invoice_id").where("invoice_id", "in", ids).execute(),
    ).toEqual([]);
    const attempts = await store.db
      .selectFrom("attempts")
      .selectAll()
      .where("invoice_id", "in", ids)
      .execute();
    expect(
      new Map(attempts.map((a) => [a.invoice_id, [a.outcome, a.http_status, a.duration_ms !== null]])),
    ).toEqual(
      new Map([
        [first.invoice.id, ["accepted", 200, true]],
        [rejected.invoice.id, ["rejected", 200, true]],
        [late.invoice.id, ["accepted", 200, true]],
        [second.invoice.id, ["accepted", 200, true]],
      ]),
    );
    // Sealed in the settlement only under the lease; a late answer is the Sealer's.
    const seals = await store.db
      .selectFrom("seals")
      .select("invoice_id")
      .where("invoice_id", "in", ids)
      .execute();
    expect(seals.map((s) => s.invoice_id).sort()).toEqual([first.invoice.id, second.invoice.id].sort());

    // Each invoice's entries in the order its own settlement writes them: the post, then its seal.
    expect((await auditOf(first.invoice.id)).map((a) => a.action)).toEqual([
      "invoice.received",
      "fbr.post",
      "invoice.sealed",
    ]);
    expect((await auditOf(rejected.invoice.id)).map((a) => a.action)).toEqual([
      "invoice.received",
      "fbr.post",
    ]);
    expect((await auditOf(late.invoice.id)).slice(-1)[0]).toMatchObject({
      action: "fbr.post",
      details: { leaseLost: true, from: "in_doubt", to: "accepted", outcome: "accepted" },
    });
    const tenantAudit = await store.db
      .selectFrom("audit")
      .select(["subject", "action"])
      .where("tenant_id", "=", tenant.id)
      .where("action", "in", ["fbr.post", "invoice.sealed"])
      .orderBy("seq")
      .execute();
    expect(tenantAudit.map((a) => [a.subject, a.action])).toEqual([
      [first.invoice.id, "fbr.post"],
      [first.invoice.id, "invoice.sealed"],
      [rejected.invoice.id, "fbr.post"],
      [late.invoice.id, "fbr.post"],
      [second.invoice.id, "fbr.post"],
      [second.invoice.id, "invoice.sealed"],
    ]);
    expect((await verifyAuditChains(store.db, tenant.id))[0]?.ok).toBe(true);
  });

  it("records FBR's answer without a state change when the invoice moved on, and seals nothing twice", async () => {
    const [moved, sealedAlready] = (await claimed(2)) as [ClaimedAttempt, ClaimedAttempt];
    // A person decided `moved` meanwhile (recovered, then abandoned); `sealedAlready` has a seal somehow.
    await store.db.transaction().execute(async (trx) => {
      await trx
        .updateTable("outbox")
        .set({ lease_owner: "recovery" })
        .where("invoice_id", "=", moved.invoice.id)
        .execute();
      await changeInvoiceState(trx, {
        event: "recovered",
        invoice: { ...moved.invoice, state: "submitting" },
        to: "in_doubt",
        audit: { actor: "test", action: "invoice.recovered" },
      });
      await changeInvoiceState(trx, {
        event: "reconciled",
        invoice: { ...moved.invoice, state: "in_doubt" },
        to: "abandoned",
        audit: { actor: "test", action: "invoice.abandoned" },
      });
      await trx
        .insertInto("seals")
        .values({
          invoice_id: sealedAlready.invoice.id,
          tenant_id: tenant.id,
          record: "{}",
          signature: "s",
          key_id: "k",
          sealed_at: nowIso(),
        })
        .execute();
    });
    const rejection: PostOutcome = {
      kind: "rejected",
      errors: [{ code: "0052", message: "bad HS code", level: "item", item: 1 }],
      exchange: exchange("{}"),
    };
    const batch = settlementBatch({ actor: "worker:test", events: new GatewayEvents(), recordKeys: keys });
    const items = await Promise.all([
      settlement(moved, rejection),
      settlement(sealedAlready, accepted("7000007DI0000000000010")),
    ]);
    const settled = await store.db.transaction().execute((trx) => batch.write(trx, items));
    expect(settled[0]?.change).toBeUndefined();
    expect(settled[1]?.change).toMatchObject({ state: "accepted" });
    expect(settled[1]?.change?.sealed).toBeUndefined();
    expect((await auditOf(moved.invoice.id)).slice(-1)[0]).toMatchObject({
      action: "fbr.post",
      details: { leaseLost: true, from: "abandoned", to: "abandoned", outcome: "rejected" },
    });
    expect((await auditOf(sealedAlready.invoice.id)).map((a) => a.action)).toEqual([
      "invoice.received",
      "fbr.post",
    ]);
    const seal = await store.db
      .selectFrom("seals")
      .select("record")
      .where("invoice_id", "=", sealedAlready.invoice.id)
      .executeTakeFirstOrThrow();
    expect(seal.record).toBe("{}");
  });

  it("signs an acceptance's seal off the event loop, and settles it unsealed when signing fails", async () => {
    const [good, bad] = (await claimed(2)) as [ClaimedAttempt, ClaimedAttempt];
    const signed = await settlement(good, accepted("7000007DI0000000000020"));
    expect(signed.seal).toBeDefined();
    const seal = signed.seal as NonNullable<Settlement["seal"]>;
    expect(sealSignatureHolds(keys, seal.row.record, seal.row.signature)).toBe(true);

    // A key that cannot make an Ed25519 signature: the failure is reported, FBR's answer is still settled.
    const events = new GatewayEvents();
    const problems: string[] = [];
    events.on("worker.problem", ({ message, invoiceId }) => problems.push(`${message} ${invoiceId}`));
    const outcome = accepted("7000007DI0000000000021");
    const unsigned = await prepareSettlement(
      { recordKeys: { ...keys, sealPrivateKey: generateKeyPairSync("x25519").privateKey }, events },
      bad,
      outcome,
      nextStep(outcome, bad.invoice.attempt_count, { maxAttempts: 5, maxRetryDelayMs: 1_000 }),
    );
    expect(unsigned.seal).toBeUndefined();
    expect(unsigned.step.next).toBe("accepted");
    expect(problems).toEqual([`sealing an accepted invoice failed ${bad.invoice.id}`]);
  });
});

describe("settlements in answer order", () => {
  function deferred<T>(): {
    promise: Promise<T>;
    resolve: (value: T) => void;
    reject: (error: Error) => void;
  } {
    let resolve!: (value: T) => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<T>((yes, no) => {
      resolve = yes;
      reject = no;
    });
    return { promise, resolve, reject };
  }

  it("hands each prepared settlement out after those asked for before it, whatever order they are ready in", async () => {
    const order = new AnswerOrder();
    const [first, failing, third] = [deferred<string>(), deferred<string>(), deferred<string>()];
    const handedOut: string[] = [];
    const turns = [first, failing, third].map((d) =>
      order.inTurn(d.promise).then(
        (value) => handedOut.push(value),
        (error: Error) => handedOut.push(`failed: ${error.message}`),
      ),
    );
    third.resolve("third");
    failing.reject(new Error("second"));
    // Every promise job queued so far runs before the next turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve));
    expect(handedOut).toEqual([]);
    first.resolve("first");
    await Promise.all(turns);
    expect(handedOut).toEqual(["first", "failed: second", "third"]);
  });
});
