// Pausing and resuming a tenant's queue changes many invoices at once; each change is a state change like
// any other: one audit entry per invoice, and so one webhook delivery per invoice.
import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GatewayEvents } from "../src/events.ts";
import { submitInvoice } from "../src/invoices/invoice-service.ts";
import { pauseTenantOutbox, resumeTenantOutbox } from "../src/outbox/outbox-sql.ts";
import type { Store } from "../src/store/database.ts";
import { GroupCommitter } from "../src/store/group-commit.ts";
import { addTenant } from "../src/tenants/tenants.ts";
import { createWebhook, WebhookDispatcher } from "../src/webhooks/webhooks.ts";
import { SELLER_A, sampleInvoice } from "./harness.ts";
import { engines, openTestStore } from "./helpers.ts";

describe.each(engines)("bulk pause and resume on %s", (engine) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ store, cleanup } = await openTestStore(engine));
  });
  afterEach(async () => {
    await cleanup();
  });

  it("audits every invoice it pauses or resumes, and the webhook dispatcher delivers each change", async () => {
    const { db } = store;
    const masterKey = randomBytes(32);
    const { id: tenantId } = await addTenant(db, masterKey, {
      ...SELLER_A,
      environment: "sandbox",
      fbrToken: SELLER_A.token,
    });
    await createWebhook(db, masterKey, tenantId, "http://127.0.0.1:9/hook", "test", {
      allowPrivateNetworks: true,
    });
    const tenant = await db
      .selectFrom("tenants")
      .selectAll()
      .where("id", "=", tenantId)
      .executeTakeFirstOrThrow();
    const committer = new GroupCommitter(db);
    const ids: string[] = [];
    for (const n of [1, 2, 3]) {
      const { row } = await submitInvoice(
        db,
        committer,
        tenant,
        { invoice: sampleInvoice() as never, externalRef: `ref-${n}`, requestHash: `h-${n}` },
        "test",
      );
      ids.push(row.id);
    }

    await db.transaction().execute((trx) => pauseTenantOutbox(trx, tenantId, "token refused", "test"));
    const resumed = await db.transaction().execute((trx) => resumeTenantOutbox(trx, tenantId, "test"));
    expect(resumed).toBe(3);

    const audit = await db
      .selectFrom("audit")
      .select(["action", "subject", "details"])
      .where("tenant_id", "=", tenantId)
      .where("action", "in", ["invoice.paused", "invoice.resumed"])
      .orderBy("seq")
      .execute();
    expect(audit.map((a) => [a.action, a.subject])).toEqual([
      ...ids.map((id) => ["invoice.paused", id]),
      ...ids.map((id) => ["invoice.resumed", id]),
    ]);
    expect(JSON.parse(audit[0]?.details ?? "{}")).toMatchObject({ from: "queued", to: "paused" });

    const dispatcher = new WebhookDispatcher(db, masterKey, new GatewayEvents(), {
      pollIntervalMs: 1_000,
      timeoutMs: 200,
      retryBaseMs: 60_000,
    });
    await dispatcher.round();
    const bodies = (await db.selectFrom("webhook_deliveries").select("body").execute()).map(
      (d) => JSON.parse(d.body) as { invoiceId: string; state: string; previousState: string },
    );
    for (const id of ids) {
      expect(bodies).toContainEqual(
        expect.objectContaining({ invoiceId: id, state: "paused", previousState: "queued" }),
      );
      expect(bodies).toContainEqual(
        expect.objectContaining({ invoiceId: id, state: "queued", previousState: "paused" }),
      );
    }
  });
});
