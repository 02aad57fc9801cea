// FBR judges invoiceDate by the UTC day (0043 for an invoice dated today before 05:00 PKT): the gateway
// takes such an invoice but makes its outbox row due at 05:00 PKT, so the worker posts it only then.
// The clock is injected; both sides of 05:00 PKT are checked on both engines.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prepareInvoice, submitInvoice } from "../src/invoices/invoice-service.ts";
import type { Store } from "../src/store/database.ts";
import { GroupCommitter } from "../src/store/group-commit.ts";
import type { TenantRow } from "../src/store/schema.ts";
import { addTenant, findTenant } from "../src/tenants/tenants.ts";
import { SELLER_A, sampleInvoice } from "./harness.ts";
import { engines, openTestStore, TEST_MASTER_KEY } from "./helpers.ts";

describe.each(engines)("invoices dated before FBR's UTC day on %s", (engine) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let tenant: TenantRow;
  let committer: GroupCommitter;
  beforeAll(async () => {
    const opened = await openTestStore(engine);
    store = opened.store;
    cleanup = opened.cleanup;
    await addTenant(store.db, TEST_MASTER_KEY, {
      ...SELLER_A,
      environment: "sandbox",
      fbrToken: SELLER_A.token,
    });
    const found = await findTenant(store.db, SELLER_A.ntn);
    if (found === undefined) throw new Error("tenant missing");
    tenant = found;
    committer = new GroupCommitter(store.db);
  });
  afterAll(async () => {
    await cleanup?.();
  });

  async function submitAt(now: string, invoiceDate: string) {
    const prepared = prepareInvoice({ ...sampleInvoice(), invoiceDate }, undefined, tenant);
    const { row } = await submitInvoice(store.db, committer, tenant, prepared, "test", () => new Date(now));
    const outbox = await store.db
      .selectFrom("outbox")
      .select("due_at")
      .where("invoice_id", "=", row.id)
      .executeTakeFirstOrThrow();
    const audit = await store.db
      .selectFrom("audit")
      .select("details")
      .where("subject", "=", row.id)
      .where("action", "=", "invoice.received")
      .executeTakeFirstOrThrow();
    return { row, dueAt: new Date(outbox.due_at).toISOString(), audit: JSON.parse(audit.details) };
  }

  it("02:00 PKT, dated today: queued, due at 05:00 PKT, the hold in the reason and the audit entry", async () => {
    const { row, dueAt, audit } = await submitAt("2025-05-24T21:00:00.000Z", "2025-05-25");
    expect(row.state).toBe("queued");
    expect(dueAt).toBe("2025-05-25T00:00:00.000Z");
    expect(row.last_reason).toContain("05:00 Pakistan time");
    expect(audit.heldUntil).toBe("2025-05-25T00:00:00.000Z");
  });

  it("04:59:59 PKT, dated today: still held to 05:00 PKT", async () => {
    const { dueAt } = await submitAt("2025-05-24T23:59:59.000Z", "2025-05-25");
    expect(dueAt).toBe("2025-05-25T00:00:00.000Z");
  });

  it("05:00 PKT, dated today: due at once, no hold", async () => {
    const { row, dueAt, audit } = await submitAt("2025-05-25T00:00:00.000Z", "2025-05-25");
    expect(dueAt).toBe("2025-05-25T00:00:00.000Z");
    expect(row.last_reason).toBeNull();
    expect(audit.heldUntil).toBeUndefined();
  });

  it("02:00 PKT, dated yesterday: due at once", async () => {
    const { dueAt, row } = await submitAt("2025-05-24T21:00:00.000Z", "2025-05-24");
    expect(dueAt).toBe("2025-05-24T21:00:00.000Z");
    expect(row.last_reason).toBeNull();
  });
});
