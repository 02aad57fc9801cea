// The dashboard's read queries on both engines: search (ERP ref, FBR number, buyer NTN/CNIC, buyer name
// with LIKE wildcards taken literally), keyset paging, per-hour outcomes and top error codes; never across
// tenants.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  countInvoicesByState,
  hourlyOutcomes,
  oldestUnreported,
  searchInvoices,
  topErrorCodes,
} from "../src/invoices/invoice-reads.ts";
import type { Store } from "../src/store/database.ts";
import { newId } from "../src/store/ids.ts";
import type { InvoiceRow, InvoiceState } from "../src/store/schema.ts";
import { addTenant } from "../src/tenants/tenants.ts";
import { engines, openTestStore, TEST_MASTER_KEY } from "./helpers.ts";

describe.each(engines)("invoice reads on %s", (engine) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let tenantA: string;
  let tenantB: string;

  async function insert(
    tenantId: string,
    fields: {
      state: InvoiceState;
      ref: string;
      buyer: string;
      ntn: string;
      fbr?: string;
      errors?: unknown[];
      at: string;
    },
  ): Promise<string> {
    // Ids carry the row's own creation time: rows inserted within one millisecond would otherwise page in
    // random order.
    const id = newId("inv", Date.parse(fields.at));
    const row: InvoiceRow = {
      id,
      tenant_id: tenantId,
      channel: "di",
      pos_id: null,
      usin: null,
      external_ref: fields.ref,
      buyer_ntn_cnic: fields.ntn,
      buyer_name: fields.buyer,
      invoice_date: null,
      request_hash: "h",
      payload: JSON.stringify({ buyerBusinessName: fields.buyer, buyerNTNCNIC: fields.ntn, items: [] }),
      state: fields.state,
      fbr_invoice_number: fields.fbr ?? null,
      fbr_dated: null,
      item_numbers: null,
      errors: fields.errors === undefined ? null : JSON.stringify(fields.errors),
      last_reason: null,
      attempt_count: 0,
      created_at: fields.at,
      updated_at: fields.at,
    };
    await store.db.insertInto("invoices").values(row).execute();
    return id;
  }

  beforeAll(async () => {
    const opened = await openTestStore(engine);
    store = opened.store;
    cleanup = opened.cleanup;
    const base = { province: "Sindh", address: "Karachi", environment: "sandbox" as const, fbrToken: "t" };
    tenantA = (await addTenant(store.db, TEST_MASTER_KEY, { ...base, ntn: "7000007", name: "A" })).id;
    tenantB = (await addTenant(store.db, TEST_MASTER_KEY, { ...base, ntn: "7100001", name: "B" })).id;
    await insert(tenantA, {
      state: "accepted",
      ref: "ERP-1",
      buyer: "Karachi Steel Mills",
      ntn: "1000001",
      fbr: "7000007DI1",
      at: "2026-12-01T10:05:00.000Z",
    });
    await insert(tenantA, {
      state: "rejected",
      ref: "ERP-2",
      buyer: "100% Cotton_Co",
      ntn: "3520212345671",
      errors: [{ code: "0046" }, { code: "0046" }, { code: "0052" }],
      at: "2026-12-01T10:40:00.000Z",
    });
    await insert(tenantA, {
      state: "rejected",
      ref: "ERP-3",
      buyer: "Lahore Traders",
      ntn: "1000003",
      errors: [{ code: "0046" }],
      at: "2026-12-01T12:00:00.000Z",
    });
    await insert(tenantA, {
      state: "in_doubt",
      ref: "ERP-4",
      buyer: "karachi textiles",
      ntn: "1000004",
      at: "2026-12-01T13:00:00.000Z",
    });
    await insert(tenantB, {
      state: "accepted",
      ref: "ERP-1",
      buyer: "Karachi Steel Mills",
      ntn: "1000001",
      fbr: "7100001DI1",
      at: "2026-12-01T10:06:00.000Z",
    });
  });
  afterAll(async () => {
    await cleanup?.();
  });

  const refs = async (q: string) =>
    (await searchInvoices(store.db, tenantA, { q, limit: 50 })).items.map((r) => r.external_ref);

  it("finds by ERP reference, FBR number, NTN/CNIC (dashes ignored) and part of the buyer's name", async () => {
    expect(await refs("ERP-1")).toEqual(["ERP-1"]);
    expect(await refs("7000007DI1")).toEqual(["ERP-1"]);
    expect(await refs("35202-1234567-1")).toEqual(["ERP-2"]);
    expect(await refs("KARACHI")).toEqual(["ERP-4", "ERP-1"]);
    // Wildcards in the query are literal characters.
    expect(await refs("100%")).toEqual(["ERP-2"]);
    expect(await refs("n_C")).toEqual(["ERP-2"]);
    expect(await refs("%")).toEqual(["ERP-2"]);
    // Tenant B's invoice with the same reference and buyer never shows.
    expect(await refs("7100001DI1")).toEqual([]);
  });

  it("an exact reference, FBR number or NTN answers without the buyer-name search", async () => {
    // Tenant B (not counted elsewhere): one buyer's name contains another invoice's reference.
    await insert(tenantB, {
      state: "accepted",
      ref: "ERP-9",
      buyer: "Quetta Dates",
      ntn: "1000009",
      at: "2026-12-02T09:00:00.000Z",
    });
    await insert(tenantB, {
      state: "accepted",
      ref: "ERP-10",
      buyer: "erp-9 supplies",
      ntn: "1000010",
      at: "2026-12-02T10:00:00.000Z",
    });
    const search = async (q: string) =>
      (await searchInvoices(store.db, tenantB, { q, limit: 50 })).items.map((r) => r.external_ref);
    expect(await search("ERP-9")).toEqual(["ERP-9"]);
    expect(await search("1000010")).toEqual(["ERP-10"]);
    expect(await search("supplies")).toEqual(["ERP-10"]);
  });

  it("pages by keyset and filters by state and time", async () => {
    const first = await searchInvoices(store.db, tenantA, { limit: 3 });
    expect(first.items.map((r) => r.external_ref)).toEqual(["ERP-4", "ERP-3", "ERP-2"]);
    const second = await searchInvoices(store.db, tenantA, { limit: 3, cursor: first.nextCursor ?? "" });
    expect(second.items.map((r) => r.external_ref)).toEqual(["ERP-1"]);
    expect(second.nextCursor).toBeNull();
    const rejected = await searchInvoices(store.db, tenantA, {
      limit: 50,
      state: "rejected",
      createdFrom: "2026-12-01T11:00:00.000Z",
    });
    expect(rejected.items.map((r) => r.external_ref)).toEqual(["ERP-3"]);
  });

  it("counts by state, per hour, top codes, and the oldest unreported invoice", async () => {
    const counts = await countInvoicesByState(store.db, tenantA);
    expect(Object.fromEntries(counts)).toEqual({ accepted: 1, rejected: 2, in_doubt: 1 });
    expect(await hourlyOutcomes(store.db, tenantA, "2026-11-30T00:00:00.000Z")).toEqual([
      { hour: "2026-12-01T10", accepted: 1, rejected: 1 },
      { hour: "2026-12-01T12", accepted: 0, rejected: 1 },
    ]);
    // Counted per invoice: ERP-2's two 0046 errors make one.
    expect(await topErrorCodes(store.db, tenantA, "2026-11-30T00:00:00.000Z")).toEqual([
      { code: "0046", count: 2 },
      { code: "0052", count: 1 },
    ]);
    expect((await oldestUnreported(store.db, tenantA))?.state).toBe("rejected");
  });
});
