// A group of concurrent submissions is written together (issue 11): on PostgreSQL by one statement that
// reads the tenant's pause state and inserts the invoices and their outbox rows (lifecycle.ts
// insertSubmissions), on SQLite by a read and one insert per table. Both store the same rows.
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyAuditChains } from "../src/audit/audit-log.ts";
import { submitInvoice } from "../src/invoices/invoice-service.ts";
import type { Store } from "../src/store/database.ts";
import { GroupCommitter } from "../src/store/group-commit.ts";
import { nowIso } from "../src/store/ids.ts";
import { addTenant } from "../src/tenants/tenants.ts";
import { SELLER_A, sampleInvoice } from "./harness.ts";
import { engines, openTestStore, TEST_MASTER_KEY } from "./helpers.ts";

describe.each(engines)("a group of submissions on %s", (engine) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ store, cleanup } = await openTestStore(engine));
  });
  afterAll(async () => {
    await cleanup?.();
  });

  async function newTenant(ntn: string): Promise<string> {
    const tenant = await addTenant(store.db, TEST_MASTER_KEY, {
      ...SELLER_A,
      ntn,
      environment: "sandbox",
      fbrToken: "token",
    });
    return tenant.id;
  }

  async function submitAll(tenantId: string, buyers: string[]) {
    const tenant = await store.db
      .selectFrom("tenants")
      .selectAll()
      .where("id", "=", tenantId)
      .executeTakeFirstOrThrow();
    const committer = new GroupCommitter(store.db, { concurrentGroups: engine === "postgres" ? 3 : 1 });
    // Started in one turn: they share one group.
    return Promise.all(
      buyers.map((buyer, n) =>
        submitInvoice(
          store.db,
          committer,
          tenant,
          {
            invoice: { ...sampleInvoice(), buyerBusinessName: buyer } as never,
            externalRef: `${tenantId}-${n}`,
            requestHash: `h-${n}`,
          },
          "test",
        ),
      ),
    );
  }

  it("stores each invoice queued, with its outbox row and a chained audit entry", async () => {
    const tenantId = await newTenant("7400001");
    // A client may send a lone surrogate (`"\ud800"` in its JSON).
    const buyers = ["Buyer One", "Buyer \ud800 Two", "Buyer Three"];
    const results = await submitAll(tenantId, buyers);
    expect(results.map((r) => [r.created, r.row.state])).toEqual(buyers.map(() => [true, "queued"]));
    const stored = await store.db
      .selectFrom("invoices")
      .select(["id", "state", "buyer_name", "external_ref", "attempt_count", "pos_id"])
      .where("tenant_id", "=", tenantId)
      .orderBy("external_ref")
      .execute();
    // A lone surrogate is stored as the engine stores any parameter holding one.
    const { rows: asParameter } = await sql<{ v: string }>`select ${buyers[1]} as v`.execute(store.db);
    expect(stored.map((r) => [r.state, r.buyer_name, Number(r.attempt_count), r.pos_id])).toEqual([
      ["queued", "Buyer One", 0, null],
      ["queued", asParameter[0]?.v, 0, null],
      ["queued", "Buyer Three", 0, null],
    ]);
    const outbox = await store.db
      .selectFrom("outbox")
      .select(["invoice_id", "due_at", "lease_owner"])
      .where("tenant_id", "=", tenantId)
      .execute();
    expect(new Set(outbox.map((r) => r.invoice_id))).toEqual(new Set(stored.map((r) => r.id)));
    expect(outbox.every((r) => r.lease_owner === null && r.due_at !== "")).toBe(true);
    const received = await store.db
      .selectFrom("audit")
      .select(["subject", "details"])
      .where("tenant_id", "=", tenantId)
      .where("action", "=", "invoice.received")
      .execute();
    expect(received.map((r) => JSON.parse(r.details).state)).toEqual(["queued", "queued", "queued"]);
    const [report] = await verifyAuditChains(store.db, tenantId);
    expect(report?.ok).toBe(true);
  });

  it("stores a paused tenant's invoices paused, with its reason, still queued in the outbox", async () => {
    const tenantId = await newTenant("7400002");
    await store.db
      .updateTable("tenants")
      .set({ paused_at: nowIso(), paused_reason: "token refused" })
      .where("id", "=", tenantId)
      .execute();
    const results = await submitAll(tenantId, ["A", "B"]);
    expect(results.map((r) => [r.row.state, r.row.last_reason])).toEqual([
      ["paused", "token refused"],
      ["paused", "token refused"],
    ]);
    const { rows } = await sql<{
      n: number;
    }>`select count(*) as n from outbox where tenant_id = ${tenantId}`.execute(store.db);
    expect(Number(rows[0]?.n)).toBe(2);
  });
});
